// The `pywebworker` global of a JsWorker: exports the host can call, and calls to the
// functions the host exposed. Prepended to every JsWorker wrapper after PWW_TAG and
// PWW_NONCE and payload.js, before the user's script, so that its 'message' listener comes first and
// keeps call traffic away from the script (stopImmediatePropagation): the script sees
// only user payloads.
//
//   pywebworker.expose({ add(a, b) { return a + b; }, async fetchIt(url) { ... } });
//   const n = await pywebworker.host.count_words("some text");   // or .call("name", ...)
//
// Values follow DESIGN.md's payload rules. On the wire, arguments and results are JSON
// text; bytes (an ArrayBuffer or typed array) travel beside it as transferred
// ArrayBuffers, referred to by the marker object {"\u0000b": index}. Bytes arrive as
// ArrayBuffer. A value JSON cannot carry (a Map, a function, NaN, undefined inside an
// object...) is refused with a TypeError naming it, never silently changed.
//
// The script's own postMessage is checked too: a value that structured clone would
// change on the way (an object with a symbol key loses it) or that the host would
// refuse is not posted; the host receives an error message naming it instead, as for
// any value it cannot carry. No listener here throws: an uncaught error would fail
// the worker.
{
  const MARK = "\u0000b";
  const rawPost = globalThis.postMessage.bind(globalThis);
  const say = (type, extra, transfer) => rawPost(Object.assign({ [PWW_TAG]: PWW_NONCE, type }, extra), transfer || []);
  const errInfo = (e) => ({ name: (e && e.name) || "Error", message: (e && e.message !== undefined) ? String(e.message) : String(e), stack: (e && e.stack) || "" });

  // [json, bufs]: bufs are fresh ArrayBuffers this side owns (so they can be transferred).
  function pack(value, what) {
    const why = value === undefined ? null : pwwWhyNot(value, true, false);
    if (why) throw new TypeError(`pywebworker: ${what} cannot be carried: ${why}`);
    const bufs = [];
    const json = JSON.stringify(value === undefined ? null : value, (k, v) => {
      if (v === null || typeof v !== "object" || !pwwIsBytes(v)) return v;
      const u = ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
      bufs.push(u.slice().buffer);
      return { [MARK]: bufs.length - 1 };
    });
    return [json, bufs];
  }

  function unpack(json, bufs) {
    if (!bufs || bufs.length === 0) return JSON.parse(json);
    return JSON.parse(json, (k, v) => (v !== null && typeof v === "object" && !Array.isArray(v)
      && typeof v[MARK] === "number" && Object.keys(v).length === 1) ? bufs[v[MARK]] : v);
  }

  const exported = new Map();     // name -> function
  const pending = new Map();      // call id -> {resolve, reject}: calls to the host
  let lastId = 0;

  // Replies to the host's batched calls ("calls"): those that finish in one go leave in
  // one "returns" message (items as in js/protocol.js), posted from a microtask.
  let out = null;
  function queueReply(head, json, bufs) {
    if (out === null) {
      out = { parts: [], bufs: [], transfer: [], ids: [] };
      Promise.resolve().then(() => {
        const b = out;
        out = null;
        try {
          say("returns", { text: `[${b.parts.join(",")}]`, bufs: b.bufs, ids: b.ids }, b.transfer);
        } catch (e) {  // not postable (a DataCloneError): each call of the batch rejects
          const error = JSON.stringify(errInfo(e));
          say("returns", { text: `[${b.ids.map((id) => `[${id},0,${error},-1]`).join(",")}]`, bufs: [], ids: b.ids });
        }
      });
    }
    out.ids.push(head[0]);
    if (bufs && bufs.length) {
      out.parts.push(`[${head.join(",")},${JSON.stringify(json)},${out.bufs.length}]`);
      out.bufs.push(bufs);
      for (const x of bufs) out.transfer.push(x);
    } else {
      out.parts.push(`[${head.join(",")},${json},-1]`);
    }
  }

  async function serveItem(item, bufs) {
    const [id, name, args, k] = item;
    try {
      const fn = exported.get(name);
      if (!fn) {
        const e = new Error(`${JSON.stringify(name)} is not exported; exported: ${[...exported.keys()].join(", ") || "(none)"}`);
        e.name = "NotExportedError";
        throw e;
      }
      const result = await fn(...(k < 0 ? args : unpack(args, bufs[k])));
      const [value, rbufs] = pack(result, `the result of ${name}()`);
      queueReply([id, 1], value, rbufs);
    } catch (e) {
      queueReply([id, 0], JSON.stringify(errInfo(e)));
    }
  }

  function settle(d) {
    const p = pending.get(d.id);
    if (!p) return;
    pending.delete(d.id);
    if (d.type === "return") {
      try { p.resolve(unpack(d.value, d.bufs)); } catch (e) { p.reject(e); }
    } else {
      const e = new Error(d.error.message);
      e.name = d.error.name;
      e.remoteStack = d.error.stack;
      p.reject(e);
    }
  }

  addEventListener("message", (ev) => {
    const d = ev.data;
    if (d === null || typeof d !== "object" || d[PWW_TAG] !== PWW_NONCE) return;
    ev.stopImmediatePropagation();
    try {
      if (d.type === "calls") { for (const item of JSON.parse(d.text)) serveItem(item, d.bufs); }
      else if (d.type === "return" || d.type === "throw") settle(d);
    } catch (e) {
      say("error", { error: errInfo(e) });
    }
  });

  globalThis.postMessage = function postMessage(data, transfer) {
    if (data !== null && typeof data === "object" && !pwwIsBytes(data)) {
      const why = pwwWhyNot(data, false, false);
      if (why) {
        const message = `the worker sent a value that cannot be carried: ${why}`;
        return say("error", { error: { name: "DataCloneError", message, stack: "" } });
      }
    }
    return transfer === undefined ? rawPost(data) : rawPost(data, transfer);
  };

  // A browser tells the host nothing when a worker closes itself, and only logs an
  // unhandled rejection: say both, so that the host fails the worker, as Node's exit and
  // error events already make it do.
  if (typeof self.close === "function") {
    const close = self.close.bind(self);
    self.close = () => { say("exit"); close(); };
  }
  addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    say("failed", { error: errInfo(ev.reason) });
  });

  function call(name, ...args) {
    return new Promise((resolve, reject) => {
      const [json, bufs] = pack(args, `an argument of ${name}()`);
      const id = ++lastId;
      say("call", { id, name: String(name), args: json, bufs }, bufs);  // its reply cannot come before this returns
      pending.set(id, { resolve, reject });
    });
  }

  const api = {
    // Export functions to the host: expose({name: fn, ...}) or expose(fn) (by fn.name).
    // Returns the list of exported names. Call it in the script's top level: the host
    // learns the names with the "ready" handshake, and refuses others.
    expose(fns) {
      if (typeof fns === "function") fns = { [fns.name]: fns };
      for (const [name, fn] of Object.entries(fns || {})) {
        if (typeof fn !== "function") throw new TypeError(`pywebworker.expose: ${name} is not a function`);
        exported.set(name, fn);
      }
      return [...exported.keys()];
    },
    // Call a function the host exposed (worker.expose(fn) in Python); a Promise.
    call,
    // pywebworker.host.name(...args) === pywebworker.call("name", ...args)
    host: new Proxy({}, { get: (_, name) => (typeof name === "string" && name !== "then") ? (...args) => call(name, ...args) : undefined }),
  };
  Object.defineProperty(api, "exportedNames", { value: () => [...exported.keys()] });
  globalThis.pywebworker = Object.freeze(api);
}
