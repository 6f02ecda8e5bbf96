// The `pywebworker` global of a JsWorker: exports the host can call, and calls to the
// functions the host exposed. Bundled as js/manifest.json "jsworker" says, before the
// wrapper that runs the user's script, so that its 'message' listener comes first and
// keeps call traffic away from the script (stopImmediatePropagation): the script sees
// only user payloads.
//
//   pywebworker.expose({ add(a, b) { return a + b; }, async fetchIt(url) { ... } });
//   const n = await pywebworker.host.count_words("some text");   // or .call("name", ...)
//   const m = pywebworker.sync.count_words("some text");  // blocks (shared memory: js/sync.js)
//
// Values follow DESIGN.md's payload rules. On the wire, arguments and results are JSON
// text; calls both ways travel in batches (protocol.js `calls` and `returns`), one
// message per JS task; bytes (an ArrayBuffer or typed array) travel beside it as transferred
// ArrayBuffers, referred to by the marker object {"\u0000b": index}. Bytes arrive as
// ArrayBuffer. A value JSON cannot carry (a Map, a function, NaN, undefined inside an
// object...) is refused with a TypeError naming it, never silently changed.
//
// The script's own postMessage is checked too: a value that structured clone would
// change on the way (an object with a symbol key loses it) or that the host would
// refuse is not posted; the host receives an error message naming it instead, as for
// any value it cannot carry. No listener here throws: an uncaught error would fail
// the worker.
const PWW_NONCE = PWW_PARAMS.nonce;
// Every post goes through the shared ring's writer, which counts it (js/ring.js); the
// script's text, JSON and bytes messages go into the ring itself while it is open and
// nothing of theirs waits here, so that a busy host reads them at once.
const pwwRing = pwwRingWriter(globalThis.postMessage.bind(globalThis), PWW_NONCE);
const pwwRawPost = pwwRing.post;
const pwwRingTake = (kind, data) => pwwMsgsOut.items.length === 0 && pwwRing.open() && pwwRing.write(kind, data);
// The script's text and JSON messages posted in one JS task leave in one `msgs` message
// (protocol.js), encoded here, off the host's thread. As pywebworker/_outbox.py does on
// the Python side: the task's first message is posted at once (the latency of a lone
// message), and so is one posted more than MAX_WAIT ms after the last that left (a
// script that posts and computes in turn); the others wait for the end of the task or
// leave once the first waiting is MAX_WAIT ms old. Anything else that leaves (a
// control message, bytes, a value the host will refuse) and an uncaught error flush
// them first: order is kept. A lone message goes as it is (text) or as a `json`
// message: for one short message, transferring two buffers costs more than it saves.
const pwwMsgsOut = { items: [], open: false, start: 0, last: 0, MAX_WAIT: 1,
  lone([kind, text]) { pwwRawPost(kind === PWW_CORE.MSG_JSON ? pwwMessage(PWW_NONCE, PWW.JSON, text) : text); },
  flush() {
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    this.last = performance.now();
    if (items.length === 1) return this.lone(items[0]);
    const [meta, buf] = pwwPackMessages(items);
    pwwRawPost(pwwMessage(PWW_NONCE, PWW.MSGS, meta, buf), [buf, meta.buffer]);
  },
  // Post `item` ([kind, text]) at once or let it wait; `end` flushes at the end of the task.
  add(item, end) {
    const items = this.items;
    if (!this.open || items.length === 0) {
      const t = performance.now();
      if (!this.open || t - this.last > this.MAX_WAIT) {
        if (!this.open) { this.open = true; Promise.resolve().then(end); }
        this.last = t;
        return this.lone(item);
      }
      this.start = t;
    }
    const k = items.push(item);
    if ((k < 4 || !(k & 15)) && performance.now() - this.start > this.MAX_WAIT) this.flush();
  },
};
const pwwSay = (type, ...args) => { pwwMsgsOut.flush(); pwwRawPost(pwwMessage(PWW_NONCE, type, ...args)); };
{
  const rawPost = pwwRawPost;
  const pack = pwwPack, unpack = pwwUnpack;

  const exported = new Map();     // name -> function
  const pending = new Map();      // call id -> {resolve, reject}: calls to the host
  let lastId = 0;

  // A batch that cannot be posted (a DataCloneError) is answered here by the error: the
  // calls reject, the host's get a failed reply.
  const calls = pwwOutbox((b) => {
    try { pwwMsgsOut.flush(); rawPost(pwwMessage(PWW_NONCE, PWW.CALLS, pwwBatchText(b), b.bufs), b.transfer); } catch (e) {
      const error = pwwErrorFrom(pwwErrorInfo(e, "the call could not be posted to the host: "));
      for (const id of b.ids) settle(id, false, error);
    }
  });
  const returns = pwwOutbox((b) => {
    try { rawPost(pwwMessage(PWW_NONCE, PWW.RETURNS, pwwBatchText(b), b.bufs, b.ids), b.transfer); } catch (e) {
      const failed = pwwBatchFailed(b.ids, pwwErrorInfo(e, "the reply could not be posted: "));
      try { rawPost(pwwMessage(PWW_NONCE, PWW.RETURNS, pwwBatchText(failed), [], failed.ids)); } catch (e2) { reportError(e2); }
    }
  });
  const reportError = (e) => { try { pwwSay(PWW.ERROR, e); } catch (_) { /* nothing left to tell it with */ } };

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
      returns.add(id, 1, value, rbufs);
    } catch (e) {
      returns.add(id, 0, pwwErrorText(e));
    }
  }

  function settle(id, ok, value) {
    const p = pending.get(id);
    if (!p) return;  // late: already settled
    pending.delete(id);
    if (ok) p.resolve(value);
    else p.reject(value);
  }

  // Replies to this worker's calls: a reply that cannot be read fails its call only.
  function onReturns(m) {
    for (const [id, ok, value, k] of JSON.parse(m.text)) {
      try {
        if (!ok) settle(id, false, pwwErrorFrom(value));
        else settle(id, true, k < 0 ? value : unpack(value, m.bufs[k]));
      } catch (e) { settle(id, false, e); }
    }
  }

  addEventListener("message", (ev) => {
    try {
      const m = pwwRead(PWW_NONCE, ev.data);
      if (m === null) return;
      ev.stopImmediatePropagation();
      if (m.type === PWW.CALLS) { for (const item of JSON.parse(m.text)) serveItem(item, m.bufs); }
      else if (m.type === PWW.RETURNS) onReturns(m);
      else if (m.type === PWW.MSGS) deliverAll(m);
      else if (m.type === PWW.RING) pwwRing.attach(m.buf);
    } catch (e) {
      reportError(e);
    }
  });

  // A batch of the host's messages, each handed to the script as its own message event,
  // in order (the browser's dispatchEvent, node_shim.js's dispatch in Node).
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const dispatch = typeof pwwShimDispatch === "function" ? pwwShimDispatch
    : (data) => self.dispatchEvent(new MessageEvent("message", { data }));
  function deliverAll(m) {
    const values = pwwBatchTexts(m, decoder).map(([kind, text]) => (kind === PWW_CORE.MSG_JSON ? JSON.parse(text) : text));
    for (const v of values) dispatch(v);
  }

  const endOfTask = () => { pwwMsgsOut.open = false; try { pwwMsgsOut.flush(); } catch (e) { reportError(e); } };
  // An uncaught error fails the worker: what the script posted before it arrives first
  // (in Node the thread ends before any microtask; a browser reports it first).
  const flushNow = () => { try { pwwMsgsOut.flush(); } catch (e) { reportError(e); } };
  addEventListener("error", flushNow);
  if (typeof process !== "undefined" && typeof process.on === "function") process.on("uncaughtExceptionMonitor", flushNow);

  globalThis.postMessage = function postMessage(data, transfer) {
    calls.flush();  // calls made before a message go before it
    if (transfer === undefined && data !== undefined && !pwwIsBytes(data)) {
      let item = null;
      if (typeof data !== "string") {
        const why = pwwWhyNot(data, false, false);
        if (why) return pwwSay(PWW.ERROR, { name: "DataCloneError", message: `the worker sent a value that cannot be carried: ${why}` });
        item = [PWW_CORE.MSG_JSON, JSON.stringify(data)];
      } else if (pwwWellFormed(data)) item = [PWW_CORE.MSG_TEXT, data];
      if (item !== null) {
        if (!pwwRingTake(item[0], item[1])) pwwMsgsOut.add(item, endOfTask);
        return undefined;
      }
    } else if (transfer === undefined && data !== undefined
      && pwwRingTake(PWW_CORE.MSG_BYTES, ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data))) {
      return undefined;
    }
    pwwMsgsOut.flush();
    return transfer === undefined ? rawPost(data) : rawPost(data, transfer);
  };

  // A browser tells the host nothing when a worker closes itself, and only logs an
  // unhandled rejection: say both, so that the host fails the worker, as Node's exit and
  // error events already make it do.
  if (typeof self.close === "function") {
    const close = self.close.bind(self);
    self.close = () => { calls.flush(); pwwSay(PWW.EXIT); close(); };
  }
  addEventListener("unhandledrejection", (ev) => {
    ev.preventDefault();
    pwwSay(PWW.FAILED, ev.reason);
  });

  // Synchronous calls (js/sync.js): messages and calls made before one leave first.
  const syncOut = pwwSyncClient(PWW_NONCE, (m, t) => { calls.flush(); pwwMsgsOut.flush(); rawPost(m, t); });
  function callSync(name, args = [], timeout = 60) {
    if (typeof timeout !== "number" || !(timeout >= 0)) throw new TypeError(`pywebworker.callSync: timeout must be a number of seconds >= 0, not ${timeout}`);
    const [json, bufs] = pack(Array.from(args), `an argument of ${name}()`);
    const r = syncOut.request(PWW_SYNC.CALL, String(name), json, bufs, timeout);
    if (r === null) {
      const e = new Error(`the host did not answer ${name}() within ${timeout} s (a host busy in Python answers only when it awaits; a host function that calls this worker back waits until this call ends)`);
      e.name = "TimeoutError";
      throw e;
    }
    const [[, ok, value, k]] = JSON.parse(r[0]);
    if (!ok) throw pwwErrorFrom(value);
    return k < 0 ? value : unpack(value, r[1]);
  }

  function call(name, ...args) {
    return new Promise((resolve, reject) => {
      const [json, bufs] = pack(args, `an argument of ${name}()`);
      const id = ++lastId;
      pending.set(id, { resolve, reject });
      calls.add(id, String(name), json, bufs);
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
    // Call a function the host exposed and block this worker until its result (thrown:
    // its error; a TimeoutError after `timeout` seconds, default 60; a SharedMemoryError
    // where the page is not cross-origin isolated). The host answers from its event
    // loop: while its Python is busy in a cell, this worker waits.
    callSync,
    // pywebworker.sync.name(...args) === pywebworker.callSync("name", args)
    sync: new Proxy({}, { get: (_, name) => (typeof name === "string" && name !== "then") ? (...args) => callSync(name, args) : undefined }),
    // Whether this worker can share memory (and so make synchronous calls).
    sharedMemoryAvailable: pwwSharedMemory,
  };
  Object.defineProperty(api, "exportedNames", { value: () => [...exported.keys()] });
  globalThis.pywebworker = Object.freeze(api);
}
