// PyWorker bootstrap, Pyodide's part: after the shared part (js/pyworker.js), in the
// "pyworker" bundle of js/manifest.json. pwwBoot loads Pyodide, installs this package
// and the requested packages, applies the config and runs the script (steps 3-5 of js/pyworker.js).

async function pwwBoot(init) {
  if (!pwwOpenQueue(init)) return;
  let boot = null, quiet = false, py = null;
  try {
    pwwSay(PWW.STAGE, "loading");
    py = await pwwLoadPyodide(init, {
      indexURL: init.indexURL,
      // While packages install, Pyodide's "Loading x"/"Loaded x" lines are not the user's.
      stdout: (text) => { if (!quiet) pwwSay(PWW.OUTPUT, "stdout", text); },
      stderr: (text) => pwwSay(PWW.OUTPUT, "stderr", text),
    });
    // The host stores 2 (SIGINT) here to raise KeyboardInterrupt in running Python
    // (where: pywebworker/_interrupt.py).
    if (init.interrupt) { pwwInterrupt = init.interrupt; py.setInterruptBuffer(init.interrupt); }
    // Without shared memory, Python blocks with JSPI where the engine has it (parent.sync,
    // input(), time.sleep: pywebworker/_sync.py), also when entered from this worker's events.
    pwwPromising = !pwwSharedMemory() && pwwJspi();
    py.registerJsModule("_pywebworker_parent", pwwParentApi());
    // The handshake, said by pywebworker/_boot.py (which catches and formats errors).
    py.registerJsModule("_pywebworker_boot", {
      ready(exports) { pwwSay(PWW.READY, exports); },
      failed(name, message, stack) { pwwSay(PWW.FAILED, { name, message, stack }); },
      quiet(on) { quiet = !!on; },
    });
    boot = py.pyimport("pywebworker._boot");
  } catch (e) {
    if (boot) boot.destroy();
    return pwwSay(PWW.FAILED, e);
  }
  // False once it said why it failed.
  const install = async (packages) => {
    if (!packages.length) return true;
    pwwSay(PWW.STAGE, "installing");
    quiet = true;
    try { await py.loadPackage("micropip", { messageCallback: () => {} }); } finally { quiet = false; }
    return boot.install(JSON.stringify(packages), JSON.stringify(init.indexes || {}));
  };
  try {
    if (!await install(init.packages)) return;
    let job = init;
    if (init.spare) {
      pwwSay(PWW.WARM);
      job = await pwwRunTaken;
    }
    const config = await pwwPyConfig(py, boot, job.config, install);
    if (!config) return;
    pwwSay(PWW.STAGE, "script");
    const code = job.url ? await pwwFetchText(job.url) : job.script;
    // A filename not in <...> makes Pyodide put the source in linecache: tracebacks show lines.
    await boot.run(code, `/worker/${job.name}.py`, !!job.tasks, JSON.stringify(config));
  } catch (e) {
    pwwSay(PWW.FAILED, e);
  } finally {
    boot.destroy();
  }
}

// Pyodide with this package installed (and, in a snapshot, imported), no JS module
// registered yet. From init.snapshot when there is one (Pyodide's `_loadSnapshot`: the
// snapshot holds Python's memory, not the file system, so the package files are written
// again); one that fails to load is said ("load-failed") and Pyodide boots plainly. Else,
// with init.snapshotCache, from the snapshot an earlier page load cached (js/snapshot_cache.js:
// "cached"; a corrupt or unloadable one is said, "cache-failed"). With init.makeSnapshot
// and no cached one, the snapshot is taken here, the latest point Pyodide allows (a JS
// module registered, or any JS object held from Python, would be refused), posted ("made",
// transferred, with Pyodide's version: the host caches it) before the boot goes on. See
// js/host_snapshot.js.
async function pwwLoadPyodide(init, options) {
  const cache = init.snapshotCache && !init.snapshot ? pwwSnapshotCache(init.moduleURL, init.files) : null;
  const { loadPyodide, version } = await import(init.moduleURL);
  const packages = { pywebworker: init.files, ...init.modules };
  const fromSnapshot = async (bytes) => {
    const py = await loadPyodide({ ...options, _loadSnapshot: bytes });
    // Pyodide keeps its options: the snapshot (tens of MiB) would live as long as the worker.
    try { py._api.config._loadSnapshot = undefined; } catch (_) { /* private API gone: only memory */ }
    pwwInstall(py, packages);
    pwwPyCall(py, "importlib", "invalidate_caches");  // the directories Python listed are new
    // Every worker of a snapshot would draw the same `random` numbers (the Mersenne
    // Twister's state is in the snapshot): a pool's Monte Carlo tasks would repeat.
    py.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
    return py;
  };
  if (init.snapshot) {
    const given = init.snapshot;
    init.snapshot = null;  // not held while the worker runs: its own copy or the host's shared one
    try {
      // Pyodide decodes its header with a TextDecoder, which refuses shared memory in a
      // browser: there, one copy.
      return await fromSnapshot(given.buffer instanceof ArrayBuffer || pwwDecodesShared() ? given : given.slice());
    } catch (e) {
      pwwSay(PWW.SNAPSHOT, "load-failed", null, pwwErrorInfo(e, "the memory snapshot could not be loaded: "));
    }
  }
  const cached = cache ? await cache.read(version) : null;
  if (cached && cached.error) pwwSay(PWW.SNAPSHOT, "cache-failed", null, pwwErrorInfo(cached.error));
  if (cached && cached.bytes) {
    try {
      const py = await fromSnapshot(cached.bytes);
      // The maker hands the bytes to the host for the session's later PyWorkers.
      if (init.makeSnapshot) pwwPost(pwwMessage(PWW_NONCE, PWW.SNAPSHOT, "cached", cached.bytes), [cached.bytes.buffer]);
      else pwwSay(PWW.SNAPSHOT, "cached");
      return py;
    } catch (e) {
      pwwSay(PWW.SNAPSHOT, "cache-failed", null, pwwErrorInfo(e, "the cached memory snapshot could not be loaded: "));
    }
  }
  const py = await loadPyodide(init.makeSnapshot ? { ...options, _makeSnapshot: true } : options);
  pwwInstall(py, packages);
  // What every worker imports, once for all when it goes into the snapshot (no name bound
  // in __main__: pyimport, not runPython).
  for (const name of init.makeSnapshot ? ["pywebworker", "pywebworker._boot", "pywebworker._task"] : []) {
    py.pyimport(name).destroy();
  }
  if (init.makeSnapshot) {
    let bytes = null;
    try { bytes = py.makeMemorySnapshot(); } catch (e) {
      pwwSay(PWW.SNAPSHOT, "make-failed", null, pwwErrorInfo(e, "the memory snapshot could not be made: "));
    }
    // The host caches it (it outlives this worker, which may be killed at once), replacing
    // a stale or corrupt entry; one that could not be made is removed here.
    if (cache && !bytes && cached) cache.remove();
    if (bytes) pwwPost(pwwMessage(PWW_NONCE, PWW.SNAPSHOT, "made", bytes, null, version), [bytes.buffer]);
  }
  return py;
}

// Whether TextDecoder reads shared memory here (Node: yes; browsers: no).
function pwwDecodesShared() {
  try { new TextDecoder().decode(new Uint8Array(new SharedArrayBuffer(1))); return true; } catch (_) { return false; }
}

// module.name(), its proxies released.
function pwwPyCall(py, module, name) {
  const m = py.pyimport(module);
  try { m[name](); } finally { m.destroy(); }
}

// The PyWorker's config (pywebworker/_config.py; null: none): a config URL fetched and
// checked here first and its packages installed (a spare's own were installed before it
// was taken); then the working directory and files (worker_config.js). Returns what
// _boot.run applies ({env, argv}), or null once it said why the start failed.
async function pwwPyConfig(py, boot, config, install) {
  if (!config) return {};
  if (config.url) {
    const checked = boot.load_config(new TextDecoder().decode(await pwwFetchBytes(config.url)), config.url);
    if (!checked) return null;
    config = JSON.parse(checked);
    if (!await install(config.packages)) return null;
  }
  if (config.files && config.files.length) pwwSay(PWW.STAGE, "files");
  await pwwConfigFiles(py.FS, config, (bytes, dir, format) => py.unpackArchive(bytes, format, { extractDir: dir }), {
    keep: PWW_HOST_ROOT,
    strerror: (errno) => py.runPython(`import os; os.strerror(${errno | 0})`),
  });
  return { env: config.env, argv: config.argv };
}

// Write the host's copy of the pywebworker package (and, in JupyterLite, of piplite)
// into this worker's file system: `packages` is {name: {relative path: bytes}}.
const PWW_HOST_ROOT = "/lib/pywebworker-host";
function pwwInstall(py, packages) {
  const root = PWW_HOST_ROOT;
  for (const [name, files] of Object.entries(packages)) {
    for (const [rel, bytes] of Object.entries(files)) {
      const path = `${root}/${name}/${rel}`;
      py.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
      py.FS.writeFile(path, bytes);
    }
  }
  py.runPython(`import sys\nif ${JSON.stringify(root)} not in sys.path: sys.path.insert(0, ${JSON.stringify(root)})`);
}
