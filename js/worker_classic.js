// JsWorker wrapper, classic browser worker. Prepended: PWW_TAG, PWW_NONCE, payload.js, worker_calls.js,
// PWW_URL.
// Runs the user's script in the worker's global scope, then says ready; a script that
// throws at its top level is reported as a failed start.
{
  const say = (type, extra) => postMessage(Object.assign({ [PWW_TAG]: PWW_NONCE, type }, extra));
  let ok = true;
  try { importScripts(PWW_URL); } catch (e) {
    ok = false;
    say("failed", { error: { name: e.name || "Error", message: e.message || String(e), stack: e.stack || "" } });
  }
  if (ok) say("ready", { exports: pywebworker.exportedNames() });
}
