// JsWorker wrapper under node:worker_threads: after node_shim.js and the "jsworker"
// bundle, with PWW_PARAMS {nonce, user: {text} or {url}, type: "classic" | "module"}.
// A classic script runs in the global scope (vm.runInThisContext), as importScripts would.
{
  try {
    const user = PWW_PARAMS.user, url = user.url;
    if (PWW_PARAMS.type === "module") {
      await import(url ? (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^[a-z]:/i.test(url) ? url : "file://" + url)
                       : "data:text/javascript;base64," + Buffer.from(user.text).toString("base64"));
    } else {
      let text = user.text;
      if (url && /^(https?|data):/.test(url)) {
        const r = await fetch(url);
        if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
        text = await r.text();
      } else if (url) {
        text = require("node:fs").readFileSync(url.startsWith("file:") ? new URL(url) : url, "utf8");
      }
      require("node:vm").runInThisContext(text, { filename: url || "worker-script.js" });
    }
    pwwSay(PWW.READY, pywebworker.exportedNames());
  } catch (e) {
    pwwSay(PWW.FAILED, e);
  }
}
