// PyWorker bootstrap, MicroPython's part: after the shared part (js/pyworker.js), in the
// "mpyworker" bundle of js/manifest.json. pwwBoot loads MicroPython's WebAssembly port
// (npm @micropython/micropython-webassembly-pyscript, the build PyScript uses), writes
// pywebworker/micropython/pywebworker.py into its file system as the `pywebworker`
// module, applies the config (files, cwd, argv) and runs the script (steps 3-5 of
// js/pyworker.js).
//
// MicroPython gets its files from the host (init.files, shipped in the wheel) or from
// init.indexURL (the directory of micropython.mjs, PyWorker's index_url). In a browser
// the shipped files are loaded from blob URLs; in Node from a directory under the
// system's temporary one, written once per content (Emscripten's Node loader reads the
// wasm with fs, and Node cannot import a blob URL).
//
// The `pywebworker` module sees only plain values across the FFI: JSON as text (the
// MicroPython side reads and writes it with its json module: ints of any size stay
// exact, which a JS number would not), bytes as Uint8Array, text as strings. What it
// reads comes from this worker's C inbound queue, as in a Pyodide PyWorker.
const PWW_MPY_HEAP = 16 << 20;  // bytes: MicroPython's heap is fixed at boot (its default is 1 MiB)

async function pwwBoot(init) {
  try {
    pwwCoreInst = pwwCore(init.files["_core.wasm"], "host");
    pwwParentId = pwwCoreInst.exports.pww_w_create(PWW_CORE.KIND_PYTHON);
    pwwInboxInst = pwwInbox(pwwCoreInst, pwwParentId, "host");
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW_CORE.STATE_STARTING);
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW_CORE.STATE_RUNNING);
  } catch (e) {
    pwwCoreInst = null;
    return pwwSay(PWW.FAILED, e);
  }
  pwwSay(PWW.STARTED);
  const filename = `/worker/${init.name}.py`;
  let mod = null;
  try {
    const where = await pwwMpyURLs(init);
    const { loadMicroPython } = await import(where.moduleURL);
    const mp = await loadMicroPython({
      url: where.wasmURL, heapsize: PWW_MPY_HEAP, linebuffer: true,
      stdout: (text) => pwwSay(PWW.OUTPUT, "stdout", text),
      stderr: (text) => pwwSay(PWW.OUTPUT, "stderr", text),
    });
    mp.FS.mkdirTree("/lib");
    mp.FS.writeFile("/lib/pywebworker.py", init.files["micropython/pywebworker.py"]);
    mp.registerJsModule("_pywebworker_mpy", pwwMpyApi(mp, filename));
    const code = init.url ? await pwwFetchText(init.url) : init.script;
    mod = mp.pyimport("pywebworker");
    // The config (pywebworker/_config.py; the host refused what MicroPython cannot do:
    // a config URL, env, archives): working directory and files, then sys.argv.
    if (init.config) {
      await pwwConfigFiles(mp.FS, init.config, null, { keep: "/lib/pywebworker.py" });
      if (init.config.argv) mod._set_argv(JSON.stringify(init.config.argv));
    }
    // Readiness as in pywebworker/_boot.py: a script that assigns __export__ at its top
    // level is ready once __export__ exists (MicroPython has no ast: a line starting
    // with the assignment counts).
    mod._boot(filename, /^[ \t]*__export__[ \t]*(=|:)/m.test(code));
    await mp.runPythonAsync(code);
    mod._top_level_done();
  } catch (e) {
    pwwFlushLater();
    pwwSay(PWW.FAILED, pwwMpyErr(e, filename));
  }
}

// Where micropython.mjs and micropython.wasm load from: {moduleURL, wasmURL}.
async function pwwMpyURLs(init) {
  if (init.indexURL) return { moduleURL: init.moduleURL, wasmURL: init.indexURL + "micropython.wasm" };
  const mjs = init.files["micropython/micropython.mjs"], wasm = init.files["micropython/micropython.wasm"];
  if (!mjs || !wasm) throw new Error("pywebworker: the wheel has no MicroPython files (micropython.mjs, micropython.wasm); give index_url=");
  if (!(globalThis.process && process.versions && process.versions.node)) {
    const url = (bytes, type) => URL.createObjectURL(new Blob([bytes], { type }));
    return { moduleURL: url(mjs, "text/javascript"), wasmURL: url(wasm, "application/wasm") };
  }
  const fs = require("node:fs"), path = require("node:path");
  const hash = require("node:crypto").createHash("sha256").update(mjs).update(wasm).digest("hex").slice(0, 16);
  const dir = path.join(require("node:os").tmpdir(), `pywebworker-micropython-${hash}`);
  const put = (name, bytes) => {
    const file = path.join(dir, name);
    if (fs.existsSync(file) && fs.statSync(file).size === bytes.length) return;
    // Written under a unique name and renamed: workers starting together never read half a file.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  };
  fs.mkdirSync(dir, { recursive: true });
  put("micropython.wasm", wasm);
  put("micropython.mjs", mjs);
  return { moduleURL: "file://" + path.join(dir, "micropython.mjs"), wasmURL: path.join(dir, "micropython.wasm") };
}

// {name, message, stack} of an error MicroPython raised into JS (a PythonError: `type`,
// and the traceback as its message), the script's name in place of "<stdin>".
function pwwMpyErr(e, filename) {
  if (!e || e.name !== "PythonError" || typeof e.message !== "string") return pwwErrorInfo(e);
  const stack = e.message.split('File "<stdin>"').join(`File "${filename}"`);
  const lines = stack.replace(/\n+$/, "").split("\n");
  const type = e.type || "Error";
  const last = lines.findLastIndex((l) => l === type || l.startsWith(type + ":"));
  const message = last < 0 ? stack : lines.slice(last).join("\n").slice(type.length).replace(/^: ?/, "");
  return { name: type, message, stack: stack.endsWith("\n") ? stack : stack + "\n" };
}

// The `_pywebworker_mpy` module the MicroPython side (pywebworker/micropython/pywebworker.py)
// calls: pwwParentApi's queue, sends and calls, with plain values.
function pwwMpyApi(mp, filename) {
  const api = pwwParentApi(), id = pwwParentId, toJs = mp.PyProxy.toJs;
  const bytesOf = (b) => { const u = toJs(b); return ArrayBuffer.isView(u) ? u : new Uint8Array(0); };
  const bufsOf = (list) => (list ? Array.from(toJs(list), (b) => (ArrayBuffer.isView(b) ? b : new Uint8Array(0))) : undefined);
  const u8Lists = (bufs) => (bufs || []).map((list) => list.map((b) => new Uint8Array(b)));
  const check = (r) => {
    if (typeof r === "number" && r < 0) throw pwwCoreInst.coreError(r);
    return r;
  };
  // Replies to the host's calls made in one JS task leave in one `returns`.
  const returns = pwwOutbox((b) => {
    try { pwwPost(pwwMessage(PWW_NONCE, PWW.RETURNS, pwwBatchText(b), b.bufs, b.ids), b.transfer); } catch (e) {
      const failed = pwwBatchFailed(b.ids, pwwErrorInfo(e, "the reply could not be posted: "));
      try { pwwSay(PWW.RETURNS, pwwBatchText(failed), [], failed.ids); } catch (e2) { pwwCaught(e2); }
    }
  });
  return {
    filename,
    length: () => api.length(id),
    unreadCount: () => api.unreadCount(id),
    // The unread indices, oldest first, as "1,2,3" (one string crosses cheaper than a list).
    unread: () => check(pwwCoreInst.listUnread(id, PWW_CORE.INBOUND)).join(","),
    // [kind, opened, receivedMs, nbytes] of message `index`.
    info: (index) => check(api.info(id, index)),
    // [kind, payload] of message `index`, now marked opened: text, JSON text or error
    // JSON text as a string, bytes as a Uint8Array of their own.
    read: (index) => {
      const e = check(api.read(id, index));
      return [e[0], ArrayBuffer.isView(e[1]) ? e[1].slice() : e[1]];
    },
    releaseOpened: () => api.releaseOpened(id),
    sendText: (text) => api.send(PWW_CORE.MSG_TEXT, String(text)),
    sendJson: (text) => api.send(PWW_CORE.MSG_JSON, String(text)),
    sendBytes: (b) => api.send(PWW_CORE.MSG_BYTES, bytesOf(b)),
    sendError: (name, message, stack) => api.sendError(name, message, stack),
    // wake() is called (no arguments) when a message or an error arrives.
    watch: (wake) => api.watch(true, () => wake()),
    // onCalls(text, bufs): the host's batches; onReturns(text, bufs, late): replies to
    // this worker's calls (late: "1,2" of those already ended). bufs: lists of Uint8Array.
    serve: (onCalls, onReturns) => api.serve(
      (text, bufs) => onCalls(text, u8Lists(bufs)),
      (text, bufs, late) => onReturns(text, u8Lists(bufs), (late || []).join(","))),
    reply: (callId, ok, json, bufs) => returns.add(callId, ok ? 1 : 0, String(json), pwwOwnBuffers(bufsOf(bufs))),
    // Begin a call to the host: its id, or a negative core code.
    call: (name, json, bufs) => api.call(String(name), String(json), bufsOf(bufs)),
    ready: (namesJson) => { pwwFlushLater(); pwwSay(PWW.READY, JSON.parse(namesJson)); },
  };
}
