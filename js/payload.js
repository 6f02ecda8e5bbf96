// Payload rules shared by every side (DESIGN.md "Payloads"). Plain script text, in
// every bundle of js/manifest.json that needs it: the host glue, the PyWorker
// bootstrap and the JsWorker library.

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
  const why = pwwWhyNotAt(value, bytesOk, !cloned, new Set(), 0, path);
  return why && (path.length ? `${why} at ${pwwPath(path.reverse())}` : why);
}

// On a refusal, each level appends its key to `path` on the way out (innermost
// first), so that the walk of an accepted value builds no path at all.
function pwwWhyNotAt(value, bytesOk, symbols, seen, depth, path) {
  if (value === null) return null;
  const t = typeof value;
  if (t === "string" || t === "boolean") return null;
  if (t === "number") return Number.isFinite(value) ? null : `non-finite number ${value}`;
  if (t !== "object") return `a ${t}`;
  if (depth > PWW_MAX_DEPTH) return `a value nested deeper than ${PWW_MAX_DEPTH} levels`;
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
  let why = null;
  if (isArray) {
    const n = value.length;
    for (let i = 0; i < n && !why; i++) {
      why = !(i in value) ? "an array with a hole" : pwwWhyNotAt(value[i], bytesOk, symbols, seen, depth + 1, path);
      if (why) path.push(i);
    }
    // Any other own key is a named property, which JSON would drop.
    if (!why) {
      const keys = Object.keys(value);
      if (keys.length !== n) why = `an array with a named property ${JSON.stringify(keys[n])}`;
    }
  } else {
    for (const k of Object.keys(value)) {
      why = pwwWhyNotAt(value[k], bytesOk, symbols, seen, depth + 1, path);
      if (why) { path.push(k); break; }
    }
  }
  seen.delete(value);
  return why;
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

// Calls' values on the wire (pywebworker/_wire.py pack/unpack): JSON text with bytes
// beside it, each referred to by the marker object {"\u0000b": index}.
const PWW_BYTES_MARK = "\u0000b";

// [json, bufs] for `value` (undefined is null): bufs are fresh ArrayBuffers this side
// owns, so that they can be transferred. Throws a TypeError naming `what` and where in
// the value for anything the payload rules refuse (pwwWhyNot).
function pwwPack(value, what) {
  const MARK = PWW_BYTES_MARK;
  const why = value === undefined ? null : pwwWhyNot(value, true, false);
  if (why) throw new TypeError(`pywebworker: ${what} cannot be carried: ${why}`);
  const bufs = [];
  const json = JSON.stringify(value === undefined ? null : value, (k, v) => {
    if (v === null || typeof v !== "object") return v;
    if (!pwwIsBytes(v)) {
      // Such an object would read back as bytes: refused, as Python refuses it.
      if (!Array.isArray(v) && MARK in v && Object.keys(v).length === 1) {
        throw new TypeError(`pywebworker: ${what} cannot be carried: an object whose only key is the bytes marker "\\u0000b"`);
      }
      return v;
    }
    const u = ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
    bufs.push(u.slice().buffer);
    return { [MARK]: bufs.length - 1 };
  });
  return [json, bufs];
}

// The value of pwwPack's [json, bufs] (or Python's _wire.pack): markers become bufs[i].
function pwwUnpack(json, bufs) {
  const MARK = PWW_BYTES_MARK;
  if (!bufs || bufs.length === 0) return JSON.parse(json);
  return JSON.parse(json, (k, v) => (v !== null && typeof v === "object" && !Array.isArray(v)
    && typeof v[MARK] === "number" && Object.keys(v).length === 1) ? bufs[v[MARK]] : v);
}
