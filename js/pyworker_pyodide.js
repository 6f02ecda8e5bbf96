// PyWorker bootstrap, Pyodide's part: after the shared part (js/pyworker.js), in the
// "pyworker" bundle of js/manifest.json. pwwBoot loads Pyodide, installs this package
// and the requested packages, and runs the script (steps 3-4 of js/pyworker.js).

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
  // This worker's queue takes messages from now on, so the host may deliver while
  // Pyodide loads: what the host sent before start() is waiting here, all of it, when
  // the script runs (not still on its way, racing the script's first receive()).
  pwwSay(PWW.STARTED);
  let boot = null, quiet = false;
  try {
    const { loadPyodide } = await import(init.moduleURL);
    const py = await loadPyodide({
      indexURL: init.indexURL,
      // While packages install, Pyodide's "Loading x"/"Loaded x" lines are not the user's.
      stdout: (text) => { if (!quiet) pwwSay(PWW.OUTPUT, "stdout", text); },
      stderr: (text) => pwwSay(PWW.OUTPUT, "stderr", text),
    });
    // The host stores 2 (SIGINT) here to raise KeyboardInterrupt in running Python.
    if (init.interrupt) py.setInterruptBuffer(init.interrupt);
    pwwInstall(py, { pywebworker: init.files, ...init.modules });
    py.registerJsModule("_pywebworker_parent", pwwParentApi());
    // The handshake, said by pywebworker/_boot.py (which catches and formats errors).
    py.registerJsModule("_pywebworker_boot", {
      ready(exports) { pwwSay(PWW.READY, exports); },
      failed(name, message, stack) { pwwSay(PWW.FAILED, { name, message, stack }); },
      quiet(on) { quiet = !!on; },
    });
    if (init.packages.length) {
      quiet = true;
      try { await py.loadPackage("micropip", { messageCallback: () => {} }); } finally { quiet = false; }
    }
    boot = py.pyimport("pywebworker._boot");
  } catch (e) {
    if (boot) boot.destroy();
    return pwwSay(PWW.FAILED, e);
  }
  try {
    if (!await boot.install(JSON.stringify(init.packages), JSON.stringify(init.indexes || {}))) return;
    let job = init;
    if (init.spare) {
      pwwSay(PWW.WARM);
      job = await pwwRunTaken;
    }
    const code = job.url ? await pwwFetchText(job.url) : job.script;
    // A filename not in <...> makes Pyodide put the source in linecache: tracebacks show lines.
    await boot.run(code, `/worker/${job.name}.py`, !!job.tasks);
  } catch (e) {
    pwwSay(PWW.FAILED, e);
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
