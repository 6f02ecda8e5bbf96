// JsWorker wrapper, classic browser worker: after the "jsworker" bundle, with
// PWW_PARAMS {nonce, url}. Runs the user's script in the worker's global scope, then
// says ready; a script that throws at its top level is reported as a failed start.
{
  let ok = true;
  try { importScripts(PWW_PARAMS.url); } catch (e) {
    ok = false;
    pwwSay(PWW.FAILED, e);
  }
  // Ready once the worker's first task (this script) has ended: Chromium holds the page's
  // messages to a worker until the page has seen that task end, so a READY said inside
  // it would let the host send into a queue that moves only when the host's thread is
  // free (a first message sent mid-cell, right after ready(), would wait for the cell).
  if (ok) setTimeout(() => pwwSay(PWW.READY, pywebworker.exportedNames()), 0);
}
