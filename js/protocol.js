// Wire protocol shared by the host glue and the worker bootstraps.
// Evaluated as plain script text (concatenated in front of the other files), so it
// defines one constant and the batch helper. Values mirror csrc/pww.h.
const PWW = Object.freeze({
  // Lifecycle states (pww.h PWW_STATE_*).
  CREATED: 0, STARTING: 1, RUNNING: 2, KILLED: 3, FAILED: 4,
  STATE_NAMES: ["created", "starting", "running", "killed", "failed"],
  // Worker kinds (pww.h PWW_KIND_*).
  KIND_PYTHON: 1, KIND_JAVASCRIPT: 2,
  // Queues (pww.h PWW_OUTBOUND / PWW_INBOUND).
  OUTBOUND: 0, INBOUND: 1,
  // Message kinds (pww.h PWW_MSG_*).
  TEXT: 1, BYTES: 2, JSON: 3, ERROR: 4,
  // Error codes the glue makes or tells apart itself (pww.h PWW_E*).
  EINVAL: -2, ENOMEM: -3, EFULL: -6, ESTATE: -5,
  // Control messages are objects carrying this key set to the worker's nonce, so a
  // user payload can never be taken for one (comlink tags its messages the same way).
  TAG: "__pywebworker__",
  // Control message types, worker -> host.
  C_STARTED: "started",  // PyWorker: Pyodide is up, user messages can flow
  C_READY: "ready",      // the user's script has run its top level
  C_FAILED: "failed",    // the script failed; carries {name, message, stack}
  C_OUTPUT: "output",    // a line of the worker's stdout/stderr: {stream, text}
  C_ERROR: "error",      // a non-fatal error, shown to the host as a message: {error}
  C_EXIT: "exit",        // the worker called close(): browsers tell the host nothing else
  // Control message types, host -> worker.
  C_INIT: "init",
  // Both ways between two Pythons (host <-> PyWorker, never to a JsWorker): a JSON
  // message as the JSON text Python wrote, {type: "json", text}, queued as that text
  // by the receiving side. Parsing it into JS values and writing it again would change
  // it (1.0 becomes 1, 2**64+1 is rounded, 10**400 becomes Infinity).
  C_JSON: "json",
  // Worker -> host calls, one at a time: {type: "call", id, name, args, bufs} answered by
  // {type: "return", id, value, bufs} or {type: "throw", id, error: {name, message, stack}}.
  // `args` (a JSON array) and `value` are JSON text in which bytes are the marker object
  // {"\u0000b": i} standing for bufs[i], an ArrayBuffer (see js/worker_calls.js).
  C_CALL: "call", C_RETURN: "return", C_THROW: "throw",
  // Host -> worker calls, batched: every call made in one JS task travels in one
  // {type: "calls", text, bufs} message; the worker answers the calls of a batch that
  // finish at once in one {type: "returns", text, bufs, ids}. `text` is a JSON array of
  // items, [id, name, args, k] and [id, ok (1 or 0), value, k]: with k < 0, args/value is
  // embedded JSON (for a failure, an {name, message, stack} object); with k >= 0 it is
  // JSON text whose bytes markers refer to bufs[k]. `ids` lists the reply ids, so that
  // the host ends each call in its core before Python sees the batch.
  C_CALLS: "calls", C_RETURNS: "returns",
});

// Append one batch item to `b` ({parts, bufs, transfer}); `json` is JSON text, `bufs`
// the ArrayBuffers its markers refer to (or nothing).
function pwwBatchItem(b, head, json, bufs) {
  if (bufs && bufs.length) {
    b.parts.push(`[${head},${JSON.stringify(json)},${b.bufs.length}]`);
    b.bufs.push(bufs);
    for (const x of bufs) b.transfer.push(x);
  } else {
    b.parts.push(`[${head},${json},-1]`);
  }
}
