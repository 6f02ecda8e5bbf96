// pwwHost: the host side of pywebworker. Creates workers (Web Worker in a browser,
// also nested in a worker; node:worker_threads in Node), writes every incoming message
// straight into the C inbound queue, drains the C outbound queue while a worker is
// running, and turns errors and exits into lifecycle changes.
// Requires constants.js, protocol.js, payload.js and core.js (js/manifest.json "host").
// `bundles` holds the worker-side bundles of js/manifest.json ({pyworker, jsworker,
// jsClassic, jsModule, jsNode, nodeShim}: each the text of its files joined, see
// pywebworker/_js.py); `dispatch(id, event, a, b, c)` is the one Python callback, called
// for state changes, output lines, calls from the worker and replies to the host's
// calls, and messages only while Python watches a worker.
//
// No handler of an event from a worker throws (Node would end the process; a browser
// would lose the message or the reply): each runs under guard(), and a failure of the
// glue, or of Python called from it, lands where the user looks: an "error" message in
// the worker's inbound queue, a rejected call, or a failed worker.

function pwwHost(core, bundles, dispatch) {
  const x = core.exports;
  const api = pwwInboundApi(core);
  const records = new Map();  // id -> {worker, nonce, kind, watch, ready, urls}
  const WT = (typeof globalThis.Worker === "undefined" && globalThis.process && process.getBuiltinModule)
    ? process.getBuiltinModule("node:worker_threads") : null;

  const nonce = () => Math.random().toString(36).slice(2) + pwwNow().toString(36);
  const { STATE_CREATED: CREATED, STATE_STARTING: STARTING, STATE_RUNNING: RUNNING, STATE_KILLED: KILLED,
    STATE_FAILED: FAILED, OUTBOUND, INBOUND, MSG_TEXT: TEXT, MSG_BYTES: BYTES, MSG_JSON: JSON_KIND } = PWW_CORE;

  function spawn(rec, source, type, name) {
    if (WT) {
      const w = new WT.Worker(source, { eval: true, name: name || undefined });
      w.on("message", (d) => guard(rec, onData, d));
      w.on("messageerror", () => guard(rec, pushError, { name: "DataCloneError", message: "a message from the worker could not be deserialised" }));
      w.on("error", (e) => guard(rec, fail, e));
      w.on("exit", (code) => guard(rec, fail, { name: "WorkerExit", message: `the worker exited with code ${code}` }));
      return w;
    }
    const url = blobURL(rec, source);
    const w = new Worker(url, { type, name: name || undefined });
    w.onmessage = (ev) => guard(rec, onData, ev.data);
    w.onmessageerror = () => guard(rec, pushError, { name: "DataCloneError", message: "a message from the worker could not be deserialised" });
    w.onerror = (ev) => {
      ev.preventDefault();
      const where = ev.filename ? ` (${ev.filename}:${ev.lineno}:${ev.colno})` : "";
      guard(rec, fail, { message: (ev.message || "the worker script could not be loaded") + where });
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

  // Run fn(rec, a) for an event: whatever it throws becomes an error message.
  function guard(rec, fn, a) {
    try { fn(rec, a); } catch (e) { caught(rec, e); }
  }

  // The error is queued and Python told; if telling Python fails too, that error is
  // queued as well (without telling again, so this cannot loop). If not even that
  // works, the loss is counted (dropped_messages) and reported once there is room.
  function caught(rec, e) {
    try {
      rec.inbox.error(e, "pywebworker could not handle an event from the worker: ");
      if (rec.watch) dispatch(rec.id, "message");
    } catch (e2) {
      try { rec.inbox.error(e2, "pywebworker could not report an error: "); }
      catch (e3) { rec.inbox.lost(); }
    }
  }

  function onData(rec, d) {
    if (rec.worker === null) return;  // stopped: whatever was still on its way is late
    const m = pwwRead(rec.nonce, d);
    if (m === null) receive(rec, d, false);
    else onControl(rec, m);
  }

  // A user message (or, with `json`, JSON text from a PyWorker) into the inbound queue.
  function receive(rec, data, json) {
    const st = x.pww_w_state(rec.id);
    if (st !== RUNNING && st !== STARTING) return;  // late message after kill/fail
    if (json) rec.inbox.json(data);
    else rec.inbox.value(data);
    if (rec.watch) dispatch(rec.id, "message");
  }

  function onControl(rec, m) {
    switch (m.type) {
      case PWW.STARTED: return setRunning(rec);
      case PWW.READY:
        rec.exports = m.exports;
        if (rec.kind === PWW_CORE.KIND_JAVASCRIPT) setRunning(rec);
        rec.ready = true;
        releaseURLs(rec);
        return dispatch(rec.id, "ready");
      case PWW.FAILED: return fail(rec, m.error);
      case PWW.OUTPUT: return dispatch(rec.id, "output", m.stream, m.text);
      case PWW.ERROR: return pushError(rec, m.error);
      case PWW.JSON: return receive(rec, m.text, true);
      case PWW.EXIT: return fail(rec, { name: "WorkerExit", message: "the worker closed itself (close())" });
      case PWW.RETURNS: return onReturns(rec, m.text, m.bufs, m.ids);
      case PWW.CALLS: return onCalls(rec, m.text, m.bufs);
    }
  }

  // Replies to a batch of the host's calls: each is ended in the core first (a reply
  // whose call is no longer pending, timed out or cancelled, is late: the core counts
  // it); Python gets the batch in one call, with the ids of the late ones to drop.
  function onReturns(rec, text, bufs, ids) {
    let late;
    for (const callId of ids) {
      if (x.pww_w_call_end(rec.id, callId) < 0) (late || (late = [])).push(callId);
    }
    if (late && late.length === ids.length) return;
    dispatch(rec.id, "returns", text, bufs.length ? bufs : undefined, late);
  }

  // A batch of the worker's calls to the functions Python exposed. One Python could not
  // even start answering is answered here, so that its calls reject in the worker
  // instead of hanging there.
  function onCalls(rec, text, bufs) {
    try { dispatch(rec.id, "calls", text, bufs.length ? bufs : undefined); } catch (e) {
      const b = pwwBatchFailed(pwwBatchIds(text), pwwErrorInfo(e, "the host could not answer the call: "));
      postReturns(rec, pwwBatchText(b), b.bufs, b.ids, b.transfer);
    }
  }

  // The host's calls made in one JS task leave in one message: a Python loop that issues
  // 1 000 calls costs the worker one message event, not 1 000. A batch that cannot be
  // posted (a DataCloneError) fails each of its calls.
  function sendCalls(rec, b) {
    if (!rec.worker) return;  // killed or failed meanwhile: the core cancelled the calls
    try {
      post(rec, pwwMessage(rec.nonce, PWW.CALLS, pwwBatchText(b), b.bufs), b.transfer);
    } catch (e) {
      guard(rec, (r) => onReturns(r, pwwBatchText(pwwBatchFailed(b.ids, pwwErrorInfo(e, "the call could not be posted to the worker: "))), [], b.ids));
    }
  }

  // Post replies to the worker's calls; replies that cannot be posted (a
  // DataCloneError) are answered by the error instead: the calls reject in the worker
  // rather than hang there.
  function postReturns(rec, text, bufs, ids, transfer) {
    if (!rec.worker) return;
    try {
      post(rec, pwwMessage(rec.nonce, PWW.RETURNS, text, bufs, ids), transfer);
    } catch (e) {
      const failed = pwwBatchFailed(ids, pwwErrorInfo(e, "the reply could not be posted: "));
      post(rec, pwwMessage(rec.nonce, PWW.RETURNS, pwwBatchText(failed), [], failed.ids));
    }
  }

  function setRunning(rec) {
    if (x.pww_w_set_state(rec.id, RUNNING) < 0) return;
    drain(rec);
    dispatch(rec.id, "state");
  }

  // Deliver queued outbound messages in order; each is released once posted.
  function drain(rec) {
    rec.calls.flush();  // calls made before a message go before it
    while (x.pww_w_unread(rec.id, OUTBOUND) > 0) {
      const i = x.pww_w_first_unread(rec.id, OUTBOUND);
      const e = core.entry(rec.id, OUTBOUND, i, Infinity, false);
      if (typeof e === "number") throw core.coreError(e);
      deliver(rec, e[0], e[1]);
      x.pww_w_release(rec.id, OUTBOUND, i);
    }
  }

  // Post one payload: bytes (a Uint8Array this side owns) transferred; JSON text as
  // itself to a PyWorker (a `json` message: Python reads the very text Python wrote, so
  // 1.0 stays a float and big ints stay exact), parsed to a JsWorker (natural values).
  function deliver(rec, kind, data) {
    if (kind === BYTES) post(rec, data.buffer, [data.buffer]);
    else if (kind !== JSON_KIND) post(rec, data, undefined);
    else if (rec.kind === PWW_CORE.KIND_PYTHON) post(rec, pwwMessage(rec.nonce, PWW.JSON, data), undefined);
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
    if (kind === TEXT && !pwwWellFormed(data)) return PWW_CORE.EINVAL;  // as pushText: never U+FFFD
    const pybuf = kind === BYTES && !ArrayBuffer.isView(data) ? data.getBuffer("u8") : null;
    try {
      const bytes = pybuf ? pybuf.data : data;
      const fits = x.pww_w_fits(rec.id, OUTBOUND, bytes.length);
      if (fits < 0) return fits;
      const index = x.pww_w_push(rec.id, OUTBOUND, kind, 0, 0, pwwNow());
      if (index < 0) return index;
      x.pww_w_release(rec.id, OUTBOUND, index);
      rec.calls.flush();  // calls made before a message go before it
      deliver(rec, kind, kind === BYTES ? bytes.slice() : data);  // bytes: the one copy
      return index;
    } finally { if (pybuf) pybuf.release(); }
  }

  function pushError(rec, error) {
    rec.inbox.error(error);
    if (rec.watch) dispatch(rec.id, "message");
  }

  // The worker failed (startup error, uncaught error, exit): record why as an error
  // message, stop the worker, and tell Python. Nothing happens once killed or failed.
  function fail(rec, error) {
    const st = x.pww_w_state(rec.id);
    if (st !== STARTING && st !== RUNNING) return;
    // Kept on the record too: readable even if the queue is full or the message released.
    rec.failure = pwwErrorText(error);
    rec.inbox.error(error);
    x.pww_w_set_state(rec.id, FAILED);
    stop(rec);
    x.pww_w_call_cancel_all(rec.id);
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
    if (WT) {
      const user = opts.url ? { url: absolute(opts.url) } : { text: opts.script };
      return pwwWorkerSource(bundles, "jsNode", { nonce: rec.nonce, user, type: opts.type }, true);
    }
    const url = opts.url ? absolute(opts.url) : blobURL(rec, opts.script);
    return pwwWorkerSource(bundles, opts.type === "module" ? "jsModule" : "jsClassic", { nonce: rec.nonce, url }, false);
  }

  function absolute(url) {
    if (WT && !/^[a-z][a-z0-9+.-]*:/i.test(url)) return require_path().resolve(url);
    const base = globalThis.location ? globalThis.location.href : undefined;
    return base ? new URL(url, base).href : url;
  }
  const require_path = () => process.getBuiltinModule("node:path");

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
    create(kind) {
      const id = x.pww_w_create(kind);
      if (id > 0) {
        const rec = { id, kind, worker: null, nonce: nonce(), watch: false, ready: false, urls: [],
          inbox: pwwInbox(core, id, "worker"), exports: null, calls: null };
        rec.calls = pwwOutbox((b) => sendCalls(rec, b));
        records.set(id, rec);
      }
      return id;
    },

    // opts: {script, url, type, name}; returns 0 or a negative core code.
    startJs(id, opts) {
      const rec = record(id);
      const code = x.pww_w_set_state(id, STARTING);
      if (code < 0) return code;
      try { rec.worker = spawn(rec, jsSource(rec, opts), opts.type, opts.name); }
      catch (e) { guard(rec, fail, e); }
      return 0;
    },

    // opts: {script, url, packages, indexURL, name, files: {relpath: Uint8Array}, indexes
    // (pywebworker/_boot.py install), modules: {package: {relpath: Uint8Array}}}.
    startPy(id, opts) {
      const rec = record(id);
      const code = x.pww_w_set_state(id, STARTING);
      if (code < 0) return code;
      try {
        rec.worker = spawn(rec, pwwWorkerSource(bundles, "pyworker", { nonce: rec.nonce }, !!WT), "module", opts.name);
        const urls = indexURLs(opts.indexURL);
        const files = {};
        for (const [k, v] of Object.entries(opts.files)) files[k] = v;
        post(rec, pwwMessage(rec.nonce, PWW.INIT, {
          indexURL: urls.indexURL, moduleURL: urls.moduleURL, name: opts.name || `worker-${id}`,
          script: opts.script, url: opts.url ? absolute(opts.url) : null,
          packages: opts.packages, files, indexes: opts.indexes, modules: opts.modules || {},
        }));
      } catch (e) { guard(rec, fail, e); }
      return 0;
    },

    // Queue one message (a string, or bytes given as a Uint8Array or a Python buffer
    // proxy) and deliver it now if the worker is running. Returns its index or a code.
    send(id, kind, data) {
      const rec = record(id);
      if (x.pww_w_state(id) === RUNNING && x.pww_w_unread(id, OUTBOUND) === 0) return sendNow(rec, kind, data);
      let index;
      if (typeof data === "string") index = core.pushText(id, OUTBOUND, kind, data, pwwNow());
      else if (ArrayBuffer.isView(data)) index = core.pushBytes(id, OUTBOUND, kind, data, pwwNow());
      else {
        const buf = data.getBuffer("u8");  // a view of the Python bytes: one copy, into wasm
        try { index = core.pushBytes(id, OUTBOUND, kind, buf.data, pwwNow()); } finally { buf.release(); }
      }
      if (index >= 0 && x.pww_w_state(id) === RUNNING) drain(rec);
      return index;
    },

    // Terminate at once; returns how many outbound messages were never delivered.
    kill(id) {
      const rec = record(id);
      const st = x.pww_w_state(id);
      if (st === CREATED || st === STARTING || st === RUNNING) {
        stop(rec);
        x.pww_w_set_state(id, KILLED);
        x.pww_w_call_cancel_all(id);
        dispatch(id, "state");
      }
      return x.pww_w_unread(id, OUTBOUND);
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
      if (callId > 0) rec.calls.add(callId, String(name), args, pwwOwnBuffers(bufs));
      return callId;
    },
    // Begin a call now, post it later (callSend) once the worker is ready.
    callBegin(id) { record(id); return x.pww_w_call_begin(id, pwwNow()); },
    callSend(id, callId, name, args, bufs) {
      const rec = record(id);
      if (!rec.worker) return PWW_CORE.ESTATE;
      rec.calls.add(callId, String(name), args, pwwOwnBuffers(bufs));
      return 0;
    },
    // Give up a call (timeout, cancelled await): its reply, if it comes, is dropped.
    callCancel(id, callId) { return x.pww_w_call_cancel(id, callId); },
    callStat(id, stat) { return x.pww_w_call_stat(id, stat); },
    exports(id) { return record(id).exports || undefined; },  // undefined, not null: Pyodide 314 maps null to JsNull
    // Replies to a batch of the worker's calls (the items of one `returns`, built by
    // Python): `bufs` a list of lists of bytes, `ids` the reply ids ("1,2,3": cheaper
    // across the FFI than a list).
    replies(id, text, bufs, ids) {
      const rec = record(id);
      if (!rec.worker) return;
      rec.calls.flush();
      const [own, transfer] = pwwOwnBufferLists(bufs);
      postReturns(rec, text, own, pwwIds(ids), transfer);
    },

    // Limits of one queue (0 = unlimited); see pww_w_set_limits.
    setLimits(id, queue, maxMessages, maxBytes) { return x.pww_w_set_limits(id, queue, maxMessages, maxBytes); },
    watch(id, on) { record(id).watch = !!on; },
    isReady(id) { return record(id).ready; },
    // Why the worker failed: the {name, message, stack} JSON text, or undefined.
    failure(id) { return record(id).failure; },
    // Releasing read messages makes room: report messages dropped meanwhile at once.
    releaseOpened(id) {
      const n = x.pww_w_release_opened(id, INBOUND);
      const rec = records.get(id);
      if (n > 0 && rec) rec.inbox.released();
      return n;
    },
    dropped(id) { return record(id).inbox.dropped; },
    liveWorkers() { let n = 0; for (const r of records.values()) if (r.worker) n++; return n; },
  });
}

// The source text of a worker: `which` bundle of js/manifest.json ("pyworker" or a
// JsWorker wrapper, which also gets the "jsworker" bundle) with its parameters, inside
// one function, so that a user's classic script (run in the global scope) sees only
// `pywebworker`, never the glue's names; under Node the shim of Web Worker globals
// comes first. `params` ({nonce, ...}) is written as JSON: no value can break out.
function pwwWorkerSource(bundles, which, params, node) {
  const lib = which === "pyworker" ? "" : bundles.jsworker;
  const body = `const PWW_PARAMS = ${JSON.stringify(params)};\n${lib}${bundles[which]}`;
  return (node ? bundles.nodeShim : "") + `(async () => {\n${body}\n})();\n`;
}

