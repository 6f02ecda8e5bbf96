// PyWorker bootstrap: runs inside the worker (a module Web Worker, or a worker_threads
// worker with node_shim.js). Prepended: protocol.js, core.js, PWW_TAG, PWW_NONCE.
//
// 1. The first message is the host's init: where Pyodide lives, the pywebworker package
//    files, the packages to load and the user's script.
// 2. Every later message goes straight into this worker's own C inbound queue (the
//    `parent` endpoint), even while Pyodide is still loading: nothing is lost.
// 3. Pyodide loads, the package is installed, "started" tells the host to deliver.
// 4. The script runs with top-level await; "ready" once its top level has finished, or
//    "failed" with the Python traceback.
const pwwSay = (type, extra) => postMessage(Object.assign({ [PWW_TAG]: PWW_NONCE, type }, extra));
const pwwErr = (e) => ({ name: (e && (e.type || e.name)) || "Error", message: (e && e.message) || String(e), stack: (e && e.stack) || "" });
let pwwCoreInst = null, pwwParentId = 0, pwwWatch = false, pwwNotify = null;

addEventListener("message", (ev) => {
  const d = ev.data;
  if (pwwCoreInst === null) {
    if (d && d[PWW_TAG] === PWW_NONCE && d.type === PWW.C_INIT) pwwBoot(d);
    return;
  }
  pwwCoreInst.pushValue(pwwParentId, PWW.INBOUND, d, pwwNow());
  if (pwwWatch && pwwNotify) pwwNotify();
});

async function pwwBoot(init) {
  try {
    pwwCoreInst = pwwCore(init.files["_core.wasm"]);
    pwwParentId = pwwCoreInst.exports.pww_w_create(PWW.KIND_PYTHON);
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW.STARTING);
    pwwCoreInst.exports.pww_w_set_state(pwwParentId, PWW.RUNNING);
  } catch (e) {
    pwwCoreInst = null;
    return pwwSay(PWW.C_FAILED, { error: pwwErr(e) });
  }
  let py;
  try {
    const { loadPyodide } = await import(init.moduleURL);
    py = await loadPyodide({
      indexURL: init.indexURL,
      stdout: (text) => pwwSay(PWW.C_OUTPUT, { stream: "stdout", text }),
      stderr: (text) => pwwSay(PWW.C_OUTPUT, { stream: "stderr", text }),
    });
    pwwInstall(py, init.files);
    py.registerJsModule("_pywebworker_parent", pwwParentApi());
    if (init.packages.length) {
      await py.loadPackage("micropip");
      await py.pyimport("micropip").install(init.packages);
    }
  } catch (e) {
    return pwwSay(PWW.C_FAILED, { error: pwwErr(e) });
  }
  pwwSay(PWW.C_STARTED);
  try {
    const code = init.url ? await pwwFetchText(init.url) : init.script;
    // A filename not in <...> makes Pyodide put the source in linecache: tracebacks show lines.
    await py.runPythonAsync(code, { filename: `/worker/${init.name}.py` });
    pwwSay(PWW.C_READY);
  } catch (e) {
    pwwSay(PWW.C_FAILED, { error: pwwErr(e) });
  }
}

// Write the host's copy of the pywebworker package into this worker's file system.
function pwwInstall(py, files) {
  const root = "/lib/pywebworker-host";
  for (const [rel, bytes] of Object.entries(files)) {
    const path = `${root}/pywebworker/${rel}`;
    py.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    py.FS.writeFile(path, bytes);
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
  return Object.assign(api, {
    id: pwwParentId,
    // Send one payload to the host: text and JSON as text, bytes transferred.
    send(kind, data) {
      if (kind === PWW.JSON) return postMessage(JSON.parse(data));
      if (typeof data === "string") return postMessage(data);
      const copy = ArrayBuffer.isView(data) ? data.slice() : (() => {
        const buf = data.getBuffer("u8");
        try { return buf.data.slice(); } finally { buf.release(); }
      })();
      postMessage(copy.buffer, [copy.buffer]);
    },
    sendError(name, message, stack) { pwwSay(PWW.C_ERROR, { error: { name, message, stack } }); },
    watch(on, notify) { pwwWatch = !!on; if (notify) pwwNotify = notify; },
  });
}
