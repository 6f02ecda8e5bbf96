// PyWorker bootstrap, the part every interpreter shares: runs inside the worker (a
// module Web Worker, or a worker_threads worker with node_shim.js), bundled as
// js/manifest.json says, with PWW_PARAMS ({nonce}) first (host_spawn.js pwwWorkerSource)
// and the interpreter's boot after it: pwwBoot(init) of js/pyworker_pyodide.js
// ("pyworker") or of js/mpyworker.js ("mpyworker", MicroPython).
//
// 1. The first message is the host's init: where the interpreter lives, the pywebworker
//    package files, the packages to load and the user's script.
// 2. Every later user message goes straight into this worker's own C inbound queue (the
//    `parent` endpoint), even while the interpreter is still loading: nothing is lost.
//    Control messages (tagged with the nonce: calls and replies) never enter that queue.
// 3. "started" tells the host to deliver (into that queue) as soon as the queue exists;
//    then the interpreter loads, this package and the requested packages are installed
//    (from the host's indexes).
// 4. The PyWorker's config (init.config, pywebworker/_config.py): a config URL fetched
//    and checked, its packages installed (Pyodide only); the working directory and the
//    `files` written (worker_config.js); `env` and `argv` set before the script runs.
// 5. The script runs with top-level await; "ready" (with the names in `__export__`) is
//    said once its top level has finished or it waits for the host, or "failed" with
//    the Python traceback (also after ready).
// A spare (init.spare, pywebworker.prestart) does 1-3, says "warm", and waits for the
// `run` message of the PyWorker that takes it, which carries the config and the script
// for steps 4 and 5.
// Calls go both ways as batches (protocol.js `calls`, answered by `returns`): the host's
// to the Python handler `parent` registers (serve), this worker's to the host pending in
// this worker's own C core (pww_w_call_*) until their reply.
const PWW_NONCE = PWW_PARAMS.nonce;
// Every post goes through the shared ring's writer, which counts it (js/ring.js);
// parent.send puts the user's messages into the ring itself while it is open.
const pwwRing = pwwRingWriter(globalThis.postMessage.bind(globalThis), PWW_NONCE);
const pwwPost = pwwRing.post;
const pwwSay = (type, ...args) => pwwPost(pwwMessage(PWW_NONCE, type, ...args));
let pwwCoreInst = null, pwwParentId = 0, pwwWatch = false, pwwNotify = null;
let pwwOnReturns = null, pwwOnCalls = null;
let pwwInboxInst = null;  // this worker's inbound queue (core.js pwwInbox): drops counted and reported
// Pyodide's interrupt buffer (init.interrupt; the host stores 2 there: PyWorker.interrupt()).
let pwwInterrupt = null;
// Whether Python is entered from this worker's events with stack switching (pwwEnter): set
// by the interpreter's boot (js/pyworker_pyodide.js: Pyodide, JSPI, no shared memory).
let pwwPromising = false;
// A spare's script: the host's `run` message, whenever it comes (before or after "warm").
let pwwRunGiven = null;
const pwwRunTaken = new Promise((resolve) => { pwwRunGiven = resolve; });
// This worker's calls to the host, made in one JS task, leave in one `calls` message.
// One that cannot be posted fails its calls here, as the host's answer would.
const pwwCallsOut = pwwOutbox((b) => {
  try { pwwPost(pwwMessage(PWW_NONCE, PWW.CALLS, pwwBatchText(b), b.bufs), b.transfer); } catch (e) {
    try { pwwReturns(pwwBatchText(pwwBatchFailed(b.ids, pwwErrorInfo(e, "the call could not be posted to the host: "))), [], b.ids); }
    catch (e2) { pwwCaught(e2); }
  }
});

// This worker's synchronous requests to the host (js/sync.js).
const pwwSyncOut = pwwSyncClient(PWW_NONCE, (m, t) => pwwPost(m, t));

// Nothing thrown here may escape: an uncaught error would fail the whole worker. A
// failure (of the glue, or of Python called from it) becomes an error message in
// this worker's inbound queue, where `parent` reads it; a batch of the host's calls
// that cannot be served is answered with the error.
addEventListener("message", (ev) => {
  if (pwwPromising) pwwGateInst.run(() => pwwOnData(ev.data));  // in order: see pwwEnter
  else pwwOnData(ev.data);
});

function pwwOnData(data) {
  try {
    const m = pwwRead(PWW_NONCE, data);
    if (pwwCoreInst === null) {
      if (m !== null && m.type === PWW.INIT) { pwwRing.attach(m.ring); pwwBoot(m); }
    } else if (m === null) pwwReceive(data, false);
    else pwwControl(m);
  } catch (e) { if (pwwInboxInst !== null) pwwCaught(e); }
}

function pwwReceive(data, json) {
  const index = json ? pwwInboxInst.json(data) : pwwInboxInst.value(data);
  if (pwwWatch && pwwNotify) pwwEnter(pwwNotify, pwwCaught, ...pwwInboxInst.wake(index, data, json));
}

// Python called from one of this worker's events: the host's calls, the replies to this
// worker's calls, the wake-ups of `parent` (a message came: on_message handlers, receive()
// and the tasks waiting on them run from here). Where Python waits for a Promise instead of
// shared memory (pwwPromising: no SharedArrayBuffer, JSPI), with stack switching
// (Pyodide's callPromising), so that the Python they run may block (pyodide.ffi.run_sync:
// parent.sync, parent.window, input(), time.sleep): a Promise per event, run a moment later
// in Pyodide 314 (its callPromising starts from a fresh task), the events after it held
// back until it started (pwwGate: the order of messages and calls stays exact); whatever it
// rejects with goes to `failed`, as a throw would. Elsewhere a plain call, as before.
function pwwEnter(fn, failed, ...args) {
  if (!pwwPromising || typeof fn.callPromising !== "function") return fn(...args);
  pwwGateInst.enter(fn, failed, args);
  return undefined;
}
const pwwGateInst = pwwGate((e) => pwwCaught(e));

// As host_inbound.js caught(): queued, Python told; a second failure is queued untold.
function pwwCaught(e) {
  try {
    pwwInboxInst.error(e, "pywebworker could not handle an event from the host: ");
    if (pwwWatch && pwwNotify) pwwEnter(pwwNotify, pwwCaughtUntold);
  } catch (e2) { pwwCaughtUntold(e2); }
}

function pwwCaughtUntold(e) {
  try { pwwInboxInst.error(e, "pywebworker could not report an error: "); } catch (e2) { pwwInboxInst.lost(); }
}

// Every call of a batch of the host's answered by one error.
function pwwFailCalls(text, error) {
  const b = pwwBatchFailed(pwwBatchIds(text), error);
  pwwSay(PWW.RETURNS, pwwBatchText(b), [], b.ids);
}

// An uncaught error after the top level (a Python callback raising inside a JS event)
// fails the worker: said here with the Python traceback trimmed to the user's code, as
// pywebworker/_boot.py reports the others, instead of the JS stack of a PythonError.
// In Node every uncaught error comes here (the handler replaces the default exit); in a
// browser only Python's do, the rest reach the host's onerror as before.
function pwwUncaught(e) { pwwFlushLater(); pwwSay(PWW.FAILED, pwwPythonErr(e)); }

// Python's messages waiting for the end of this JS task (pywebworker/_outbox.py): the
// `later` of the task's first send, called early when the worker is about to fail or
// close, so that what the script sent arrives first (later() then does nothing more).
let pwwLater = null;
function pwwFlushLater() {
  const fn = pwwLater;
  pwwLater = null;
  if (fn) { try { fn(); } catch (_) { /* a guarded Python callback: it reports its own errors */ } }
}
if (globalThis.process && process.versions && process.versions.node) process.on("uncaughtException", pwwUncaught);
else {
  self.addEventListener("error", (ev) => {
    if (ev.error && ev.error.name === "PythonError") { ev.preventDefault(); pwwUncaught(ev.error); }
  });
}

// {name, message, stack} of a PythonError: its message is the traceback Pyodide
// formatted; frames of Pyodide and pywebworker are dropped, the message is the last line.
function pwwPythonErr(e) {
  if (!e || e.name !== "PythonError" || typeof e.message !== "string") return pwwErrorInfo(e);
  const type = e.type || "Error", out = [];
  let skip = false;
  for (const line of e.message.replace(/\n+$/, "").split("\n")) {
    if (line.startsWith('  File "')) skip = /\/(_pyodide|pyodide|pywebworker)\//.test(line);
    else if (!line.startsWith("    ")) skip = false;
    if (!skip) out.push(line);
  }
  const last = out.findLastIndex((l) => l === type || l.startsWith(type + ":"));
  const message = last < 0 ? e.message : out.slice(last).join("\n").slice(type.length).replace(/^: ?/, "");
  return { name: type, message, stack: out.join("\n") + "\n" };
}

// As in a JsWorker (worker_calls.js): the host learns that the worker closed itself.
if (typeof self.close === "function") {
  const pwwClose = self.close.bind(self);
  self.close = () => { pwwFlushLater(); pwwSay(PWW.EXIT); pwwClose(); };
}

function pwwControl(m) {
  switch (m.type) {
    case PWW.JSON: return pwwReceive(m.text, true);
    case PWW.MSGS:
      pwwInboxInst.batch(m);
      if (pwwWatch && pwwNotify) pwwEnter(pwwNotify, pwwCaught);
      return;
    case PWW.CALLS: {
      if (!pwwOnCalls) return pwwFailCalls(m.text, { name: "NotExportedError", message: "the worker exports nothing yet" });
      // Python could not serve the batch: no reply left for any of its calls (a call
      // already answered drops the second reply as late).
      const failed = (e) => pwwFailCalls(m.text, pwwErrorInfo(e, "the worker could not serve the call: "));
      try { return pwwEnter(pwwOnCalls, failed, m.text, m.bufs.length ? m.bufs : undefined); } catch (e) {
        return failed(e);
      }
    }
    case PWW.RETURNS: return pwwReturns(m.text, m.bufs, m.ids);
    case PWW.RUN: return pwwRunGiven(m);
  }
}

// Step 3's start, for every interpreter's pwwBoot: this worker's own C core and inbound
// queue (the `parent` endpoint), running; then "started". The queue takes messages from
// now on, so the host may deliver while the interpreter loads: what the host sent before
// start() is waiting here, all of it, when the script runs (not still on its way, racing
// the script's first receive()). False once it said why it failed.
function pwwOpenQueue(init) {
  try {
    pwwCoreInst = pwwCore(init.files["_core.wasm"], "host");
    pwwParentId = pwwCoreInst.exports.pww_w_create(PWW_CORE.KIND_PYTHON);
    pwwInboxInst = pwwInbox(pwwCoreInst, pwwParentId, "host");
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW_CORE.STATE_STARTING);
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW_CORE.STATE_RUNNING);
  } catch (e) {
    pwwCoreInst = null;
    pwwSay(PWW.FAILED, e);
    return false;
  }
  pwwSay(PWW.STARTED);
  return true;
}

// Replies to this worker's calls, as host_calls.js onReturns: each ended in this worker's core
// first; the late ones (timed out, cancelled) are listed for Python to drop.
function pwwReturns(text, bufs, ids) {
  // The answer to a `post` synchronous request (js/sync.js requestPosted): not a call.
  if (ids.length === 1 && ids[0] < 0) return pwwSyncOut.answer(-ids[0], text, bufs.length ? bufs[0] : []);
  let late;
  for (const callId of ids) {
    if (pwwCoreInst.exports.pww_w_call_end(pwwParentId, callId) < 0) (late || (late = [])).push(callId);
  }
  if ((late && late.length === ids.length) || !pwwOnReturns) return;
  pwwEnter(pwwOnReturns, pwwCaught, text, bufs.length ? bufs : undefined, late);
}

// The text at `url` (the script of `url=`): read as worker_config.js reads a config's
// files (a path or file: URL from disk in Node; a failure names the URL and the status).
async function pwwFetchText(url) {
  return new TextDecoder().decode(await pwwFetchBytes(url));
}

// One message of parent.send into the shared ring (js/ring.js); false when it does not
// fit or cannot go there (text that is not well formed: the post path says why).
function pwwRingSend(kind, data) {
  if (typeof data === "string") return pwwWellFormed(data) && pwwRing.write(kind, data);
  if (ArrayBuffer.isView(data)) return pwwRing.write(PWW_CORE.MSG_BYTES, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const buf = data.getBuffer("u8");
  try { return pwwRing.write(PWW_CORE.MSG_BYTES, buf.data); } finally { buf.release(); }
}

// What pywebworker.parent sees: the inbound-queue API plus sending and watching.
function pwwParentApi() {
  const api = pwwInboundApi(pwwCoreInst);
  const release = api.releaseOpened;
  api.releaseOpened = (id) => {  // room again: report messages dropped meanwhile
    const n = release(id);
    if (n > 0) pwwInboxInst.released();
    return n;
  };
  return Object.assign(api, {
    id: pwwParentId,
    // Send one payload to the host: text as a string, JSON as its text (a `json`
    // message), bytes transferred. Calls made before it go first. Returns 0: what the
    // host cannot carry (a lone surrogate) it queues as an error message saying why.
    // With `later`, later() runs at the end of this JS task (pywebworker/_outbox.py).
    send(kind, data, later) {
      pwwCallsOut.flush();
      if (later) { pwwLater = later; pwwSoon(pwwFlushLater); }
      if (pwwRing.open() && pwwRingSend(kind, data)) return 0;
      if (kind === PWW_CORE.MSG_JSON) pwwPost(pwwMessage(PWW_NONCE, PWW.JSON, data));
      else if (typeof data === "string") pwwPost(data);
      else {
        // One copy, into a buffer of a released message when one has the size.
        let copy;
        if (ArrayBuffer.isView(data)) copy = pwwCoreInst.copyOut(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        else {
          const buf = data.getBuffer("u8");
          try { copy = pwwCoreInst.copyOut(buf.data); } finally { buf.release(); }
        }
        pwwPost(copy.buffer, [copy.buffer]);
      }
      return 0;
    },
    // Messages sent after the first in one JS task, as host_outbound.js sendMany takes
    // them (meta [kind, byte length] pairs, data their UTF-8 text), in one `msgs` message.
    sendMany(meta, data, ascii) {
      pwwCallsOut.flush();
      let m = pwwOwnInt32(meta), buf = pwwOwnBuffers([data])[0];
      if (pwwRing.open()) {
        // Into the ring while they fit (already UTF-8); the rest leave in one post.
        const u8 = new Uint8Array(buf);
        let k = 0, off = 0;
        for (; k < m.length; k += 2) {
          if (!pwwRing.write(m[k], u8.subarray(off, off + m[k + 1]))) break;
          off += m[k + 1];
        }
        if (k === m.length) return 0;
        if (k > 0) { m = m.slice(k); buf = buf.slice(off); }
      }
      pwwPost(pwwMessage(PWW_NONCE, PWW.MSGS, m, buf, ascii), [buf, m.buffer]);
      return 0;
    },
    sendError(name, message, stack) { pwwSay(PWW.ERROR, { name, message, stack }); },
    // Calls both ways: onCalls(text, bufs) gets the host's batches of calls to this
    // worker's exports; onReturns(text, bufs, late) the replies to this worker's calls.
    serve(onCalls, onReturns) { pwwOnCalls = onCalls; pwwOnReturns = onReturns; },
    // Replies to a batch of the host's calls, in one `returns`: `text` built by Python,
    // `bufs` a list of lists of bytes (Uint8Array or Python buffer), `ids` "1,2,3".
    replies(text, bufs, ids) {
      const [own, transfer] = pwwOwnBufferLists(bufs);
      const list = pwwIds(ids);
      try { pwwPost(pwwMessage(PWW_NONCE, PWW.RETURNS, text, own, list), transfer); } catch (e) {
        const b = pwwBatchFailed(list, pwwErrorInfo(e, "the reply could not be posted: "));
        pwwSay(PWW.RETURNS, pwwBatchText(b), [], b.ids);
      }
    },
    // Begin a call to the host; it leaves with the others of this JS task. Returns its
    // id or a negative code.
    call(name, args, bufs) {
      const callId = pwwCoreInst.exports.pww_w_call_begin(pwwParentId, pwwNow());
      if (callId > 0) pwwCallsOut.add(callId, String(name), args, pwwOwnBuffers(bufs));
      return callId;
    },
    callCancel(callId) { return pwwCoreInst.exports.pww_w_call_cancel(pwwParentId, callId); },
    // A synchronous request to the host (js/sync.js), after the calls made before it:
    // blocks this thread; [text, bufs] of the answer, or undefined after `timeout` seconds.
    sync(kind, name, args, bufs, timeout) {
      pwwCallsOut.flush();
      const r = pwwSyncOut.request(kind, String(name), args, pwwOwnBuffers(bufs) || [], timeout);
      return r === null ? undefined : r;
    },
    // The same request where this worker has no shared memory and Python waits with JSPI
    // (pyodide.ffi.run_sync): a Promise of [text, bufs], or of undefined after `timeout` seconds.
    syncPosted(kind, name, args, bufs, timeout) {
      pwwCallsOut.flush();
      return pwwSyncOut.requestPosted(kind, String(name), args, pwwOwnBuffers(bufs) || [], timeout);
    },
    // A request nothing waits for (js/sync.js; "release": handles the worker dropped).
    syncPost(kind, text) { pwwSyncOut.send(kind, "", String(text)); },
    sharedMemory: pwwSharedMemory,
    // Whether Python is entered from this worker's events with stack switching (pwwEnter);
    // then its entry points say started() first (pwwGate).
    promising: () => pwwPromising,
    started: () => pwwGateInst.started(),
    callStat(stat) { return pwwCoreInst.exports.pww_w_call_stat(pwwParentId, stat); },
    watch(on, notify) { pwwWatch = !!on; if (notify) pwwNotify = notify; },
    // Whether an interrupt waits in the buffer, not yet seen by Python; cleared
    // (pywebworker/_interrupt.py: one sent while none of this worker's Python ran).
    takeInterrupt() { return pwwInterrupt !== null && Atomics.exchange(pwwInterrupt, 0, 0) !== 0; },
  });
}
