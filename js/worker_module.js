// JsWorker wrapper, module browser worker. Prepended: PWW_TAG, PWW_NONCE, payload.js, worker_calls.js,
// PWW_URL.
const pwwSay = (type, extra) => postMessage(Object.assign({ [PWW_TAG]: PWW_NONCE, type }, extra));
try {
  await import(PWW_URL);
  pwwSay("ready", { exports: pywebworker.exportedNames() });
} catch (e) {
  pwwSay("failed", { error: { name: e.name || "Error", message: e.message || String(e), stack: e.stack || "" } });
}
