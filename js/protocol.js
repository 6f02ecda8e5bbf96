// The wire protocol between the host and its workers: every control message is defined
// here once (its type, its fields, a builder and a reader) and every side uses these
// (comlink's protocol.ts does the same). Requires constants.js; js/manifest.json says
// which files come before which.
//
// A control message is {__pywebworker__: nonce, type, ...fields}; anything else is a
// user payload. The nonce is the worker's own, so a user payload can never be taken
// for a control message. An `error` field is always {name, message, stack} (strings).
const PWW = Object.freeze({
  TAG: "__pywebworker__",
  INIT: "init", STARTED: "started", READY: "ready", FAILED: "failed", OUTPUT: "output",
  ERROR: "error", EXIT: "exit", JSON: "json", CALLS: "calls", RETURNS: "returns",
  WARM: "warm", RUN: "run", MSGS: "msgs", RING: "ring", BELL: "bell", SYNC: "sync", STAGE: "stage",
  SNAPSHOT: "snapshot",
});

// A PyWorker's start-up stages, in order (a start skips those it does not need):
// loading the interpreter, installing packages, fetching the config's files, running the script.
const PWW_STAGES = Object.freeze(["loading", "installing", "files", "script"]);
const pwwStr = (v, dflt = "") => (v === undefined || v === null ? dflt : String(v));
const pwwList = (v) => (Array.isArray(v) ? v : []);
const PWW_INIT_FIELDS = ["indexURL", "moduleURL", "name", "script", "url", "packages", "files", "indexes", "modules",
  "spare", "tasks", "interrupt", "config", "interpreter", "ring", "snapshot", "makeSnapshot", "snapshotCache"];
// What a spare waits for: the script to run, as in `init` (see `warm`).
const PWW_RUN_FIELDS = ["name", "script", "url", "tasks", "config"];
const pwwPick = (o, keys) => { const out = {}; for (const k of keys) out[k] = o[k]; return out; };

// type -> {dir, build(...args) -> fields, read(message) -> fields}: the one table of
// messages. A reader never throws on a malformed field: it reads a default instead.
const PWW_MESSAGES = Object.freeze(Object.assign(Object.create(null), {
  // The first message to a PyWorker: where Pyodide lives, the package files, the script
  // (`tasks`: serve a WorkerPool's tasks too). With `spare`, no script: the worker boots
  // and says `warm`, then waits for `run`. `interrupt`: an Int32Array on shared memory,
  // Pyodide's interrupt buffer (setInterruptBuffer), where shared memory exists.
  // `config`: the PyWorker's config (pywebworker/_config.py worker_part) or null.
  // `interpreter`: "pyodide" (js/pyworker_pyodide.js) or "micropython" (js/mpyworker.js,
  // which reads MicroPython from indexURL, or from `files` when indexURL is null).
  // `ring`: the worker's shared ring (js/ring.js, a SharedArrayBuffer) or null.
  // `snapshot`: a Pyodide memory snapshot to boot from (a Uint8Array, on a SharedArrayBuffer
  // where shared memory exists) or null; `makeSnapshot`: boot so as to make one and post it
  // (`snapshot`); `snapshotCache`: without `snapshot`, boot from the snapshot an earlier page
  // load cached, if there is one (js/snapshot_cache.js). See js/host_snapshot.js.
  init: { dir: "host->pyworker", build: (opts) => pwwPick(opts, PWW_INIT_FIELDS), read: (d) => pwwPick(d, PWW_INIT_FIELDS) },
  // A PyWorker's memory snapshot (js/host_snapshot.js): `event` "made" (`bytes`, a
  // Uint8Array whose buffer is transferred), "make-failed" or "load-failed" (`error`; the
  // worker boots plainly), "cached" (it booted from the snapshot cached by an earlier page
  // load; the maker gives its `bytes`, transferred) or "cache-failed" (`error`: a corrupt
  // or unloadable cached one, not used and replaced); `version`: the Pyodide version, with
  // "made" (the host caches the snapshot under it).
  snapshot: { dir: "pyworker->host", build: (event, bytes, e, version) => ({ event: String(event), bytes: bytes || null, error: e ? pwwErrorInfo(e) : null, version: version ? String(version) : null }),
    read: (d) => ({ event: ["made", "make-failed", "load-failed", "cached", "cache-failed"].includes(d.event) ? d.event : "load-failed",
      bytes: Object.prototype.toString.call(d.bytes) === "[object Uint8Array]" ? d.bytes : null,
      error: d.error ? pwwErrorInfo(d.error) : null, version: typeof d.version === "string" ? d.version : null }) },
  // A spare's Pyodide and packages are up, its script not given yet (pywebworker.prestart).
  warm: { dir: "pyworker->host", build: () => ({}), read: () => ({}) },
  // The script a spare runs, once a PyWorker took it: the script fields of `init`.
  run: { dir: "host->pyworker", build: (opts) => pwwPick(opts, PWW_RUN_FIELDS), read: (d) => pwwPick(d, PWW_RUN_FIELDS) },
  // A PyWorker's Pyodide and packages are up: the host may deliver user messages.
  started: { dir: "pyworker->host", build: () => ({}), read: () => ({}) },
  // A PyWorker's start-up reached a stage (PWW_STAGES), for the host's progress line
  // (pywebworker/_display.py): a few per start, none once the script runs.
  stage: { dir: "pyworker->host", build: (stage) => ({ stage: String(stage) }),
    read: (d) => ({ stage: PWW_STAGES.includes(d.stage) ? d.stage : "" }) },
  // The script's top level has run (or waits for the host); `exports` are its names.
  ready: { dir: "worker->host", build: (exports) => ({ exports: Array.from(exports || [], String) }),
    read: (d) => ({ exports: pwwList(d.exports).map(String) }) },
  // The worker cannot go on: the host fails it.
  failed: { dir: "worker->host", build: (e) => ({ error: pwwErrorInfo(e) }), read: (d) => ({ error: pwwErrorInfo(d.error) }) },
  // A line of a PyWorker's stdout or stderr.
  output: { dir: "pyworker->host", build: (stream, text) => ({ stream: String(stream), text: String(text) }),
    read: (d) => ({ stream: d.stream === "stderr" ? "stderr" : "stdout", text: pwwStr(d.text) }) },
  // A non-fatal error: an error message in the host's inbound queue.
  error: { dir: "worker->host", build: (e) => ({ error: pwwErrorInfo(e) }), read: (d) => ({ error: pwwErrorInfo(d.error) }) },
  // The worker called close(): a browser tells the host nothing else.
  exit: { dir: "worker->host", build: () => ({}), read: () => ({}) },
  // A JSON message between two Pythons, as the JSON text Python wrote: parsing it into
  // JS values and writing it again would change it (1.0 becomes 1, 2**64+1 is
  // rounded, 10**400 becomes Infinity).
  json: { dir: "host<->pyworker", build: (text) => ({ text: String(text) }), read: (d) => ({ text: pwwStr(d.text) }) },
  // User messages sent in one JS task, in one postMessage (both ways): their text (text
  // and JSON kinds only) as one UTF-8 buffer, transferred; `meta` is an Int32Array of
  // [kind, byte length] pairs, in order. See pwwPackMessages / pwwEachMessage.
  // `ascii`: the sender knows every byte is ASCII (the receiver may decode all at once).
  msgs: { dir: "both", build: (meta, buf, ascii) => ({ meta, buf, ascii: !!ascii }),
    read: (d) => ({ meta: pwwIsInt32(d.meta) ? d.meta : new Int32Array(0), buf: pwwIsBuffer(d.buf) ? d.buf : new ArrayBuffer(0),
      ascii: d.ascii === true }) },
  // A JsWorker's shared ring (js/ring.js): its user messages go there while it has room.
  ring: { dir: "host->jsworker", build: (buf) => ({ buf }),
    read: (d) => ({ buf: Object.prototype.toString.call(d.buf) === "[object SharedArrayBuffer]" ? d.buf : null }) },
  // The worker wrote into its ring: the host reads it (js/ring.js). Carries nothing, so
  // it is not counted among the posts the ring's order rule counts.
  bell: { dir: "worker->host", build: () => ({}), read: () => ({}) },
  // A batch of calls (items [id, name, args, k]), every call made in one JS task.
  calls: { dir: "both", build: (text, bufs) => ({ text, bufs: bufs || [] }),
    read: (d) => ({ text: pwwStr(d.text, "[]"), bufs: pwwList(d.bufs) }) },
  // Replies to calls (items [id, ok, value, k]); `ids` lists them, so that the
  // receiving glue ends each in its core before the batch is read.
  returns: { dir: "both", build: (text, bufs, ids) => ({ text, bufs: bufs || [], ids }),
    read: (d) => ({ text: pwwStr(d.text, "[]"), bufs: pwwList(d.bufs), ids: pwwList(d.ids) }) },
  // A worker's synchronous request (js/sync.js): it waits in Atomics.wait until the host
  // answers into the shared channel. `kind` "call": `name`, `text` (args JSON text) and
  // `bufs` as a `calls` item; "fetch": write the answer to `seq` into `channel` (it was
  // too big). `channel`: the worker's SharedArrayBuffer, with its first request.
  // `post`: a PyWorker without shared memory waits with JSPI instead (pywebworker/_sync.py):
  // the host posts the answer back, a `returns` of one item whose id is -seq.
  sync: { dir: "worker->host", build: (kind, seq, name, text, bufs, channel, post) => ({ kind, seq, name, text, bufs, channel: channel || null, post: !!post }),
    read: (d) => ({ kind: pwwStr(d.kind), seq: Number.isInteger(d.seq) ? d.seq : 0, name: pwwStr(d.name), text: pwwStr(d.text, "[]"),
      bufs: pwwList(d.bufs), channel: Object.prototype.toString.call(d.channel) === "[object SharedArrayBuffer]" ? d.channel : null,
      post: d.post === true }) },
}));

const pwwIsInt32 = (v) => Object.prototype.toString.call(v) === "[object Int32Array]";
const pwwIsBuffer = (v) => Object.prototype.toString.call(v) === "[object ArrayBuffer]";

// The builder: the control message of `type` for the worker with `nonce`.
function pwwMessage(nonce, type, ...args) {
  const fields = PWW_MESSAGES[type].build(...args);
  fields[PWW.TAG] = nonce;
  fields.type = type;
  return fields;
}

// The reader: null for a user payload, else {type, ...fields}. An unknown type with the
// right nonce is a bug of the glue: it throws, and the caller's guard reports it.
function pwwRead(nonce, d) {
  if (d === null || typeof d !== "object" || d[PWW.TAG] !== nonce) return null;
  const spec = typeof d.type === "string" ? PWW_MESSAGES[d.type] : undefined;
  if (spec === undefined) throw new TypeError(`pywebworker: unknown control message type ${pwwStr(d.type)}`);
  const m = spec.read(d);
  m.type = d.type;
  return m;
}

// THE error-to-data builder: {name, message, stack} of anything thrown (an Error, a
// string, a plain {name, message, stack}), never throwing itself. A Pyodide PythonError
// is named by its Python type (e.type), as Python names it.
function pwwErrorInfo(e, prefix = "") {
  try {
    const o = e !== null && (typeof e === "object" || typeof e === "function");
    const name = o ? (e.name === "PythonError" && e.type ? e.type : e.name) : undefined;
    const message = o && e.message !== undefined ? e.message : e;
    return { name: pwwStr(name, "Error") || "Error", message: prefix + String(message), stack: o ? pwwStr(e.stack) : "" };
  } catch (_) {  // a hostile getter or toString
    return { name: "Error", message: prefix + "(an error that could not be described)", stack: "" };
  }
}

// The JSON text of an error, as an `error` kind message holds it.
const pwwErrorText = (e, prefix) => JSON.stringify(pwwErrorInfo(e, prefix));

// An Error from error data (a rejected call): its name and message, the remote stack apart.
function pwwErrorFrom(info) {
  const i = pwwErrorInfo(info);
  const e = new Error(i.message);
  e.name = i.name;
  e.remoteStack = i.stack;
  return e;
}

// A batch of calls or of replies being built. Its text is a JSON array of items
// [id, second, value, k]: `second` is the called name (calls) or 1/0 (returns: ok or
// failed). With k = -1, value is embedded JSON (a failure's is error data); with k >= 0
// it is JSON text whose markers {"\u0000b": i} stand for bufs[k][i], transferred
// ArrayBuffers. `ids` lists the items' ids, `transfer` every buffer.
const pwwBatch = () => ({ parts: [], bufs: [], transfer: [], ids: [] });

// THE batch-item builder. `json` is JSON text, `bufs` the ArrayBuffers its markers refer
// to (or nothing).
function pwwBatchAdd(b, id, second, json, bufs) {
  const head = typeof second === "string" ? `${id},${JSON.stringify(second)}` : `${id},${second ? 1 : 0}`;
  if (bufs && bufs.length) {
    b.parts.push(`[${head},${JSON.stringify(json)},${b.bufs.length}]`);
    b.bufs.push(bufs);
    for (const x of bufs) b.transfer.push(x);
  } else {
    b.parts.push(`[${head},${json},-1]`);
  }
  b.ids.push(id);
}

const pwwBatchText = (b) => `[${b.parts.join(",")}]`;

// Every call of `ids` answered by one error.
function pwwBatchFailed(ids, e) {
  const b = pwwBatch(), text = pwwErrorText(e);
  for (const id of ids) pwwBatchAdd(b, id, 0, text);
  return b;
}

// The ids of a batch's items, read from its text (for answering a batch that could not
// be served); [] when the text is not a batch.
function pwwBatchIds(text) {
  try {
    const items = JSON.parse(text);
    return Array.isArray(items) ? items.map((item) => (Array.isArray(item) ? item[0] : 0)).filter(Number.isInteger) : [];
  } catch (_) { return []; }
}

// Run fn() at the end of this JS task (a microtask). fn is a guarded Python callback
// (it reports its own errors); a throw here would be an unhandled rejection, which
// ends a Node process, so it is swallowed.
const pwwSoon = (fn) => { Promise.resolve().then(() => { try { fn(); } catch (_) { /* reported by fn */ } }); };

// Python entered with stack switching (Pyodide's callPromising: a PyWorker without shared
// memory that blocks with JSPI, js/pyworker.js pwwEnter), in the order its events came.
// Pyodide 314's callPromising runs Python a moment later, from a task of its own; what
// the events do in JavaScript (a message into the inbound queue) must not run ahead of
// the Python of the events before them (a handler would see a message that came after a
// call it has not served yet). So each event's JavaScript runs through run(): at once,
// unless an enter() has not started its Python yet; then in order, once Python said
// started() (the first thing its entry points do). Python that blocks (suspended) holds
// nothing back: only its start is waited for. failed(e) takes what enter()'s Promise
// rejects with; `onError(e)` what a step throws. direct() calls such an entry point
// plainly (Python told something at its own request): its started() releases nothing.
function pwwGate(onError) {
  const queue = [];
  let waiting = false;
  const pump = () => {
    while (!waiting && queue.length) {
      const step = queue.shift();
      try { step(); } catch (e) { onError(e); }
    }
  };
  const started = () => { if (waiting) { waiting = false; Promise.resolve().then(pump); } };
  return {
    run(step) { queue.push(step); pump(); },
    enter(fn, failed, args) {
      waiting = true;
      let p;
      try { p = fn.callPromising(...args); } catch (e) { started(); throw e; }
      p.catch((e) => { started(); try { failed(e); } catch (e2) { onError(e2); } });
      return p;
    },
    started,
    direct(fn, args) {
      const was = waiting;
      try { return fn(...args); } finally { if (was) waiting = true; }
    },
  };
}

// Items added in one JS task leave in one message: `send(batch)` runs from a microtask
// (or at flush(), which the order rule needs: calls made before a message go before it).
// `send` must not throw (a rejection in a microtask ends a Node process): it answers
// the batch's calls itself when the batch cannot be posted.
function pwwOutbox(send) {
  let b = null;
  const flush = () => {
    const batch = b;
    if (batch === null) return;
    b = null;
    send(batch);
  };
  return {
    add(id, second, json, bufs) {
      if (b === null) {
        b = pwwBatch();
        Promise.resolve().then(flush);  // a microtask (queueMicrotask is missing in some Node contexts)
      }
      pwwBatchAdd(b, id, second, json, bufs);
    },
    flush,
  };
}

// Bytes from Python (Uint8Arrays, or Python buffer proxies inside a PyWorker) as
// ArrayBuffers the message owns, so that they can be transferred: one copy at most,
// none for a Uint8Array spanning its buffer. Undefined when there are none.
function pwwOwnBuffers(bufs) {
  if (!bufs) return undefined;
  const out = [];
  for (const u of bufs) {
    if (!ArrayBuffer.isView(u)) {
      const buf = u.getBuffer("u8");
      try { out.push(buf.data.slice().buffer); } finally { buf.release(); }
    } else out.push(u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? u.buffer : u.slice().buffer);
  }
  return out.length ? out : undefined;
}

// An Int32Array this side owns, from an Int32Array or a Python buffer of int32 values.
function pwwOwnInt32(v) {
  if (pwwIsInt32(v)) return v;
  const buf = pwwOwnBuffers([v])[0];
  return new Int32Array(buf, 0, buf.byteLength >> 2);
}

// Added to the index send() returns for a message queued in the core (not posted at
// once): JS numbers are exact far beyond it, and indices stay below 2**31.
const PWW_SEND_QUEUED = 2 ** 40;

// [lists, transfer] for the lists of bytes of a batch built by Python (its `bufs`).
function pwwOwnBufferLists(lists) {
  const out = [], transfer = [];
  for (const list of lists || []) {
    const own = pwwOwnBuffers(list) || [];
    out.push(own);
    for (const x of own) transfer.push(x);
  }
  return [out, transfer];
}

// Reply ids as Python passes them: "1,2,3" (cheaper across the FFI than a list) or a list.
const pwwIds = (ids) => (typeof ids === "string" ? (ids ? ids.split(",").map(Number) : []) : Array.from(ids || [], Number));

// A `msgs` batch of JS strings: [[kind, text], ...] (text well formed: JSON text, or a
// string pwwWellFormed accepted) as [meta, buf] for pwwMessage(nonce, PWW.MSGS, ...):
// each text encoded once, into one buffer the message owns (transfer it).
function pwwPackMessages(items) {
  let max = 0;
  for (const [, text] of items) max += text.length * 3;
  const out = new Uint8Array(max), meta = new Int32Array(items.length * 2);
  const encoder = pwwPackMessages.encoder || (pwwPackMessages.encoder = new TextEncoder());
  let off = 0;
  for (let k = 0; k < items.length; k++) {
    const { written } = encoder.encodeInto(items[k][1], out.subarray(off));
    meta[2 * k] = items[k][0];
    meta[2 * k + 1] = written;
    off += written;
  }
  return [meta, off === max ? out.buffer : out.slice(0, off).buffer];
}

// The texts of a read `msgs` batch, in order: [[kind, text], ...] (one decoding of the
// whole buffer when the sender said it is ASCII). Throws as pwwEachMessage.
function pwwBatchTexts(m, decoder) {
  const out = [];
  if (!m.ascii) {
    pwwEachMessage(m, (kind, bytes) => out.push([kind, decoder.decode(bytes)]));
    return out;
  }
  const lens = [];
  pwwEachMessage(m, (kind, bytes) => lens.push(kind, bytes.length));
  const all = decoder.decode(m.buf);
  let off = 0;
  for (let k = 0; k < lens.length; k += 2) {
    out.push([lens[k], all.slice(off, off + lens[k + 1])]);
    off += lens[k + 1];
  }
  return out;
}

// Call fn(kind, bytes) for each message of a read `msgs` batch, in order; `bytes` is a
// view of the batch's buffer. A malformed batch (lengths past its buffer, a negative
// length) throws before any message is handed on.
function pwwEachMessage(m, fn) {
  const meta = m.meta, u8 = new Uint8Array(m.buf);
  let total = 0;
  if (meta.length % 2) throw new TypeError("pywebworker: malformed msgs batch (odd meta)");
  for (let k = 0; k < meta.length; k += 2) {
    const kind = meta[k];
    if (kind !== PWW_CORE.MSG_TEXT && kind !== PWW_CORE.MSG_JSON) throw new TypeError(`pywebworker: malformed msgs batch (kind ${kind})`);
    if (meta[k + 1] < 0) throw new TypeError("pywebworker: malformed msgs batch (negative length)");
    total += meta[k + 1];
  }
  if (total > u8.length) throw new TypeError("pywebworker: malformed msgs batch (lengths past its buffer)");
  let off = 0;
  for (let k = 0; k < meta.length; k += 2) {
    fn(meta[k], u8.subarray(off, off + meta[k + 1]));
    off += meta[k + 1];
  }
}
