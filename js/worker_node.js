// JsWorker wrapper under node:worker_threads. Prepended: node_shim.js, PWW_TAG,
// PWW_NONCE, payload.js, worker_calls.js, PWW_USER ({text} or {url}), PWW_TYPE ("classic" | "module").
// A classic script runs in the global scope (vm.runInThisContext), as importScripts would.
(async () => {
  const say = (type, extra) => postMessage(Object.assign({ [PWW_TAG]: PWW_NONCE, type }, extra));
  try {
    const url = PWW_USER.url;
    if (PWW_TYPE === "module") {
      await import(url ? (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^[a-z]:/i.test(url) ? url : "file://" + url)
                       : "data:text/javascript;base64," + Buffer.from(PWW_USER.text).toString("base64"));
    } else {
      let text = PWW_USER.text;
      if (url && /^(https?|data):/.test(url)) {
        const r = await fetch(url);
        if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
        text = await r.text();
      } else if (url) {
        text = require("node:fs").readFileSync(url.startsWith("file:") ? new URL(url) : url, "utf8");
      }
      require("node:vm").runInThisContext(text, { filename: url || "worker-script.js" });
    }
    say("ready", { exports: pywebworker.exportedNames() });
  } catch (e) {
    say("failed", { error: { name: e.name || "Error", message: e.message || String(e), stack: e.stack || "" } });
  }
})();
