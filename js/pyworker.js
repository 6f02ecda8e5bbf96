// PyWorker bootstrap: runs inside the worker (a module Web Worker, or a worker_threads
// worker with node_shim.js). Prepended: protocol.js, payload.js, core.js, PWW_TAG, PWW_NONCE.
//
// 1. The first message is the host's init: where Pyodide lives, the pywebworker package
//    files, the packages to load and the user's script.
// 2. Every later user message goes straight into this worker's own C inbound queue (the
//    `parent` endpoint), even while Pyodide is still loading: nothing is lost. Control
//    messages (tagged with the nonce: calls and replies) never enter that queue.
// 3. Pyodide loads, this package and the requested packages are installed (from the
//    host's indexes), "started" tells the host to deliver.
// 4. pywebworker/_boot.py runs the script with top-level await and says "ready" (with
//    the names in `__export__`) once its top level has finished or it waits for the
//    host, or "failed" with the Python traceback (also after ready).
// Calls the host makes go to the Python handler `parent` registers; calls to the host
// are pending in this worker's own C core (pww_w_call_*) until their reply.
const pwwSay = (type, extra) => postMessage(Object.assign({ [PWW_TAG]: PWW_NONCE, type }, extra));
const pwwErr = (e) => ({ name: (e && (e.type || e.name)) || "Error", message: (e && e.message) || String(e), stack: (e && e.stack) || "" });
let pwwCoreInst = null, pwwParentId = 0, pwwWatch = false, pwwNotify = null;
let pwwOnReply = null, pwwOnCalls = null;
let pwwInboxInst = null;  // this worker's inbound queue (core.js pwwInbox): drops counted and reported

// Nothing thrown here may escape: an uncaught error would fail the whole worker. A
// failure (of the glue, or of Python called from it) becomes an error message in
// this worker's inbound queue, where `parent` reads it; a batch of the host's calls
// that cannot be served is answered with the error.
addEventListener("message", (ev) => {
  const d = ev.data;
  const control = d !== null && typeof d === "object" && d[PWW_TAG] === PWW_NONCE;
  if (pwwCoreInst === null) {
    if (control && d.type === PWW.C_INIT) pwwBoot(d);
    return;
  }
  try {
    if (control) pwwControl(d);
    else pwwReceive(d, false);
  } catch (e) { pwwCaught(e); }
});

function pwwReceive(data, json) {
  if (json) pwwInboxInst.json(data);
  else pwwInboxInst.value(data);
  if (pwwWatch && pwwNotify) pwwNotify();
}

// As host.js caught(): queued, Python told; a second failure is queued untold.
function pwwCaught(e) {
  try {
    pwwInboxInst.error(pwwErrName(e), `pywebworker could not handle an event from the host: ${pwwErrMessage(e)}`, pwwErrStack(e));
    if (pwwWatch && pwwNotify) pwwNotify();
  } catch (e2) {
    try { pwwInboxInst.error(pwwErrName(e2), `pywebworker could not report an error: ${pwwErrMessage(e2)}`, pwwErrStack(e2)); }
    catch (e3) { pwwInboxInst.lost(); }
  }
}

// Every call of a batch answered by one error (items as in protocol.js C_RETURNS).
function pwwFailCalls(text, error) {
  let ids;
  try { ids = JSON.parse(text).map((item) => item[0]); } catch (e) { return pwwCaught(error); }
  const json = JSON.stringify(error);
  pwwSay(PWW.C_RETURNS, { text: `[${ids.map((i) => `[${i},0,${json},-1]`).join(",")}]`, bufs: [], ids });
}

// An uncaught error after the top level (a Python callback raising inside a JS event)
// fails the worker: said here with the Python traceback trimmed to the user's code, as
// pywebworker/_boot.py reports the others, instead of the JS stack of a PythonError.
// In Node every uncaught error comes here (the handler replaces the default exit); in a
// browser only Python's do, the rest reach the host's onerror as before.
function pwwUncaught(e) { pwwSay(PWW.C_FAILED, { error: pwwPythonErr(e) }); }
if (globalThis.process && process.versions && process.versions.node) process.on("uncaughtException", pwwUncaught);
else {
  self.addEventListener("error", (ev) => {
    if (ev.error && ev.error.name === "PythonError") { ev.preventDefault(); pwwUncaught(ev.error); }
  });
}

// {name, message, stack} of a PythonError: its message is the traceback Pyodide
// formatted; frames of Pyodide and pywebworker are dropped, the message is the last line.
function pwwPythonErr(e) {
  if (!e || e.name !== "PythonError" || typeof e.message !== "string") return pwwErr(e);
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
  self.close = () => { pwwSay(PWW.C_EXIT); pwwClose(); };
}

function pwwControl(d) {
  switch (d.type) {
    case PWW.C_JSON: return pwwReceive(String(d.text), true);
    case PWW.C_CALLS: {
      if (!pwwOnCalls) return pwwFailCalls(d.text, { name: "NotExportedError", message: "the worker exports nothing yet", stack: "" });
      try { return pwwOnCalls(d.text, d.bufs.length ? d.bufs : undefined); } catch (e) {
        // Python could not serve the batch: no reply left for any of its calls (a call
        // already answered drops the second reply as late).
        return pwwFailCalls(d.text, pwwErrInfo(e, "the worker could not serve the call: "));
      }
    }
    case PWW.C_RETURN:
    case PWW.C_THROW:
      // Late replies (the call timed out) are counted by the core and dropped.
      if (pwwCoreInst.exports.pww_w_call_end(pwwParentId, d.id) < 0 || !pwwOnReply) return;
      if (d.type === PWW.C_RETURN) return pwwOnReply(d.id, true, d.value, d.bufs);
      return pwwOnReply(d.id, false, pwwErrorPayload(d.error.name, d.error.message, d.error.stack), undefined);
  }
}

async function pwwBoot(init) {
  try {
    pwwCoreInst = pwwCore(init.files["_core.wasm"], "host");
    pwwParentId = pwwCoreInst.exports.pww_w_create(PWW.KIND_PYTHON);
    pwwInboxInst = pwwInbox(pwwCoreInst, pwwParentId, "host");
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW.STARTING);
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW.RUNNING);
  } catch (e) {
    pwwCoreInst = null;
    return pwwSay(PWW.C_FAILED, { error: pwwErr(e) });
  }
  let boot = null, quiet = false;
  try {
    const { loadPyodide } = await import(init.moduleURL);
    const py = await loadPyodide({
      indexURL: init.indexURL,
      // While packages install, Pyodide's "Loading x"/"Loaded x" lines are not the user's.
      stdout: (text) => { if (!quiet) pwwSay(PWW.C_OUTPUT, { stream: "stdout", text }); },
      stderr: (text) => pwwSay(PWW.C_OUTPUT, { stream: "stderr", text }),
    });
    pwwInstall(py, { pywebworker: init.files, ...init.modules });
    py.registerJsModule("_pywebworker_parent", pwwParentApi());
    // The handshake, said by pywebworker/_boot.py (which catches and formats errors).
    py.registerJsModule("_pywebworker_boot", {
      ready(exports) { pwwSay(PWW.C_READY, { exports: Array.from(exports, String) }); },
      failed(name, message, stack) { pwwSay(PWW.C_FAILED, { error: { name, message, stack } }); },
      quiet(on) { quiet = !!on; },
    });
    if (init.packages.length) {
      quiet = true;
      try { await py.loadPackage("micropip", { messageCallback: () => {} }); } finally { quiet = false; }
    }
    boot = py.pyimport("pywebworker._boot");
  } catch (e) {
    if (boot) boot.destroy();
    return pwwSay(PWW.C_FAILED, { error: pwwErr(e) });
  }
  try {
    if (!await boot.install(JSON.stringify(init.packages), JSON.stringify(init.indexes || {}))) return;
    pwwSay(PWW.C_STARTED);
    const code = init.url ? await pwwFetchText(init.url) : init.script;
    // A filename not in <...> makes Pyodide put the source in linecache: tracebacks show lines.
    await boot.run(code, `/worker/${init.name}.py`);
  } catch (e) {
    pwwSay(PWW.C_FAILED, { error: pwwErr(e) });
  } finally {
    boot.destroy();
  }
}

// Write the host's copy of the pywebworker package (and, in JupyterLite, of piplite)
// into this worker's file system: `packages` is {name: {relative path: bytes}}.
function pwwInstall(py, packages) {
  const root = "/lib/pywebworker-host";
  for (const [name, files] of Object.entries(packages)) {
    for (const [rel, bytes] of Object.entries(files)) {
      const path = `${root}/${name}/${rel}`;
      py.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
      py.FS.writeFile(path, bytes);
    }
  }
  py.runPython(`import sys\nif ${JSON.stringify(root)} not in sys.path: sys.path.insert(0, ${JSON.stringify(root)})`);
}

async function pwwFetchText(url) {
  if (globalThis.process && process.versions && process.versions.node && !/^(https?|data):/.test(url)) {
    return require("node:fs").readFileSync(url.startsWith("file:") ? new URL(url) : url, "utf8");
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
  return r.text();
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
    // Send one payload to the host: text as a string, JSON as its text (C_JSON), bytes
    // transferred.
    send(kind, data) {
      if (kind === PWW.JSON) return pwwSay(PWW.C_JSON, { text: data });
      if (typeof data === "string") return postMessage(data);
      const copy = ArrayBuffer.isView(data) ? data.slice() : (() => {
        const buf = data.getBuffer("u8");
        try { return buf.data.slice(); } finally { buf.release(); }
      })();
      postMessage(copy.buffer, [copy.buffer]);
    },
    sendError(name, message, stack) { pwwSay(PWW.C_ERROR, { error: { name, message, stack } }); },
    // Calls: the host's calls to this worker's exports, and this worker's calls to the
    // functions the host exposed (pending in this worker's core until their reply).
    setCallHandlers(onReply, onCalls) { pwwOnReply = onReply; pwwOnCalls = onCalls; },
    // Replies to a batch of the host's calls, in one message: `text` as in protocol.js
    // (C_RETURNS), `bufs` a list of lists of bytes (Uint8Array or Python buffer), `ids`
    // the reply ids joined by commas (cheaper across the FFI than a list).
    replies(text, bufs, ids) {
      const out = [], transfer = [];
      for (const list of bufs || []) {
        const [b, t] = pwwBuffers([...list].map(pwwOwnBytes));
        out.push(b);
        for (const x of t) transfer.push(x);
      }
      postMessage({ [PWW_TAG]: PWW_NONCE, type: PWW.C_RETURNS, text, bufs: out, ids: ids.split(",").map(Number) }, transfer);
    },
    reply(callId, ok, value, bufs) {
      if (!ok) return pwwSay(PWW.C_THROW, { id: callId, error: value });
      const [b, transfer] = pwwBuffers(bufs);
      postMessage({ [PWW_TAG]: PWW_NONCE, type: PWW.C_RETURN, id: callId, value, bufs: b }, transfer || []);
    },
    call(name, args, bufs) {
      const callId = pwwCoreInst.exports.pww_w_call_begin(pwwParentId, pwwNow());
      if (callId < 0) return callId;
      const [b, transfer] = pwwBuffers(bufs);
      postMessage({ [PWW_TAG]: PWW_NONCE, type: PWW.C_CALL, id: callId, name, args, bufs: b }, transfer || []);
      return callId;
    },
    callCancel(callId) { return pwwCoreInst.exports.pww_w_call_cancel(pwwParentId, callId); },
    callStat(stat) { return pwwCoreInst.exports.pww_w_call_stat(pwwParentId, stat); },
    watch(on, notify) { pwwWatch = !!on; if (notify) pwwNotify = notify; },
  });
}

// Bytes this worker may transfer: a Uint8Array as is, a Python bytes proxy copied out.
function pwwOwnBytes(data) {
  if (ArrayBuffer.isView(data)) return data;
  const buf = data.getBuffer("u8");
  try { return buf.data.slice(); } finally { buf.release(); }
}
