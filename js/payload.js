// Payload rules shared by every side (DESIGN.md "Payloads"). Plain script text,
// prepended wherever it is needed: the host glue, the PyWorker bootstrap and the
// JsWorker wrapper (so two top-level names, both prefixed, are visible to a script).

// True for an ArrayBuffer or a view of one. Realm-independent: values from
// worker_threads may come from another realm than this code (pytest-pyodide runs
// Pyodide in a vm context), so no instanceof.
const pwwIsBytes = (v) => Object.prototype.toString.call(v) === "[object ArrayBuffer]" || ArrayBuffer.isView(v);

// Describe why `value` cannot cross as JSON-compatible data, or return null when it
// can: null, booleans, finite numbers, strings, arrays and plain objects, and with
// `bytesOk` bytes anywhere (calls carry them beside the JSON). JSON.stringify alone
// would silently drop functions and turn a Map into {}, losing data without a trace.
function pwwWhyNot(value, seen, bytesOk) {
  if (value === null) return null;
  const t = typeof value;
  if (t === "string" || t === "boolean") return null;
  if (t === "number") return Number.isFinite(value) ? null : `non-finite number ${value}`;
  if (t !== "object") return `a ${t}`;
  if (bytesOk && pwwIsBytes(value)) return null;
  if (seen.has(value)) return "a cyclic object";
  const proto = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  const plain = proto === null || (Object.prototype.toString.call(value) === "[object Object]"
    && Object.getPrototypeOf(proto) === null);
  if (!isArray && !plain) {
    return `a ${(value.constructor && value.constructor.name) || "non-plain object"}`;
  }
  seen.add(value);
  for (const k of Object.keys(value)) {
    const why = pwwWhyNot(value[k], seen, bytesOk);
    if (why) { seen.delete(value); return isArray ? `${why} at [${k}]` : `${why} at .${k}`; }
  }
  seen.delete(value);
  return null;
}
