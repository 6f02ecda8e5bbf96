// JsWorker wrapper, module browser worker: after the "jsworker" bundle, with
// PWW_PARAMS {nonce, url}. Imports the user's module, then says ready.
try {
  await import(PWW_PARAMS.url);
  // Ready in a task of its own, as worker_classic.js says why (Chromium's first task).
  setTimeout(() => pwwSay(PWW.READY, pywebworker.exportedNames()), 0);
} catch (e) {
  pwwSay(PWW.FAILED, e);
}
