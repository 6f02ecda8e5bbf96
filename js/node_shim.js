// Web Worker globals inside a node:worker_threads worker, so that one script runs in a
// browser and in Node: self, postMessage, onmessage, addEventListener,
// removeEventListener, close. Message events carry `data` like a MessageEvent.
// As in a browser, listeners run in the order they were added (`onmessage` takes the
// place of its first assignment), and stopImmediatePropagation() skips the rest: the
// wrappers rely on this to keep control messages away from the user's script.
{
  const { parentPort } = require("node:worker_threads");
  const listeners = [];
  let handler = null;
  const slot = (event) => { if (typeof handler === "function") handler.call(globalThis, event); };
  globalThis.self = globalThis;
  Object.defineProperty(globalThis, "onmessage", {
    configurable: true, enumerable: true,
    get: () => handler,
    set: (fn) => { handler = fn; if (!listeners.includes(slot)) listeners.push(slot); },
  });
  globalThis.postMessage = (data, transfer) => parentPort.postMessage(data, transfer);
  globalThis.addEventListener = (type, fn) => { if (type === "message" && !listeners.includes(fn)) listeners.push(fn); };
  globalThis.removeEventListener = (type, fn) => {
    const i = type === "message" ? listeners.indexOf(fn) : -1;
    if (i >= 0) listeners.splice(i, 1);
  };
  globalThis.close = () => process.exit(0);
  parentPort.on("message", (data) => {
    let stopped = false;
    const event = { type: "message", data, target: globalThis, stopImmediatePropagation() { stopped = true; }, stopPropagation() {} };
    for (const fn of listeners.slice()) {
      fn.call(globalThis, event);
      if (stopped) break;
    }
  });
  // A message event made here (each message of a `msgs` batch, worker_calls.js), as a
  // browser's dispatchEvent: a listener that throws does not stop the others or the
  // batch; its error is uncaught all the same (the host fails the worker), one task later.
  globalThis.pwwShimDispatch = (data) => {
    const event = { type: "message", data, target: globalThis, stopImmediatePropagation() {}, stopPropagation() {} };
    for (const fn of listeners.slice()) {
      try { fn.call(globalThis, event); } catch (e) { setTimeout(() => { throw e; }); }
    }
  };
}
