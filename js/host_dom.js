// pwwHostDom: the host's globals (window, document) seen from a worker, for pwwHost
// (host.js): a worker's `sync` request of kind "dom" (js/sync.js) is one operation on a
// host object, answered into its channel as any sync call (a `returns` batch of one item).
// Its parts are in `h`, the context pwwHost makes.
//
// Objects that cannot be copied (DOM nodes, functions, class instances) stay here, in a
// table per worker (`rec.dom`: id -> {obj, self}); the worker holds their ids as handle
// proxies (pywebworker/_dom.py). Id 0 is the host's globalThis (`window`) and is never
// released; the others are released when the worker's proxy is dropped (their ids ride on
// the worker's next request, or come in a "release" request soon after) and all at once
// when the worker stops (host_spawn.js stop). A function read as an attribute keeps the
// object it was read from (`self`), so that `el.setAttribute(...)` is called on `el`, as
// Pyodide's JsProxy binds a method.
//
// The request's text is the JSON of [op, handle, key, args, released] (payload rules;
// bytes beside it as markers {"\u0000b": i}, handles as {"\u0000h": id}). The answer's
// value is JSON with markers (pywebworker/_dom.py reads them): {"\u0000h": [id, type]} a
// handle, {"\u0000b": i} bytes (a copy), {"\u0000u": 1} undefined, {"\u0000f": "NaN"}
// a non-finite number, {"\u0000i": "123"} a BigInt. An array or plain object is copied
// when every value in it can be (pwwWhyNot), else it is a handle too.

function pwwHostDom(h) {
  const B = "\u0000b", H = "\u0000h", U = "\u0000u", F = "\u0000f", I = "\u0000i";

  const table = (rec) => rec.dom || (rec.dom = { objs: new Map([[0, { obj: globalThis, self: undefined }]]), next: 1 });

  function entry(t, id) {
    const e = t.objs.get(id);
    if (e === undefined) {
      throw new ReferenceError(`pywebworker: host object #${id} was released (its proxy was dropped, or the worker restarted)`);
    }
    return e;
  }

  // The constructor's name of a handle's object ("HTMLDivElement", "Function"), for its repr.
  function typeName(v) {
    try {
      if (typeof v === "function") return "Function";
      const c = v.constructor;
      return (c && typeof c.name === "string" && c.name) || Object.prototype.toString.call(v).slice(8, -1);
    } catch (_) { return "Object"; }
  }

  function handle(t, v, self) {
    const id = t.next++;
    t.objs.set(id, { obj: v, self });
    return { [H]: [id, typeName(v)] };
  }

  // `v` as JSON-ready data: copied when the payload rules allow, else a handle.
  function out(t, v, bufs, self) {
    if (v === undefined) return { [U]: 1 };
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : { [F]: String(v) };
    if (typeof v === "bigint") return { [I]: v.toString() };
    if (typeof v === "object" && pwwIsBytes(v)) return bytes(v, bufs);
    if (typeof v === "object" && pwwWhyNot(v, true, false) === null) {
      return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "object" && x !== null && pwwIsBytes(x) ? bytes(x, bufs) : x)));
    }
    return handle(t, v, self);
  }

  function bytes(v, bufs) {
    const u8 = ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
    bufs.push(u8.slice().buffer);
    return { [B]: bufs.length - 1 };
  }

  const isLength = (n) => typeof n === "number" && Number.isInteger(n) && n >= 0;

  function sizeOf(obj) {
    if (obj !== null && (typeof obj === "object" || typeof obj === "function")) {
      if (isLength(obj.length)) return obj.length;
      if (isLength(obj.size)) return obj.size;
    }
    throw new TypeError(`object of type ${typeName(obj)} has no len()`);
  }

  // A Python index (negative counts from the end) as a JS one; -1 when out of range.
  function index(obj, i) {
    const n = sizeOf(obj);
    const j = i < 0 ? i + n : i;
    return j >= 0 && j < n ? j : -1;
  }

  // One operation; returns the answer's value (JSON-ready, markers in `bufs`).
  function run(t, op, id, key, args, bufs) {
    if (op === "doc") {
      const d = globalThis.document;
      if (d !== null && typeof d === "object") return out(t, d, bufs);
      return globalThis.process && process.versions && process.versions.node ? "node" : "worker";
    }
    const e = entry(t, id), obj = e.obj;
    switch (op) {
      case "get": {
        const v = obj[key];
        return out(t, v, bufs, typeof v === "function" ? obj : undefined);
      }
      case "set": obj[key] = args[0]; return null;
      case "del":
        if (!Reflect.deleteProperty(obj, key)) throw new TypeError(`cannot delete property ${JSON.stringify(key)} of ${typeName(obj)}`);
        return null;
      case "call":
        if (typeof obj !== "function") throw new TypeError(`${typeName(obj)} is not a function`);
        return out(t, Reflect.apply(obj, e.self, args), bufs);
      case "new":
        if (typeof obj !== "function") throw new TypeError(`${typeName(obj)} is not a constructor`);
        return out(t, Reflect.construct(obj, args), bufs);
      case "len": return sizeOf(obj);
      case "item": {
        if (typeof key === "number") {
          const j = index(obj, key);
          return j < 0 ? { [U]: 1 } : out(t, obj[j], bufs);
        }
        const v = obj[key];
        return out(t, v, bufs, typeof v === "function" ? obj : undefined);
      }
      case "setitem": {
        if (typeof key === "number") {
          const j = index(obj, key);
          if (j < 0) throw new RangeError(`index ${key} out of range`);
          obj[j] = args[0];
        } else obj[key] = args[0];
        return null;
      }
      case "list": {
        if (obj === null || (typeof obj !== "object" && typeof obj !== "function")
            || (typeof obj[Symbol.iterator] !== "function" && !isLength(obj.length))) {
          throw new TypeError(`${typeName(obj)} is not iterable`);
        }
        return Array.from(obj, (v) => out(t, v, bufs));
      }
      case "has": {
        if (typeof obj.includes === "function") return !!obj.includes(args[0]);
        if (typeof obj.has === "function") return !!obj.has(args[0]);
        if (isLength(obj.length)) return Array.prototype.includes.call(obj, args[0]);
        throw new TypeError(`${typeName(obj)} has no includes() or has(): 'in' is not supported`);
      }
      case "str": return String(obj);
      case "eq": return obj === args[0];
      default: throw new TypeError(`unknown host object operation ${JSON.stringify(op)}`);
    }
  }

  function release(t, ids) {
    if (!Array.isArray(ids)) return;
    for (const id of ids) if (id !== 0) t.objs.delete(id);
  }

  return {
    // A worker's "dom" request `m` ({text, bufs}): [answer text, bufs] (a `returns` batch
    // of one item, -seq). Throws for the caller to answer as the request's error.
    dom(rec, m, seq) {
      const t = table(rec);
      const inBufs = m.bufs;
      const req = JSON.parse(m.text, (_k, v) => {
        if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
        const keys = Object.keys(v);
        if (keys.length !== 1) return v;
        if (keys[0] === B) return new Uint8Array(inBufs[v[B]]);
        if (keys[0] === H) return entry(t, v[H]).obj;
        return v;
      });
      if (!Array.isArray(req) || req.length !== 5) throw new TypeError("pywebworker: malformed host object request");
      const [op, id, key, args, released] = req;
      release(t, released);
      const bufs = [];
      const value = run(t, String(op), id, key, Array.isArray(args) ? args : [], bufs);
      const b = pwwBatch();
      pwwBatchAdd(b, -seq, 1, JSON.stringify(value), bufs);
      return [pwwBatchText(b), b.bufs];
    },
    // A worker's "release" message: the ids of the handles its proxies dropped.
    domRelease(rec, text) {
      if (!rec.dom) return;
      let ids;
      try { ids = JSON.parse(text); } catch (_) { return; }
      release(rec.dom, ids);
    },
    // How many objects a worker's table holds (window included): internal, for tests.
    domHandles(id) {
      const rec = h.records.get(id);
      return rec && rec.dom ? rec.dom.objs.size : 0;
    },
  };
}
