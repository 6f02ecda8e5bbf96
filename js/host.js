// pwwHost: the host side of pywebworker. Creates workers (Web Worker in a browser,
// also nested in a worker; node:worker_threads in Node), writes every incoming message
// straight into the C inbound queue, drains the C outbound queue while a worker is
// running, and turns errors and exits into lifecycle changes.
// Requires protocol.js, payload.js and core.js. `sources` holds the worker-side texts (see
// pywebworker/_js.py); `dispatch(id, event, a, b, c)` is the one Python callback, called
// for state changes, output lines, call replies and calls from the worker, and messages
// only while Python watches a worker.
//
// No handler of an event from a worker throws (Node would end the process; a browser
// would lose the message or the reply): each runs under guard(), and a failure of the
// glue, or of Python called from it, lands where the user looks: an "error" message in
// the worker's inbound queue, a rejected call, or a failed worker.

function pwwHost(core, sources, dispatch) {
  const x = core.exports;
  const api = pwwInboundApi(core);
  const records = new Map();  // id -> {worker, nonce, kind, watch, ready, urls}
  const WT = (typeof globalThis.Worker === "undefined" && globalThis.process && process.getBuiltinModule)
    ? process.getBuiltinModule("node:worker_threads") : null;
  const env = WT ? "node" : (typeof globalThis.window === "object" ? "browser" : "browser-worker");

  const nonce = () => Math.random().toString(36).slice(2) + pwwNow().toString(36);
  const q = JSON.stringify;

  function spawn(rec, source, type, name) {
    if (WT) {
      const w = new WT.Worker(source, { eval: true, name: name || undefined });
      w.on("message", (d) => guard(rec, onData, d));
      w.on("messageerror", () => guard(rec, pushError, "DataCloneError", "a message from the worker could not be deserialised", ""));
      w.on("error", (e) => guard(rec, fail, e && e.name, e && e.message, e && e.stack));
      w.on("exit", (code) => guard(rec, fail, "WorkerExit", `the worker exited with code ${code}`, ""));
      return w;
    }
    const url = blobURL(rec, source);
    const w = new Worker(url, { type, name: name || undefined });
    w.onmessage = (ev) => guard(rec, onData, ev.data);
    w.onmessageerror = () => guard(rec, pushError, "DataCloneError", "a message from the worker could not be deserialised", "");
    w.onerror = (ev) => {
      ev.preventDefault();
      const where = ev.filename ? ` (${ev.filename}:${ev.lineno}:${ev.colno})` : "";
      guard(rec, fail, "Error", (ev.message || "the worker script could not be loaded") + where, "");
    };
    return w;
  }

  function blobURL(rec, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    rec.urls.push(url);
    return url;
  }

  function post(rec, value, transfer) {
    if (transfer) rec.worker.postMessage(value, transfer);
    else rec.worker.postMessage(value);
  }

  function control(rec, type, extra) {
    return Object.assign({ [PWW.TAG]: rec.nonce, type }, extra);
  }

  // Run fn(rec, ...args) for an event: whatever it throws becomes an error message.
  function guard(rec, fn, a, b, c) {
    try { fn(rec, a, b, c); } catch (e) { caught(rec, e); }
  }

  // The error is queued and Python told; if telling Python fails too, that error is
  // queued as well (without telling again, so this cannot loop). If not even that
  // works, the loss is counted (dropped_messages) and reported once there is room.
  function caught(rec, e) {
    try {
      rec.inbox.error(pwwErrName(e), `pywebworker could not handle an event from the worker: ${pwwErrMessage(e)}`, pwwErrStack(e));
      if (rec.watch) dispatch(rec.id, "message");
    } catch (e2) {
      try { rec.inbox.error(pwwErrName(e2), `pywebworker could not report an error: ${pwwErrMessage(e2)}`, pwwErrStack(e2)); }
      catch (e3) { rec.inbox.lost(); }
    }
  }

  function onData(rec, d) {
    if (rec.worker === null) return;  // stopped: whatever was still on its way is late
    if (d !== null && typeof d === "object" && d[PWW.TAG] === rec.nonce) return onControl(rec, d);
    receive(rec, d, false);
  }

  // A user message (or, with `json`, JSON text from a PyWorker) into the inbound queue.
  function receive(rec, data, json) {
    const st = x.pww_w_state(rec.id);
    if (st !== PWW.RUNNING && st !== PWW.STARTING) return;  // late message after kill/fail
    if (json) rec.inbox.json(data);
    else rec.inbox.value(data);
    if (rec.watch) dispatch(rec.id, "message");
  }

  function onControl(rec, d) {
    switch (d.type) {
      case PWW.C_STARTED: return setRunning(rec);
      case PWW.C_READY:
        rec.exports = Array.isArray(d.exports) ? d.exports.map(String) : [];
        if (rec.kind === PWW.KIND_JAVASCRIPT) setRunning(rec);
        rec.ready = true;
        releaseURLs(rec);
        return dispatch(rec.id, "ready");
      case PWW.C_FAILED: return fail(rec, d.error.name, d.error.message, d.error.stack);
      case PWW.C_OUTPUT: return dispatch(rec.id, "output", d.stream, d.text);
      case PWW.C_ERROR: return pushError(rec, d.error.name, d.error.message, d.error.stack);
      case PWW.C_JSON: return receive(rec, String(d.text), true);
      case PWW.C_EXIT: return fail(rec, "WorkerExit", "the worker closed itself (close())", "");
      // A reply whose call is no longer pending (timed out, or the worker was stopped)
      // is late: the core counts it and it goes no further.
      case PWW.C_RETURN:
        if (x.pww_w_call_end(rec.id, d.id) < 0) return;
        return dispatch(rec.id, "return", d.id, d.value, d.bufs);
      case PWW.C_THROW: {
        if (x.pww_w_call_end(rec.id, d.id) < 0) return;
        const e = d.error || {};
        return dispatch(rec.id, "throw", d.id, pwwErrorPayload(e.name || "Error", e.message || "", e.stack));
      }
      // Replies to a batch of calls: each is ended in the core first; Python gets the
      // batch in one call, with the ids of late replies (to drop) if there are any.
      case PWW.C_RETURNS: {
        let late;
        for (const callId of d.ids) {
          if (x.pww_w_call_end(rec.id, callId) < 0) (late || (late = [])).push(callId);
        }
        if (late && late.length === d.ids.length) return;
        return dispatch(rec.id, "returns", d.text, d.bufs.length ? d.bufs : undefined, late);
      }
      // A call Python could not even start answering (its handler failed) is answered
      // here, so that it rejects in the worker instead of hanging there.
      case PWW.C_CALL:
        try { return dispatch(rec.id, "call", d.id, d.name, d); } catch (e) {
          return post(rec, control(rec, PWW.C_THROW, { id: d.id, error: pwwErrInfo(e, "the host could not answer the call: ") }));
        }
    }
  }

  // Calls made in one JS task leave in one message, posted from a microtask: a Python
  // loop that issues 1 000 calls costs the worker one message event, not 1 000.
  function queueCall(rec, callId, name, args, bufs) {
    let b = rec.batch;
    if (b === null) {
      b = rec.batch = { parts: [], bufs: [], transfer: [], ids: [] };
      // A microtask (queueMicrotask is missing in some Node contexts); a rejection
      // there would be unhandled, which ends a Node process: guarded.
      Promise.resolve().then(() => guard(rec, flushCalls));
    }
    const [owned] = pwwBuffers(bufs);
    pwwBatchItem(b, `${callId},${q(name)}`, args, owned);
    b.ids.push(callId);
  }

  // A batch that cannot be posted (a DataCloneError) rejects each of its calls.
  function flushCalls(rec) {
    const b = rec.batch;
    if (b === null) return;
    rec.batch = null;
    if (!rec.worker) return;  // killed or failed meanwhile: the core cancelled the calls
    try {
      post(rec, control(rec, PWW.C_CALLS, { text: `[${b.parts.join(",")}]`, bufs: b.bufs }), b.transfer);
    } catch (e) {
      const error = pwwErrInfo(e, "the call could not be posted to the worker: ");
      for (const callId of b.ids) {
        if (x.pww_w_call_end(rec.id, callId) < 0) continue;
        guard(rec, () => dispatch(rec.id, "throw", callId, pwwErrorPayload(error.name, error.message, error.stack)));
      }
    }
  }

  function setRunning(rec) {
    if (x.pww_w_set_state(rec.id, PWW.RUNNING) < 0) return;
    drain(rec);
    dispatch(rec.id, "state");
  }

  // Deliver queued outbound messages in order; each is released once posted.
  function drain(rec) {
    flushCalls(rec);  // calls made before a message go before it
    while (x.pww_w_unread(rec.id, PWW.OUTBOUND) > 0) {
      const i = x.pww_w_first_unread(rec.id, PWW.OUTBOUND);
      const e = core.entry(rec.id, PWW.OUTBOUND, i, Infinity, false);
      if (typeof e === "number") throw core.coreError(e);
      deliver(rec, e[0], e[1]);
      x.pww_w_release(rec.id, PWW.OUTBOUND, i);
    }
  }

  // Post one payload: bytes (a Uint8Array this side owns) transferred; JSON text as
  // itself to a PyWorker (C_JSON: Python reads the very text Python wrote, so 1.0
  // stays a float and big ints stay exact), parsed to a JsWorker (natural values).
  function deliver(rec, kind, data) {
    if (kind === PWW.BYTES) post(rec, data.buffer, [data.buffer]);
    else if (kind !== PWW.JSON) post(rec, data, undefined);
    else if (rec.kind === PWW.KIND_PYTHON) post(rec, control(rec, PWW.C_JSON, { text: data }), undefined);
    else post(rec, JSON.parse(data), undefined);
  }

  // Nothing waits ahead of this message: post it at once, without copying it into the
  // queue and out again. The core still counts it (an empty entry, released at once),
  // so indices and kill()'s count of undelivered messages stay exact.
  // The queue's limits hold for it too (a message too large to be queued is refused
  // whatever the worker's state): checked by size first, before any copy. For text,
  // the size checked is its length in UTF-16 code units, a lower bound of its UTF-8
  // size: measuring it exactly would cost a pass over the text.
  function sendNow(rec, kind, data) {
    if (kind === PWW.TEXT && !pwwWellFormed(data)) return PWW.EINVAL;  // as pushText: never U+FFFD
    const pybuf = kind === PWW.BYTES && !ArrayBuffer.isView(data) ? data.getBuffer("u8") : null;
    try {
      const bytes = pybuf ? pybuf.data : data;
      const fits = x.pww_w_fits(rec.id, PWW.OUTBOUND, bytes.length);
      if (fits < 0) return fits;
      const index = x.pww_w_push(rec.id, PWW.OUTBOUND, kind, 0, 0, pwwNow());
      if (index < 0) return index;
      x.pww_w_release(rec.id, PWW.OUTBOUND, index);
      flushCalls(rec);  // calls made before a message go before it
      deliver(rec, kind, kind === PWW.BYTES ? bytes.slice() : data);  // bytes: the one copy
      return index;
    } finally { if (pybuf) pybuf.release(); }
  }

  function pushError(rec, name, message, stack) {
    rec.inbox.error(name, message, stack);
    if (rec.watch) dispatch(rec.id, "message");
  }

  // The worker failed (startup error, uncaught error, exit): record why as an error
  // message, stop the worker, and tell Python. Nothing happens once killed or failed.
  function fail(rec, name, message, stack) {
    const st = x.pww_w_state(rec.id);
    if (st !== PWW.STARTING && st !== PWW.RUNNING) return;
    // Kept on the record too: readable even if the queue is full or the message released.
    rec.failure = pwwErrorPayload(name || "Error", message, stack);
    rec.inbox.error(name || "Error", message, stack);
    x.pww_w_set_state(rec.id, PWW.FAILED);
    stop(rec);
    rec.callsRejected = x.pww_w_call_cancel_all(rec.id);
    dispatch(rec.id, "state");
  }

  function stop(rec) {
    if (rec.worker) {
      const w = rec.worker;
      rec.worker = null;
      // Nothing the worker still sends is handled (onData checks rec.worker too).
      if (WT) {
        w.removeAllListeners();
        w.on("error", () => {});  // an EventEmitter throws on an 'error' nobody listens to
      } else w.onmessage = w.onmessageerror = w.onerror = null;
      w.terminate();
    }
    releaseURLs(rec);
  }

  function releaseURLs(rec) {
    for (const u of rec.urls) URL.revokeObjectURL(u);
    rec.urls = [];
  }

  function record(id) {
    const rec = records.get(id);
    if (!rec) throw new Error(`pywebworker: unknown worker id ${id}`);
    return rec;
  }

  // --- the JsWorker wrapper: runs the user's script, then says ready ------------------
  function jsSource(rec, opts) {
    const head = `const PWW_TAG=${q(PWW.TAG)}, PWW_NONCE=${q(rec.nonce)};\n` + sources.payload + sources.jsCalls;
    if (WT) {
      const user = opts.url ? { url: absolute(opts.url) } : { text: opts.script };
      return sources.nodeShim + head + `const PWW_USER=${q(user)}, PWW_TYPE=${q(opts.type)};\n` + sources.jsNode;
    }
    const url = opts.url ? absolute(opts.url) : blobURL(rec, opts.script);
    return head + `const PWW_URL=${q(url)};\n` + (opts.type === "module" ? sources.jsModule : sources.jsClassic);
  }

  function absolute(url) {
    if (WT && !/^[a-z][a-z0-9+.-]*:/i.test(url)) return require_path().resolve(url);
    const base = globalThis.location ? globalThis.location.href : undefined;
    return base ? new URL(url, base).href : url;
  }
  const require_path = () => process.getBuiltinModule("node:path");

  // --- the PyWorker bootstrap: a module worker that loads Pyodide ---------------------
  function pySource(rec) {
    const head = `const PWW_TAG=${q(PWW.TAG)}, PWW_NONCE=${q(rec.nonce)};\n`;
    const body = sources.protocol + sources.payload + sources.core + head + sources.pyBoot;
    return WT ? sources.nodeShim + `(async () => {\n${body}\n})();\n` : body;
  }

  function indexURLs(indexURL) {
    // Node loads pyodide.mjs by file URL and wants indexURL as a path; a browser wants
    // absolute URLs for both, since a blob-URL worker has no base to resolve against.
    if (WT) {
      const path = require_path();
      const dir = /^file:/.test(indexURL) ? new URL(indexURL).pathname : path.resolve(indexURL);
      const withSlash = dir.endsWith("/") ? dir : dir + "/";
      return { indexURL: withSlash, moduleURL: "file://" + withSlash + "pyodide.mjs" };
    }
    const abs = absolute(indexURL.endsWith("/") ? indexURL : indexURL + "/");
    return { indexURL: abs, moduleURL: abs + "pyodide.mjs" };
  }

  return Object.assign(api, {
    env,

    create(kind) {
      const id = x.pww_w_create(kind);
      if (id > 0) {
        records.set(id, { id, kind, worker: null, nonce: nonce(), watch: false, ready: false, urls: [],
          inbox: pwwInbox(core, id, "worker"), exports: null, callsRejected: 0, batch: null });
      }
      return id;
    },

    // opts: {script, url, type, name}; returns 0 or a negative core code.
    startJs(id, opts) {
      const rec = record(id);
      const code = x.pww_w_set_state(id, PWW.STARTING);
      if (code < 0) return code;
      try { rec.worker = spawn(rec, jsSource(rec, opts), opts.type, opts.name); }
      catch (e) { guard(rec, fail, e.name, e.message, e.stack); }
      return 0;
    },

    // opts: {script, url, packages, indexURL, name, files: {relpath: Uint8Array}, indexes
    // (pywebworker/_boot.py install), modules: {package: {relpath: Uint8Array}}}.
    startPy(id, opts) {
      const rec = record(id);
      const code = x.pww_w_set_state(id, PWW.STARTING);
      if (code < 0) return code;
      try {
        rec.worker = spawn(rec, pySource(rec), "module", opts.name);
        const urls = indexURLs(opts.indexURL);
        const files = {};
        for (const [k, v] of Object.entries(opts.files)) files[k] = v;
        post(rec, control(rec, PWW.C_INIT, {
          indexURL: urls.indexURL, moduleURL: urls.moduleURL, name: opts.name || `worker-${id}`,
          script: opts.script, url: opts.url ? absolute(opts.url) : null,
          packages: opts.packages, files, indexes: opts.indexes, modules: opts.modules || {},
        }));
      } catch (e) { guard(rec, fail, e.name, e.message, e.stack); }
      return 0;
    },

    // Queue one message (a string, or bytes given as a Uint8Array or a Python buffer
    // proxy) and deliver it now if the worker is running. Returns its index or a code.
    send(id, kind, data) {
      const rec = record(id);
      if (x.pww_w_state(id) === PWW.RUNNING && x.pww_w_unread(id, PWW.OUTBOUND) === 0) return sendNow(rec, kind, data);
      let index;
      if (typeof data === "string") index = core.pushText(id, PWW.OUTBOUND, kind, data, pwwNow());
      else if (ArrayBuffer.isView(data)) index = core.pushBytes(id, PWW.OUTBOUND, kind, data, pwwNow());
      else {
        const buf = data.getBuffer("u8");  // a view of the Python bytes: one copy, into wasm
        try { index = core.pushBytes(id, PWW.OUTBOUND, kind, buf.data, pwwNow()); } finally { buf.release(); }
      }
      if (index >= 0 && x.pww_w_state(id) === PWW.RUNNING) drain(rec);
      return index;
    },

    // Terminate at once; returns how many outbound messages were never delivered.
    kill(id) {
      const rec = record(id);
      const st = x.pww_w_state(id);
      if (st === PWW.CREATED || st === PWW.STARTING || st === PWW.RUNNING) {
        stop(rec);
        x.pww_w_set_state(id, PWW.KILLED);
        rec.callsRejected = x.pww_w_call_cancel_all(id);
        dispatch(id, "state");
      }
      return x.pww_w_unread(id, PWW.OUTBOUND);
    },

    // Forget a worker entirely (terminating it if needed) and free its messages.
    destroy(id) {
      const rec = records.get(id);
      if (rec) { stop(rec); records.delete(id); }
      return x.pww_w_destroy(id);
    },

    // --- calls (pending-call table in the core: pww_w_call_*) ---------------------------
    // Begin a call and post it with the others of this task (the worker is ready);
    // returns the call id or a negative core code. `args` is JSON text, `bufs` the
    // Uint8Arrays it refers to.
    call(id, name, args, bufs) {
      const rec = record(id);
      const callId = x.pww_w_call_begin(id, pwwNow());
      if (callId > 0) queueCall(rec, callId, name, args, bufs);
      return callId;
    },
    // Begin a call now, post it later (callSend) once the worker is ready.
    callBegin(id) { record(id); return x.pww_w_call_begin(id, pwwNow()); },
    callSend(id, callId, name, args, bufs) {
      const rec = record(id);
      if (!rec.worker) return PWW.ESTATE;
      queueCall(rec, callId, name, args, bufs);
      return 0;
    },
    // Give up a call (timeout, cancelled await): its reply, if it comes, is dropped.
    callCancel(id, callId) { return x.pww_w_call_cancel(id, callId); },
    callStat(id, stat) { return x.pww_w_call_stat(id, stat); },
    callsRejected(id) { return record(id).callsRejected; },
    exports(id) { return record(id).exports || undefined; },  // undefined, not null: Pyodide 314 maps null to JsNull
    // Answer a call the worker made to a function the host exposed. A reply that
    // cannot be posted (a DataCloneError) is answered by the error instead: the call
    // rejects in the worker rather than hanging there.
    reply(id, callId, ok, value, bufs) {
      const rec = record(id);
      if (!rec.worker) return;
      flushCalls(rec);
      try {
        if (ok) {
          const [b, transfer] = pwwBuffers(bufs);
          post(rec, control(rec, PWW.C_RETURN, { id: callId, value, bufs: b }), transfer);
        } else {
          post(rec, control(rec, PWW.C_THROW, { id: callId, error: value }));
        }
      } catch (e) {
        post(rec, control(rec, PWW.C_THROW, { id: callId, error: pwwErrInfo(e, "the reply could not be posted: ") }));
      }
    },

    // Limits of one queue (0 = unlimited); see pww_w_set_limits.
    setLimits(id, queue, maxMessages, maxBytes) { return x.pww_w_set_limits(id, queue, maxMessages, maxBytes); },
    watch(id, on) { record(id).watch = !!on; },
    isReady(id) { return record(id).ready; },
    // Why the worker failed: the {name, message, stack} JSON text, or undefined.
    failure(id) { return record(id).failure; },
    // Releasing read messages makes room: report messages dropped meanwhile at once.
    releaseOpened(id) {
      const n = x.pww_w_release_opened(id, PWW.INBOUND);
      const rec = records.get(id);
      if (n > 0 && rec) rec.inbox.released();
      return n;
    },
    dropped(id) { return record(id).inbox.dropped; },
    liveWorkers() { let n = 0; for (const r of records.values()) if (r.worker) n++; return n; },
  });
}
