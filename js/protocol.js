// Wire protocol shared by the host glue and the worker bootstraps.
// Evaluated as plain script text (concatenated in front of the other files), so it
// defines one constant and nothing else. Values mirror csrc/pww.h.
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
  // The one error code the glue makes itself (pww.h PWW_ENOMEM): a scratch buffer
  // could not be allocated.
  ENOMEM: -3, ESTATE: -5,
  // Control messages are objects carrying this key set to the worker's nonce, so a
  // user payload can never be taken for one (comlink tags its messages the same way).
  TAG: "__pywebworker__",
  // Control message types, worker -> host.
  C_STARTED: "started",  // PyWorker: Pyodide is up, user messages can flow
  C_READY: "ready",      // the user's script has run its top level
  C_FAILED: "failed",    // the script failed; carries {name, message, stack}
  C_OUTPUT: "output",    // a line of the worker's stdout/stderr: {stream, text}
  C_ERROR: "error",      // a non-fatal error, shown to the host as a message: {error}
  // Control message types, host -> worker.
  C_INIT: "init",
  // Calls, both ways: {type: "call", id, name, args, bufs} answered by
  // {type: "return", id, value, bufs} or {type: "throw", id, error: {name, message, stack}}.
  // `args` (a JSON array) and `value` are JSON text in which bytes are the marker object
  // {"\u0000b": i} standing for bufs[i], an ArrayBuffer (see js/worker_calls.js).
  C_CALL: "call", C_RETURN: "return", C_THROW: "throw",
});
