// Payload rules shared by every side (DESIGN.md "Payloads"). Plain script text,
// prepended wherever it is needed: the host glue, the PyWorker bootstrap and the
// JsWorker wrapper (so these top-level names, all prefixed, are visible to a script).

// True for an ArrayBuffer or a view of one. Realm-independent: values from
// worker_threads may come from another realm than this code (pytest-pyodide runs
// Pyodide in a vm context), so no instanceof.
const pwwIsBytes = (v) => Object.prototype.toString.call(v) === "[object ArrayBuffer]" || ArrayBuffer.isView(v);

// As pywebworker/_payload.py: deeper data would overflow a JSON parser's or
// serialiser's stack (a RangeError in JSON.stringify, a RecursionError in Python).
const PWW_MAX_DEPTH = 512;

// Describe why `value` cannot cross as JSON-compatible data, or return null when it
// can: null, booleans, finite numbers, strings, arrays and plain objects, and with
// `bytesOk` bytes anywhere (calls carry them beside the JSON). JSON.stringify alone
// would silently drop functions, symbol keys and an array's own named properties,
// turn a Map into {} and a hole into null: data lost without a trace. The answer ends
// with where the value is ("a Date at .when[2]").
// `cloned` says the value came through structured clone, which already dropped every
// symbol key: the check for them (an allocation per object) is skipped.
function pwwWhyNot(value, bytesOk, cloned) {
  const path = [];
  const why = pwwWhyNotAt(value, bytesOk, !cloned, new Set(), path);
  return why && (path.length ? `${why} at ${pwwPath(path)}` : why);
}

// `path` holds the keys down to the value looked at; on a refusal it is left
// pointing at the culprit.
function pwwWhyNotAt(value, bytesOk, symbols, seen, path) {
  if (value === null) return null;
  const t = typeof value;
  if (t === "string" || t === "boolean") return null;
  if (t === "number") return Number.isFinite(value) ? null : `non-finite number ${value}`;
  if (t !== "object") return `a ${t}`;
  if (path.length > PWW_MAX_DEPTH) return `a value nested deeper than ${PWW_MAX_DEPTH} levels`;
  if (bytesOk && pwwIsBytes(value)) return null;
  if (seen.has(value)) return "a cyclic object";
  const proto = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  const plain = proto === null || (Object.prototype.toString.call(value) === "[object Object]"
    && Object.getPrototypeOf(proto) === null);
  if (!isArray && !plain) {
    return `a ${(value.constructor && value.constructor.name) || "non-plain object"}`;
  }
  if (symbols) {
    const sym = Object.getOwnPropertySymbols(value);
    if (sym.length) return `${isArray ? "an array" : "an object"} with a symbol key (${String(sym[0])})`;
  }
  seen.add(value);
  if (isArray) {
    const n = value.length;
    for (let i = 0; i < n; i++) {
      path.push(i);
      if (!(i in value)) return "an array with a hole";
      const why = pwwWhyNotAt(value[i], bytesOk, symbols, seen, path);
      if (why) return why;
      path.pop();
    }
    // Any other own key is a named property that JSON would drop. for-in counts
    // keys without building the array of them that Object.keys would.
    let keys = 0;
    for (const k in value) keys++;  // eslint-disable-line no-unused-vars
    if (keys !== n) {
      const extra = Object.keys(value).find((k) => !(String(k >>> 0) === k && (k >>> 0) < n));
      if (extra !== undefined) return `an array with a named property ${JSON.stringify(extra)}`;
    }
  } else {
    for (const k of Object.keys(value)) {
      path.push(k);
      const why = pwwWhyNotAt(value[k], bytesOk, symbols, seen, path);
      if (why) return why;
      path.pop();
    }
  }
  seen.delete(value);
  return null;
}

// ".a[2]['b c']" for the keys ["a", 2, "b c"]; a very deep path shows its ends.
function pwwPath(path) {
  const part = (k) => typeof k === "number" ? `[${k}]`
    : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  if (path.length <= 16) return path.map(part).join("");
  return `${path.slice(0, 8).map(part).join("")}…${path.slice(-8).map(part).join("")} (${path.length} levels)`;
}

// Whether a string can be carried as UTF-8 unchanged: a lone surrogate cannot
// (TextEncoder would replace it with U+FFFD). isWellFormed is in Node 20 and every
// current browser; the regular expression is for older ones.
const PWW_LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const pwwWellFormed = typeof String.prototype.isWellFormed === "function"
  ? (s) => s.isWellFormed()
  : (s) => s.search(PWW_LONE_SURROGATES) < 0;

// `s` with each lone surrogate written as its JSON escape (\ud800): for JSON text, where
// a lone surrogate can only stand inside a string literal, this is the same value.
const pwwEscapeLoneSurrogates = (s) => s.replace(PWW_LONE_SURROGATES,
  (c) => `\\u${c.charCodeAt(0).toString(16)}`);

// The first lone surrogate of `s`, as "U+D800 at index 3" (for error messages).
function pwwLoneSurrogate(s) {
  const i = s.search(PWW_LONE_SURROGATES);
  if (i < 0) return "";
  return `U+${s.charCodeAt(i).toString(16).toUpperCase()} at index ${i}`;
}
