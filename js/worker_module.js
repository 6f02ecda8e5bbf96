// JsWorker wrapper, module browser worker: after the "jsworker" bundle, with
// PWW_PARAMS {nonce, url}. Imports the user's module, then says ready.
try {
  await import(PWW_PARAMS.url);
  pwwSay(PWW.READY, pywebworker.exportedNames());
} catch (e) {
  pwwSay(PWW.FAILED, e);
}
