// JsWorker wrapper, classic browser worker: after the "jsworker" bundle, with
// PWW_PARAMS {nonce, url}. Runs the user's script in the worker's global scope, then
// says ready; a script that throws at its top level is reported as a failed start.
{
  let ok = true;
  try { importScripts(PWW_PARAMS.url); } catch (e) {
    ok = false;
    pwwSay(PWW.FAILED, e);
  }
  if (ok) pwwSay(PWW.READY, pywebworker.exportedNames());
}
