// pwwHost: the host side of pywebworker. Creates workers (Web Worker in a browser,
// also nested in a worker; node:worker_threads in Node), writes every incoming message
// straight into the C inbound queue, drains the C outbound queue while a worker is
// running, and turns errors and exits into lifecycle changes.
// Requires constants.js, protocol.js, payload.js, core.js and the parts host_*.js
// (js/manifest.json "host"): host_spawn.js (a worker's thread and source),
// host_inbound.js (what a worker sends), host_calls.js (calls both ways),
// host_outbound.js (what the host sends), host_snapshot.js (the memory snapshots
// PyWorkers boot from). This file holds the records and the API.
// `bundles` holds the worker-side bundles of js/manifest.json ({pyworker, jsworker,
// jsClassic, jsModule, jsNode, nodeShim}: each the text of its files joined, see
// pywebworker/_js.py); `dispatch(id, event, a, b, c)` is the one Python callback, called
// for state changes, output lines, calls from the worker and replies to the host's
// calls, and messages only while Python watches a worker.
// `promising`: this host is a PyWorker whose Python blocks with JSPI (js/pyworker.js
// pwwEnter): Python is entered with stack switching here too (Pyodide's callPromising), so
// that what runs from its workers' events may block (wait_for_messages(), parent.sync...),
// its workers' events in order (pwwGate, `gate`: Python says api.started() first).
// Python answers its own failures, but for a batch of calls it could not serve: that
// Promise rejects, and host_calls.js onCalls fails the batch.

function pwwHost(core, bundles, dispatch, promising) {
  let gate = null, dispatchNow = dispatch;  // dispatchNow: Python told at its own request (kill)
  if (promising && typeof dispatch.callPromising === "function") {
    const plain = dispatch, none = () => {};  // (a caller that cares, onCalls, has its own catch)
    gate = pwwGate(none);  // (every step is a guarded handler: it throws nothing)
    dispatch = (...args) => gate.enter(plain, none, args);
    dispatchNow = (...args) => gate.direct(plain, args);
  }
  const x = core.exports;
  const api = pwwInboundApi(core);
  const records = new Map();  // id -> {worker, nonce, kind, watch, ready, urls}

  function record(id) {
    const rec = records.get(id);
    if (!rec) throw new Error(`pywebworker: unknown worker id ${id}`);
    return rec;
  }

  // The context the parts share. A part takes what is here from the start when it is
  // made; the functions of the other parts it looks up in `h` when it calls them (the
  // parts call each other both ways), never more than once per message.
  const h = { core, x, bundles, dispatch, records, record, gate };
  Object.assign(h, pwwHostSpawn(h), pwwHostInbound(h), pwwHostCalls(h), pwwHostOutbound(h), pwwHostDom(h), pwwHostSnapshot(h));
  const { spawn, stop, jsSource, pySource, absolute, indexURLs, guard, fail, sendCalls, post, drainRing } = h;

  // Every reading call reads the worker's shared ring first (js/ring.js): what the worker
  // sent is visible at once, even while Python is busy and the event loop cannot run.
  // Not while Python has an on_message handler (`handler` below).
  const polled = (id) => {
    const rec = records.get(id);
    if (rec !== undefined && !rec.handler && rec.box && rec.box.ring && rec.box.ring.pending()) drainRing(rec);
  };
  for (const k of ["length", "unreadCount", "firstUnread", "held", "info", "read", "takeMany"]) {
    const f = api[k];
    api[k] = (id, a, b, c) => { polled(id); return f(id, a, b, c); };
  }

  const nonce = () => Math.random().toString(36).slice(2) + pwwNow().toString(36);
  // Shared memory for a PyWorker's interrupt buffer: Node always, a browser only when the
  // page is cross-origin isolated (COOP + COEP); else null.
  const sharedInt32 = () => (pwwSharedMemory() ? new Int32Array(new SharedArrayBuffer(4)) : null);
  // A worker's shared ring (js/ring.js): its buffer for the worker, its reader here.
  const ringFor = (rec) => {
    const sab = pwwRingBuffer();
    rec.box.ring = sab && pwwRingReader(sab);
    return sab;
  };
  const { STATE_CREATED: CREATED, STATE_STARTING: STARTING, STATE_RUNNING: RUNNING, STATE_KILLED: KILLED,
    OUTBOUND, INBOUND } = PWW_CORE;

  return Object.assign(api, {
    // Python's dispatch has begun (with `promising` only: see pwwGate).
    started() { if (gate) gate.started(); },
    create(kind) {
      const id = x.pww_w_create(kind);
      if (id > 0) {
        const rec = { id, kind, worker: null, nonce: nonce(), watch: false, handler: false, ready: false, urls: [],
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
      try {
        rec.worker = spawn(rec, jsSource(rec, opts), opts.type, opts.name);
        const sab = ringFor(rec);
        if (sab) post(rec, pwwMessage(rec.nonce, PWW.RING, sab));
      } catch (e) { guard(rec, fail, e); }
      return 0;
    },

    // opts: {script, url, packages, indexURL, name, files: {relpath: Uint8Array}, indexes
    // (pywebworker/_boot.py install), modules: {package: {relpath: Uint8Array}}, tasks,
    // spare, config (pywebworker/_config.py), interpreter: "pyodide" or "micropython",
    // snapshot: false to boot without a memory snapshot (js/host_snapshot.js), snapshotCache:
    // false not to use the one cached across page loads (js/snapshot_cache.js)}. A
    // spare boots without a script, says `warm`, and waits for adopt(). For MicroPython,
    // indexURL (the directory of micropython.mjs) may be null: the worker loads the files
    // of `files`.
    startPy(id, opts) {
      const rec = record(id);
      const code = x.pww_w_set_state(id, STARTING);
      if (code < 0) return code;
      try {
        const mpy = opts.interpreter === "micropython";
        rec.worker = spawn(rec, pySource(rec, opts.interpreter), "module", opts.name);
        rec.interrupt = mpy ? null : sharedInt32();
        const ring = ringFor(rec);
        rec.spare = !!opts.spare;
        const urls = mpy && !opts.indexURL ? { indexURL: null, moduleURL: null }
          : indexURLs(opts.indexURL, mpy ? "micropython.mjs" : "pyodide.mjs");
        const files = {};
        for (const [k, v] of Object.entries(opts.files)) files[k] = v;
        const snap = h.snapshotFor(rec, urls.moduleURL, !mpy && opts.snapshot !== false, opts.snapshotCache !== false, files);
        post(rec, pwwMessage(rec.nonce, PWW.INIT, {
          indexURL: urls.indexURL, moduleURL: urls.moduleURL, name: opts.name || `worker-${id}`,
          script: opts.script, url: opts.url ? absolute(opts.url) : null,
          packages: opts.packages, files, indexes: opts.indexes, modules: opts.modules || {},
          spare: !!opts.spare, tasks: !!opts.tasks, interrupt: rec.interrupt, config: opts.config || null,
          interpreter: opts.interpreter || "pyodide", ring, snapshot: snap.snapshot, makeSnapshot: snap.makeSnapshot,
          snapshotCache: snap.snapshotCache,
        }));
      } catch (e) { guard(rec, fail, e); }
      return 0;
    },

    // The PyWorker `id` (created, not started) takes the thread of the spare `spareId`
    // (started with opts.spare, alive) and runs its script there: opts {script, url, name,
    // tasks, config}. From now on the thread's events go to `id`; the spare's record is left
    // killed, without a thread. Returns 0 or a negative core code (EINVAL: not a live
    // spare; the state code when `id` cannot start).
    adopt(id, spareId, opts) {
      const rec = record(id), spare = record(spareId);
      const st = x.pww_w_state(spareId);
      if (!spare.worker || !spare.box || (st !== STARTING && st !== RUNNING)) return PWW_CORE.EINVAL;
      const code = x.pww_w_set_state(id, STARTING);
      if (code < 0) return code;
      rec.worker = spare.worker; rec.nonce = spare.nonce; rec.urls = spare.urls; rec.warm = spare.warm;
      rec.interrupt = spare.interrupt;
      rec.box = spare.box; rec.box.rec = rec;
      spare.worker = null; spare.urls = []; spare.box = null;
      x.pww_w_set_state(spareId, KILLED);
      try {
        if (rec.worker.ref) rec.worker.ref();  // unref'd while warm (host_inbound.js)
        post(rec, pwwMessage(rec.nonce, PWW.RUN, { script: opts.script, url: opts.url ? absolute(opts.url) : null,
          name: opts.name || `worker-${id}`, tasks: !!opts.tasks, config: opts.config || null }));
        // The spare said `started` already: its queue exists, deliver what waits.
        if (st === RUNNING && x.pww_w_set_state(id, RUNNING) >= 0) h.drain(rec);
      } catch (e) { guard(rec, fail, e); }
      return 0;
    },
    isWarm(id) { return !!record(id).warm; },
    // Pyodide's interrupt buffer of a PyWorker: store `signal` (2: KeyboardInterrupt at the
    // next bytecode its Python runs; 0: none pending). False where there is no shared memory.
    interrupt(id, signal) {
      const rec = record(id);
      if (!rec.interrupt || !rec.worker) return false;
      Atomics.store(rec.interrupt, 0, signal);
      return true;
    },

    send: h.send, sendMany: h.sendMany,

    // Whether the worker has a shared ring (shared memory exists here).
    shared(id) { const rec = record(id); return !!(rec.box && rec.box.ring); },
    // Block this thread until the worker's inbound queue holds an unread message, for at
    // most `ms` milliseconds (< 0: no limit), reading the ring as it fills. Returns 1:
    // unread messages; 0: none in time, or the worker is gone; -1: what the worker sent
    // next was posted and needs the event loop (js/ring.js: too large, the ring full, or
    // behind a post on its way); -2: no shared memory; -3: this thread may not block
    // (a browser page's main thread).
    wait(id, ms) {
      const rec = record(id), ring = rec.box && rec.box.ring;
      if (!ring) return -2;
      if (!pwwCanBlock()) return -3;
      const end = ms < 0 ? Infinity : pwwNow() + ms;
      for (;;) {
        if (ring.pending()) drainRing(rec);
        if (x.pww_w_unread(id, INBOUND) > 0) return 1;
        const st = x.pww_w_state(id);
        if ((st !== STARTING && st !== RUNNING) || !rec.worker) return 0;
        if (ring.behind()) return -1;
        const left = end - pwwNow();
        if (left <= 0) return 0;
        ring.wait(left);
      }
    },

    // Terminate at once; returns how many outbound messages were never delivered.
    kill(id) {
      const rec = record(id);
      const st = x.pww_w_state(id);
      if (st === CREATED || st === STARTING || st === RUNNING) {
        if (rec.box && rec.box.ring) drainRing(rec);  // sent before the kill: kept, as a received message
        stop(rec);
        x.pww_w_set_state(id, KILLED);
        x.pww_w_call_cancel_all(id);
        dispatchNow(id, "state");  // Python asked: told at once, as ever
      }
      return x.pww_w_unread(id, OUTBOUND);
    },

    // [messages sent so far, of which not delivered yet]: the outbound queue's counts.
    outbound(id) { return [x.pww_w_length(id, OUTBOUND), x.pww_w_unread(id, OUTBOUND)]; },

    // Forget a worker entirely (terminating it if needed) and free its messages.
    destroy(id) {
      const rec = records.get(id);
      if (rec) { stop(rec); records.delete(id); }
      return core.destroy(id);
    },

    // --- calls (pending-call table in the core: pww_w_call_*): host_calls.js ----------
    call: h.call, callBegin: h.callBegin, callSend: h.callSend, callCancel: h.callCancel,
    callStat: h.callStat, replies: h.replies,
    exports(id) { return record(id).exports || undefined; },  // undefined, not null: Pyodide 314 maps null to JsNull

    // Limits of one queue (0 = unlimited); see pww_w_set_limits.
    setLimits(id, queue, maxMessages, maxBytes) { return x.pww_w_set_limits(id, queue, maxMessages, maxBytes); },
    watch(id, on) { record(id).watch = !!on; },
    // Whether Python has an on_message handler for the worker: then reading calls leave
    // the ring to the doorbell, whose wake-up gives each message to the handler before
    // anything else can open it.
    handler(id, on) { record(id).handler = !!on; },
    isReady(id) { return record(id).ready; },
    // Why the worker failed: the {name, message, stack} JSON text, or undefined.
    failure(id) { return record(id).failure; },
    // Releasing read messages makes room: report messages dropped meanwhile at once.
    releaseOpened(id) {
      const n = core.releaseOpened(id, INBOUND);
      const rec = records.get(id);
      if (n > 0 && rec) rec.inbox.released();
      return n;
    },
    dropped(id) { polled(id); return record(id).inbox.dropped; },
    domHandles: h.domHandles,  // internal, for tests: the size of a worker's host object table (js/host_dom.js)
    clearSnapshots: h.clearSnapshots, snapshots: h.snapshots, snapshotState: h.snapshotState,
    clearSnapshotCache: h.clearSnapshotCache,
    liveWorkers() { let n = 0; for (const r of records.values()) if (r.worker) n++; return n; },
  });
}
