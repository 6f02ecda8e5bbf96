// Web Worker globals inside a node:worker_threads worker, so that one script runs in a
// browser and in Node: self, postMessage, onmessage, addEventListener,
// removeEventListener, close. Message events carry `data` like a MessageEvent.
{
  const { parentPort } = require("node:worker_threads");
  const listeners = new Set();
  globalThis.self = globalThis;
  globalThis.onmessage = null;
  globalThis.postMessage = (data, transfer) => parentPort.postMessage(data, transfer);
  globalThis.addEventListener = (type, fn) => { if (type === "message") listeners.add(fn); };
  globalThis.removeEventListener = (type, fn) => { if (type === "message") listeners.delete(fn); };
  globalThis.close = () => process.exit(0);
  parentPort.on("message", (data) => {
    const event = { type: "message", data, target: globalThis };
    if (typeof globalThis.onmessage === "function") globalThis.onmessage(event);
    for (const fn of listeners) fn(event);
  });
}
