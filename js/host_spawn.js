// pwwHostSpawn: a worker's thread, for pwwHost (host.js): the source text it runs and
// the URLs it loads, the Worker itself (Web Worker in a browser, also nested in a
// worker; node:worker_threads in Node) with its event handlers, and stopping it.
// Its parts are in `h`, the context pwwHost makes (see host.js).

function pwwHostSpawn(h) {
  const { bundles } = h;
  const WT = (typeof globalThis.Worker === "undefined" && globalThis.process && process.getBuiltinModule)
    ? process.getBuiltinModule("node:worker_threads") : null;
  const requirePath = () => process.getBuiltinModule("node:path");

  // Every handler runs under guard() (host_inbound.js): none throws. The handlers find
  // the record through `rec.box`, so that a spare's thread can pass to the PyWorker that
  // takes it (host.js adopt).
  function spawn(rec, source, type, name) {
    const { onData, pushError, fail } = h;  // looked up once per worker, not per message
    // Inside a PyWorker that blocks with JSPI (host.js `promising`), events in order (pwwGate).
    const guard = h.gate ? (r, fn, a) => h.gate.run(() => h.guard(r, fn, a)) : h.guard;
    const box = rec.box = { rec, ring: null };  // ring: js/ring.js pwwRingReader, host.js sets it
    if (WT) {
      const w = new WT.Worker(source, { eval: true, name: name || undefined });
      w.on("message", (d) => guard(box.rec, onData, d));
      w.on("messageerror", () => { if (box.ring) box.ring.handled(); guard(box.rec, pushError, { name: "DataCloneError", message: "a message from the worker could not be deserialised" }); });
      w.on("error", (e) => guard(box.rec, fail, e));
      w.on("exit", (code) => guard(box.rec, fail, { name: "WorkerExit", message: `the worker exited with code ${code}` }));
      return w;
    }
    const url = blobURL(rec, source);
    const w = new Worker(url, { type, name: name || undefined });
    w.onmessage = (ev) => guard(box.rec, onData, ev.data);
    w.onmessageerror = () => { if (box.ring) box.ring.handled(); guard(box.rec, pushError, { name: "DataCloneError", message: "a message from the worker could not be deserialised" }); };
    w.onerror = (ev) => {
      ev.preventDefault();
      const where = ev.filename ? ` (${ev.filename}:${ev.lineno}:${ev.colno})` : "";
      guard(box.rec, fail, { message: (ev.message || "the worker script could not be loaded") + where });
    };
    return w;
  }

  function stop(rec) {
    rec.sync = rec.syncBig = null;  // a synchronous request's channel and pending answer
    rec.syncPosted = null;  // the `post` requests Python is answering (js/host_calls.js)
    rec.dom = null;  // the host objects its proxies held (js/host_dom.js)
    h.snapshotStopped(rec.box);
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

  function blobURL(rec, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    rec.urls.push(url);
    return url;
  }

  function releaseURLs(rec) {
    for (const u of rec.urls) URL.revokeObjectURL(u);
    rec.urls = [];
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

  // A PyWorker's bootstrap: Pyodide's, or MicroPython's for interpreter "micropython".
  const pySource = (rec, interpreter) =>
    pwwWorkerSource(bundles, interpreter === "micropython" ? "mpyworker" : "pyworker", { nonce: rec.nonce }, !!WT);

  function absolute(url) {
    if (WT && !/^[a-z][a-z0-9+.-]*:/i.test(url)) return requirePath().resolve(url);
    const base = globalThis.location ? globalThis.location.href : undefined;
    return base ? new URL(url, base).href : url;
  }

  function indexURLs(indexURL, module = "pyodide.mjs") {
    // Node loads pyodide.mjs by file URL and wants indexURL as a path; a browser wants
    // absolute URLs for both, since a blob-URL worker has no base to resolve against.
    if (WT) {
      const path = requirePath();
      const dir = /^file:/.test(indexURL) ? new URL(indexURL).pathname : path.resolve(indexURL);
      const withSlash = dir.endsWith("/") ? dir : dir + "/";
      return { indexURL: withSlash, moduleURL: "file://" + withSlash + module };
    }
    const abs = absolute(indexURL.endsWith("/") ? indexURL : indexURL + "/");
    return { indexURL: abs, moduleURL: abs + module };
  }

  return { spawn, stop, releaseURLs, jsSource, pySource, absolute, indexURLs };
}

// The source text of a worker: `which` bundle of js/manifest.json ("pyworker", "mpyworker" or a
// JsWorker wrapper, which also gets the "jsworker" bundle) with its parameters, inside
// one function, so that a user's classic script (run in the global scope) sees only
// `pywebworker`, never the glue's names; under Node the shim of Web Worker globals
// comes first. `params` ({nonce, ...}) is written as JSON: no value can break out.
function pwwWorkerSource(bundles, which, params, node) {
  const lib = which === "pyworker" || which === "mpyworker" ? "" : bundles.jsworker;
  const body = `const PWW_PARAMS = ${JSON.stringify(params)};\n${lib}${bundles[which]}`;
  return (node ? bundles.nodeShim : "") + `(async () => {\n${body}\n})();\n`;
}
