// pwwCore: the C core (_core.wasm) seen from JavaScript.
// Turns JS values into bytes written straight into wasm memory and back; used by the
// host glue and by the PyWorker bootstrap, each with its own instance.
// Requires protocol.js and payload.js.

function pwwErrorPayload(name, message, stack) {
  return JSON.stringify({ name: String(name), message: String(message), stack: String(stack || "") });
}

function pwwCore(wasmBytes) {
  const module = new WebAssembly.Module(wasmBytes);
  const instance = new WebAssembly.Instance(module, {});
  const x = instance.exports;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let u8 = new Uint8Array(x.memory.buffer);
  let scratch = 0, scratchSize = 0;

  // Wasm memory may grow during any call that allocates; views must follow it.
  const mem = () => (u8.buffer === x.memory.buffer ? u8 : (u8 = new Uint8Array(x.memory.buffer)));
  const scratchFor = (n) => {
    if (n > scratchSize) {
      if (scratch) x.pww_w_free(scratch);
      scratchSize = Math.max(n, 256, scratchSize * 2);
      scratch = x.pww_w_malloc(scratchSize);
      if (!scratch) { scratchSize = 0; return 0; }
    }
    return scratch;
  };
  const errName = (code) => cstr(x.pww_w_err_name(code));
  const cstr = (p) => { const m = mem(); let e = p; while (m[e]) e++; return decoder.decode(m.subarray(p, e)); };

  // Push raw bytes (a Uint8Array) as one message; returns its index or a negative code.
  function pushBytes(id, queue, kind, bytes, timeMs) {
    const p = scratchFor(bytes.length || 1);
    if (!p) return PWW.ENOMEM;
    mem().set(bytes, p);
    return x.pww_w_push(id, queue, kind, p, bytes.length, timeMs);
  }

  function pushText(id, queue, kind, text, timeMs) {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const p = scratchFor(text.length * 3 || 1);
    if (!p) return PWW.ENOMEM;
    const { written } = encoder.encodeInto(text, mem().subarray(p, p + text.length * 3));
    return x.pww_w_push(id, queue, kind, p, written, timeMs);
  }

  // Classify a received JS value (DESIGN.md "Payloads", worker -> Python) and queue it.
  function pushValue(id, queue, value, timeMs) {
    if (typeof value === "string") return pushText(id, queue, PWW.TEXT, value, timeMs);
    if (Object.prototype.toString.call(value) === "[object ArrayBuffer]") return pushBytes(id, queue, PWW.BYTES, new Uint8Array(value), timeMs);
    if (ArrayBuffer.isView(value)) {
      return pushBytes(id, queue, PWW.BYTES, new Uint8Array(value.buffer, value.byteOffset, value.byteLength), timeMs);
    }
    const why = value === undefined ? "undefined" : pwwWhyNot(value, new Set(), false);
    if (why) {
      const msg = `the worker sent a value that cannot be carried: ${why}`;
      return pushText(id, queue, PWW.ERROR, pwwErrorPayload("DataCloneError", msg, ""), timeMs);
    }
    return pushText(id, queue, PWW.JSON, JSON.stringify(value), timeMs);
  }

  // Message metadata: [kind, opened, timeMs, nbytes, seq] or a negative code.
  function info(id, queue, index) {
    const p = x.pww_w_info(id, queue, index);
    if (p < 0) return p;
    const v = new DataView(x.memory.buffer);
    return [v.getInt32(p + 8, true), v.getInt32(p + 12, true), v.getFloat64(p + 16, true),
            v.getUint32(p + 4, true), v.getUint32(p + 24, true)];
  }

  // [kind, payload] for one message (a string for text, JSON and error kinds, bytes as
  // a Uint8Array), the payload undefined when over
  // maxInline bytes (undefined, so Python sees None); a negative code on error.
  // With `view`, bytes come as a view of wasm memory, not a copy: the caller must copy
  // it before anything can allocate in the core (which may grow, and detach, memory).
  function entry(id, queue, index, maxInline, view) {
    const p = x.pww_w_info(id, queue, index);
    if (p < 0) return p;
    const v = new DataView(x.memory.buffer);
    const ptr = v.getUint32(p, true), len = v.getUint32(p + 4, true), kind = v.getInt32(p + 8, true);
    if (len > maxInline) return [kind, undefined];
    const m = mem();
    if (kind !== PWW.BYTES) return [kind, decoder.decode(m.subarray(ptr, ptr + len))];
    return [kind, view ? m.subarray(ptr, ptr + len) : m.slice(ptr, ptr + len)];
  }

  // The payload as the value to postMessage, plus what to transfer.
  function outgoing(id, queue, index) {
    const e = entry(id, queue, index, Infinity, false);
    if (typeof e === "number") throw coreError(e);
    const [kind, value] = e;
    if (kind === PWW.BYTES) return [value.buffer, [value.buffer]];  // a fresh copy: transfer it
    return [kind === PWW.JSON ? JSON.parse(value) : value, undefined];
  }

  function coreError(code) {
    const e = new Error(`${errName(code)}: ${cstr(x.pww_w_strerror(code))}`);
    e.name = "PyWebWorkerCoreError";
    e.code = code;
    return e;
  }

  function listUnread(id, queue) {
    const n = x.pww_w_unread(id, queue);
    if (n <= 0) return n < 0 ? n : [];
    const p = x.pww_w_malloc(n * 4);
    if (!p) return PWW.ENOMEM;
    try {
      const got = x.pww_w_list_unread(id, queue, p, n);
      if (got < 0) return got;
      return Array.from(new Int32Array(x.memory.buffer, p, got));
    } finally { x.pww_w_free(p); }
  }

  return {
    exports: x, pushBytes, pushText, pushValue, info, entry, outgoing, listUnread,
    coreError, errName, strerror: (c) => cstr(x.pww_w_strerror(c)),
  };
}

// The reading side of an endpoint's inbound queue, in the shape the Python package
// expects (pywebworker/_endpoint.py). Shared by the host glue and the PyWorker bootstrap.
function pwwInboundApi(core) {
  const x = core.exports, IN = PWW.INBOUND;
  return {
    length: (id) => x.pww_w_length(id, IN),
    unreadCount: (id) => x.pww_w_unread(id, IN),
    firstUnread: (id) => x.pww_w_first_unread(id, IN),
    listUnread: (id) => core.listUnread(id, IN),
    // held: indices of the messages not released, oldest first, in one crossing.
    held: (id) => {
      const n = x.pww_w_length(id, IN);
      if (n < 0) return n;
      const out = [];
      for (let i = 0; i < n; i++) if (x.pww_w_info(id, IN, i) >= 0) out.push(i);
      return out;
    },
    info: (id, index) => core.info(id, IN, index),
    markOpened: (id, index) => x.pww_w_mark_opened(id, IN, index),
    // The calls below each do in one crossing what Python would otherwise do in
    // several: a crossing costs about a microsecond, a message's own work far less.
    // read: [kind, payload] of message `index`, now marked opened; or a negative code.
    // Bytes are a view of wasm memory that Python copies (to_bytes) at once.
    read: (id, index) => {
      const e = core.entry(id, IN, index, Infinity, true);
      if (typeof e !== "number") x.pww_w_mark_opened(id, IN, index);
      return e;
    },
    // take: the oldest unread message, marked opened: [index, kind, payload], or
    // undefined when none is unread; a payload over maxInline bytes is undefined.
    take: (id, maxInline) => {
      const i = x.pww_w_first_unread(id, IN);
      if (i < 0) return i;
      if (i >= x.pww_w_length(id, IN)) return undefined;
      const e = core.entry(id, IN, i, maxInline, false);
      x.pww_w_mark_opened(id, IN, i);
      return [i, e[0], e[1]];
    },
    // unread: every unread message, oldest first, not marked, as one flat array
    // [index, kind, payload, index, kind, payload, ...]; a payload over maxInline bytes
    // is undefined (read it on its own, so that a backlog of large messages is not copied
    // at once). A negative code on error.
    unread: (id, maxInline) => {
      const list = core.listUnread(id, IN);
      if (typeof list === "number") return list;
      const out = new Array(list.length * 3);
      for (let k = 0; k < list.length; k++) {
        const e = core.entry(id, IN, list[k], maxInline, false);
        out[3 * k] = list[k]; out[3 * k + 1] = e[0]; out[3 * k + 2] = e[1];
      }
      return out;
    },
    releaseOpened: (id) => x.pww_w_release_opened(id, IN),
    state: (id) => x.pww_w_state(id),
    errName: (code) => core.errName(code),
    strerror: (code) => core.strerror(code),
    countWorkers: () => x.pww_w_count_workers(),
    // Debugging aid: the size of this core's wasm memory in bytes (make soak prints it
    // over time; it should stop growing once read messages are released).
    memoryBytes: () => x.memory.buffer.byteLength,
  };
}

// A call's bytes arrive from Python as Uint8Arrays: post them as ArrayBuffers the
// message owns, transferred (one copy at most, none when a view spans its buffer).
// Returns [bufs, transfer list], both undefined when there are none.
function pwwBuffers(bufs) {
  if (!bufs || bufs.length === 0) return [undefined, undefined];
  const out = [];
  for (const u of bufs) out.push(u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? u.buffer : u.slice().buffer);
  return [out, out];
}

// Milliseconds since the epoch, with sub-millisecond precision where available.
const pwwNow = () => (typeof performance === "object" ? performance.timeOrigin + performance.now() : Date.now());
