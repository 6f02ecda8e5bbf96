// pwwCore: the C core (_core.wasm) seen from JavaScript.
// Turns JS values into bytes written straight into wasm memory and back; used by the
// host glue and by the PyWorker bootstrap, each with its own instance.
// Requires constants.js, protocol.js and payload.js.

// Received bytes of at least this size stay in JS beside the queue instead of being
// copied into wasm memory (and out again when read): 64 KiB, the size above which
// receive() and get_unread_messages() read a payload on its own anyway.
const PWW_KEEP_MIN = 1 << 16;

// `peer` names the other side in the messages this core writes ("worker" on the host,
// "host" inside a PyWorker).
function pwwCore(wasmBytes, peer = "worker") {
  const module = new WebAssembly.Module(wasmBytes);
  const instance = new WebAssembly.Instance(module, {});
  const x = instance.exports;
  const encoder = new TextEncoder();
  // ignoreBOM: a leading U+FEFF is part of the text, not a mark to strip.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let u8 = new Uint8Array(x.memory.buffer);
  let scratch = 0, scratchSize = 0;
  // A scratch buffer up to this size is kept for the next message; a larger one is
  // freed after its push, so that a one-off big message does not hold a second copy.
  const SCRATCH_KEEP = 1 << 20;
  const MAX_LEN = PWW_CORE.MAX_LEN;
  // Received bytes of at least PWW_KEEP_MIN bytes stay in JS, as the Uint8Array they
  // came in, beside the queue (pww_w_push_kept: the queue counts them, holds no copy):
  // id * 2 + queue -> Map(index -> Uint8Array). Dropped when their message is released.
  const kept = new Map();
  // The ArrayBuffers of released kept messages, reused by copyOut for the next copy of
  // the same size: a fresh 1 MiB ArrayBuffer costs several times the copy into one
  // already in use (zeroing, page faults, garbage collection). At most POOL_MAX of them,
  // POOL_BYTES in all: the newest are kept.
  const pool = [];
  let poolBytes = 0;
  const POOL_MAX = 4, POOL_BYTES = 16 << 20;

  // Wasm memory may grow during any call that allocates; views must follow it.
  const mem = () => (u8.buffer === x.memory.buffer ? u8 : (u8 = new Uint8Array(x.memory.buffer)));
  const scratchFor = (n) => {
    if (n > scratchSize) {
      if (scratch) x.pww_w_free(scratch);
      scratchSize = Math.max(n, 256, Math.min(scratchSize * 2, SCRATCH_KEEP));
      scratch = x.pww_w_malloc(scratchSize);
      if (!scratch) { scratchSize = 0; return 0; }
    }
    return scratch;
  };
  const scratchDone = () => {
    if (scratchSize > SCRATCH_KEEP) { x.pww_w_free(scratch); scratch = 0; scratchSize = 0; }
  };
  const errName = (code) => cstr(x.pww_w_err_name(code));
  const cstr = (p) => { const m = mem(); let e = p; while (m[e]) e++; return decoder.decode(m.subarray(p, e)); };

  // The size in bytes of the last message pushBytes or pushText tried (a lower bound
  // when it was refused before being measured), for pushValue's refusal messages.
  let lastBytes = 0;

  // Push raw bytes (a Uint8Array) as one message; returns its index or a negative code.
  // A message that needs a bigger scratch buffer is first asked about (pww_w_fits):
  // one over the limits is refused before it is copied into wasm memory, which never
  // shrinks. Smaller ones go straight in (the push checks them).
  // Bytes of PWW_KEEP_MIN or more are copied into JS memory instead and kept there
  // (one copy, none into wasm memory: the outbound drain transfers that copy).
  function pushBytes(id, queue, kind, bytes, timeMs) {
    const n = lastBytes = bytes.length;
    if (kind === PWW_CORE.MSG_BYTES && n >= PWW_KEEP_MIN) {
      const code = x.pww_w_fits(id, queue, n);
      return code < 0 ? code : pushKept(id, queue, kind, copyOut(bytes), timeMs);
    }
    if (n > scratchSize) {
      const code = x.pww_w_fits(id, queue, n);
      if (code < 0) return code;
    }
    const p = scratchFor(n || 1);
    if (!p) return PWW_CORE.ENOMEM;
    mem().set(bytes, p);
    const index = x.pww_w_push(id, queue, kind, p, n, timeMs);
    scratchDone();
    return index;
  }

  // Push a string as UTF-8, never changed: a lone surrogate in JSON text (error
  // payloads are JSON too) is written as its \uXXXX escape, the same value to any JSON
  // parser; in plain text it cannot be carried, and EINVAL says so (TextEncoder would
  // put U+FFFD in its place).
  function pushText(id, queue, kind, text, timeMs) {
    if (!pwwWellFormed(text)) {
      if (kind === PWW_CORE.MSG_TEXT) return PWW_CORE.EINVAL;
      text = pwwEscapeLoneSurrogates(text);
    }
    return pushUTF8(id, queue, kind, text, timeMs);
  }

  // `text` is well formed.
  function pushUTF8(id, queue, kind, text, timeMs) {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, and at least one.
    const max = text.length * 3;
    lastBytes = text.length;
    if (max > scratchSize) {
      const code = x.pww_w_fits(id, queue, text.length);
      if (code < 0) return code;
      // Its exact size, asked again before the copy into wasm memory.
      if (max > SCRATCH_KEEP) return pushBytes(id, queue, kind, encoder.encode(text), timeMs);
    }
    const p = scratchFor(max || 1);
    if (!p) return PWW_CORE.ENOMEM;
    const { written } = encoder.encodeInto(text, mem().subarray(p, p + max));
    lastBytes = written;
    return x.pww_w_push(id, queue, kind, p, written, timeMs);
  }

  // Why a message of `n` bytes that got `code` can never be queued, or "" when it
  // could be later (the queue is full now: the caller counts it as dropped).
  function neverFits(id, queue, n, code) {
    if (code === PWW_CORE.EINVAL && n > MAX_LEN) return `it is larger than the ${MAX_LEN} bytes a message can hold`;
    if (code === PWW_CORE.ENOMEM) return "wasm memory could not hold it (out of memory)";
    if (code !== PWW_CORE.EFULL) return "";
    const limit = x.pww_w_limit(id, queue, 1);
    const which = queue === PWW_CORE.INBOUND ? "inbound" : "outbound";
    return limit > 0 && n > limit ? `it is larger than the ${which} queue's byte limit (${limit} bytes; see set_queue_limits)` : "";
  }

  // Classify a received JS value (DESIGN.md "Payloads", worker -> Python) and queue it;
  // returns its index or a negative code (nothing queued: full for now). A value that
  // cannot be carried, or can never fit, is queued as an error message saying why.
  function pushValue(id, queue, value, timeMs) {
    let code;
    if (typeof value === "string") {
      if (!pwwWellFormed(value)) {
        return refuse(id, queue, `the ${peer} sent a string with a lone surrogate (${pwwLoneSurrogate(value)}): it cannot be carried as UTF-8`, timeMs);
      }
      code = pushUTF8(id, queue, PWW_CORE.MSG_TEXT, value, timeMs);
    } else if (pwwIsBytes(value)) {
      // byteLength first: no Uint8Array can view more than 2**32 bytes.
      const n = lastBytes = value.byteLength;
      const u8 = n > MAX_LEN ? null
        : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, n) : new Uint8Array(value);
      // A large payload that is a whole ArrayBuffer (what postMessage gave us, cloned or
      // transferred: no one else holds it) is kept as it is; a view of part of a larger
      // buffer, or of shared memory, is copied (pushBytes), so that what is held is what
      // is counted and no one else can change it.
      code = u8 === null ? PWW_CORE.EINVAL
        : n >= PWW_KEEP_MIN && u8.byteLength === u8.buffer.byteLength && pwwIsBytes(u8.buffer)
          ? pushKept(id, queue, PWW_CORE.MSG_BYTES, u8, timeMs)
          : pushBytes(id, queue, PWW_CORE.MSG_BYTES, u8, timeMs);
    } else {
      const why = value === undefined ? "undefined" : pwwWhyNot(value, false, true);
      if (why) return refuse(id, queue, `the ${peer} sent a value that cannot be carried: ${why}`, timeMs);
      code = pushUTF8(id, queue, PWW_CORE.MSG_JSON, JSON.stringify(value), timeMs);  // well formed: JSON.stringify escapes lone surrogates
    }
    return settle(id, queue, code, timeMs);
  }

  // A received message already encoded (a `msgs` batch item: UTF-8 text or JSON text
  // the sender checked), queued as pushValue queues a value.
  function pushEncoded(id, queue, kind, bytes, timeMs) {
    return settle(id, queue, pushBytes(id, queue, kind, bytes, timeMs), timeMs);
  }

  // Every message of a read `msgs` batch, each queued as pushEncoded queues it, with
  // one copy of the batch into wasm memory; `each(code)` gets each result in turn
  // (its index, or a code as pushEncoded gives it).
  function pushBatch(id, queue, m, timeMs, each) {
    const total = m.buf.byteLength;
    if (total > SCRATCH_KEEP) {  // a batch this large is rare: message by message
      pwwEachMessage(m, (kind, bytes) => each(pushEncoded(id, queue, kind, bytes, timeMs)));
      return;
    }
    const items = [];
    pwwEachMessage(m, (kind, bytes) => items.push(kind, bytes.length));  // checks the batch whole first
    // Its own buffer, not the scratch one: a refusal or a drop report pushed meanwhile
    // may replace the scratch buffer.
    const p = x.pww_w_malloc(total || 1);
    if (!p) { for (let k = 0; k < items.length; k += 2) each(settle(id, queue, PWW_CORE.ENOMEM, timeMs)); return; }
    try {
      mem().set(new Uint8Array(m.buf), p);
      let off = 0;
      for (let k = 0; k < items.length; k += 2) {
        const n = lastBytes = items[k + 1];
        each(settle(id, queue, x.pww_w_push(id, queue, items[k], p + off, n, timeMs), timeMs));
        off += n;
      }
    } finally { x.pww_w_free(p); }
  }

  // Received JSON text (between two Pythons it travels as text, unchanged: see
  // protocol.js `json`), queued as pushValue queues a value.
  function pushJSON(id, queue, text, timeMs) {
    return settle(id, queue, pushText(id, queue, PWW_CORE.MSG_JSON, text, timeMs), timeMs);
  }

  // A received message that can never be queued becomes an error message saying why;
  // any other failure (full for now) is the caller's to count.
  function settle(id, queue, code, timeMs) {
    if (code >= 0) return code;
    const n = lastBytes, never = neverFits(id, queue, n, code);
    if (!never) return code;
    return refuse(id, queue, `a message of ${n} bytes from the ${peer} was refused: ${never}`, timeMs, "QueueFullError");
  }

  function refuse(id, queue, message, timeMs, name) {
    return pushText(id, queue, PWW_CORE.MSG_ERROR, pwwErrorText({ name: name || "DataCloneError", message }), timeMs);
  }

  // Message metadata: [kind, opened, timeMs, nbytes] or a negative code.
  function info(id, queue, index) {
    const p = x.pww_w_info(id, queue, index);
    if (p < 0) return p;
    const v = new DataView(x.memory.buffer);
    return [v.getInt32(p + 8, true), v.getInt32(p + 12, true), v.getFloat64(p + 16, true), v.getUint32(p + 4, true)];
  }

  // [kind, payload] for one message (a string for text, JSON and error kinds, bytes as
  // a Uint8Array), the payload undefined when over
  // maxInline bytes (undefined, so Python sees None); a negative code on error.
  // With `view`, bytes come as a view of wasm memory, not a copy: the caller must copy
  // it before anything can allocate in the core (which may grow, and detach, memory).
  // Kept bytes come as the very Uint8Array kept (view or not): read-only to the caller.
  function entry(id, queue, index, maxInline, view) {
    const p = x.pww_w_info(id, queue, index);
    if (p < 0) return p;
    const v = new DataView(x.memory.buffer);
    const ptr = v.getUint32(p, true), len = v.getUint32(p + 4, true), kind = v.getInt32(p + 8, true);
    if (len > maxInline) return [kind, undefined];
    if (ptr === 0 && len > 0) return [kind, kept.get(id * 2 + queue).get(index)];
    const m = mem();
    if (kind !== PWW_CORE.MSG_BYTES) return [kind, decoder.decode(m.subarray(ptr, ptr + len))];
    return [kind, view ? m.subarray(ptr, ptr + len) : m.slice(ptr, ptr + len)];
  }

  // The payload of a message as bytes, without copying: a view of wasm memory (valid
  // until anything allocates in the core) or the kept array; a negative code on error.
  function payloadView(id, queue, index) {
    const p = x.pww_w_info(id, queue, index);
    if (p < 0) return p;
    const v = new DataView(x.memory.buffer);
    const ptr = v.getUint32(p, true), len = v.getUint32(p + 4, true);
    if (ptr === 0 && len > 0) return kept.get(id * 2 + queue).get(index);
    return mem().subarray(ptr, ptr + len);
  }

  // Queue `u8` (bytes this side alone holds, a whole ArrayBuffer) without copying it:
  // the core counts its size against the limits. Returns its index or a negative code.
  function pushKept(id, queue, kind, u8, timeMs) {
    const index = x.pww_w_push_kept(id, queue, kind, u8.byteLength, timeMs);
    if (index >= 0) {
      let m = kept.get(id * 2 + queue);
      if (!m) kept.set(id * 2 + queue, m = new Map());
      m.set(index, u8);
    }
    return index;
  }

  // Release messages in the core, and drop the kept bytes of those released. The kept
  // map holds only large messages (at most max_bytes / PWW_KEEP_MIN of them): a sweep
  // over it is cheap next to what it frees.
  function forget(id, queue) {
    const m = kept.get(id * 2 + queue);
    if (!m) return;
    for (const [i, u8] of m) if (x.pww_w_info(id, queue, i) < 0) { m.delete(i); recycle(u8); }
    if (m.size === 0) kept.delete(id * 2 + queue);
  }
  function release(id, queue, index) {
    const code = x.pww_w_release(id, queue, index);
    const m = kept.get(id * 2 + queue), u8 = m && m.get(index);
    if (u8) {
      m.delete(index);
      if (m.size === 0) kept.delete(id * 2 + queue);
      recycle(u8);
    }
    return code;
  }
  // Kept bytes are whole ArrayBuffers no one else holds: handed to Python only to be
  // copied at once (to_bytes); an outbound one is transferred (then detached) as it is
  // delivered, and not reused.
  function recycle(u8) {
    const n = u8.byteLength;
    if (n === 0 || n > POOL_BYTES || u8.buffer.byteLength !== n) return;  // 0: transferred (drained)
    while (pool.length >= POOL_MAX || poolBytes + n > POOL_BYTES) poolBytes -= pool.shift().byteLength;
    pool.push(u8.buffer);
    poolBytes += n;
  }
  // A copy of `bytes` (a Uint8Array) in an ArrayBuffer this side alone holds, to be
  // transferred: a pooled buffer of the same size when there is one.
  function copyOut(bytes) {
    const n = bytes.byteLength;
    for (let i = pool.length - 1; i >= 0; i--) {
      if (pool[i].byteLength !== n) continue;
      const u8 = new Uint8Array(pool[i]);
      pool.splice(i, 1);
      poolBytes -= n;
      u8.set(bytes);
      return u8;
    }
    return bytes.slice();
  }
  function releaseOpened(id, queue) {
    const n = x.pww_w_release_opened(id, queue);
    if (n > 0) forget(id, queue);
    return n;
  }
  function destroy(id) {
    kept.delete(id * 2); kept.delete(id * 2 + 1);
    return x.pww_w_destroy(id);
  }
  // How many payloads are kept in JS (tests: none is left once released).
  const keptCount = () => { let n = 0; for (const m of kept.values()) n += m.size; return n; };

  function coreError(code) {
    const e = new Error(`${errName(code)}: ${cstr(x.pww_w_strerror(code))}`);
    e.name = "PyWebWorkerCoreError";
    e.code = code;
    return e;
  }

  // The indices a core list call writes: count(id, queue) of them (at most `limit` when
  // it is > 0), then fill(id, queue, out, cap); an array, oldest first, or a negative code.
  function list(id, queue, count, fill, limit) {
    let n = count(id, queue);
    if (limit > 0 && n > limit) n = limit;
    if (n <= 0) return n < 0 ? n : [];
    const p = x.pww_w_malloc(n * 4);
    if (!p) return PWW_CORE.ENOMEM;
    try {
      const got = fill(id, queue, p, n);
      if (got < 0) return got;
      return Array.from(new Int32Array(x.memory.buffer, p, got));
    } finally { x.pww_w_free(p); }
  }
  const listUnread = (id, queue, limit = 0) => list(id, queue, x.pww_w_unread, x.pww_w_list_unread, limit);
  // Held: pushed and not released (opened or not). The core walks only the slots from
  // the oldest held message on, not every index ever used.
  const listHeld = (id, queue) => list(id, queue, x.pww_w_held, x.pww_w_list_held);

  return {
    exports: x, pushBytes, pushKept, pushText, pushValue, pushEncoded, pushBatch, pushJSON, info, entry, payloadView, listUnread, listHeld,
    release, releaseOpened, destroy, keptCount, copyOut, coreError, errName, strerror: (c) => cstr(x.pww_w_strerror(c)),
  };
}

// The receiving side of an endpoint's inbound queue (the host's for each worker, a
// PyWorker's for its parent): queues what arrives and loses nothing without a trace.
// A message that cannot be queued (the queue is full) is counted as dropped, and so
// is an error message that cannot be queued. A report saying how many were dropped is
// queued as soon as it fits: at once, before the next message, or when read messages
// are released. A report that cannot fit even in an empty queue (a byte limit smaller
// than the report itself) is queued past the byte limit instead, one at a time: while
// it is held (not released), later drops wait for the next report, so memory stays
// bounded. `peer` names the sender in reports.
function pwwInbox(core, id, peer) {
  const x = core.exports, IN = PWW_CORE.INBOUND;
  const box = { dropped: 0, unreported: 0 };
  let why = "", over = -1;

  const count = (code) => {
    if (code < 0) {
      box.dropped++; box.unreported++;
      why = code === PWW_CORE.EFULL ? "the inbound queue was full" : core.strerror(code);
      report();
    }
    return code;
  };
  const before = () => { if (box.unreported > 0) report(); };
  const held = (index) => index >= 0 && x.pww_w_info(id, IN, index) >= 0;

  function report() {
    const text = pwwErrorText({ name: "QueueFullError", message: `${box.unreported} message(s) from the ${peer} were dropped: ${why}` });
    let code = core.pushText(id, IN, PWW_CORE.MSG_ERROR, text, pwwNow());
    if (code === PWW_CORE.EFULL && !held(over)) {
      const maxBytes = x.pww_w_limit(id, IN, 1);
      if (maxBytes > 0 && text.length > maxBytes) {  // the text is ASCII: length == bytes
        const maxMessages = x.pww_w_limit(id, IN, 0);
        x.pww_w_set_limits(id, IN, maxMessages, 0);
        code = core.pushText(id, IN, PWW_CORE.MSG_ERROR, text, pwwNow());
        x.pww_w_set_limits(id, IN, maxMessages, maxBytes);
        if (code >= 0) over = code;
      }
    }
    if (code >= 0) box.unreported = 0;
  }

  // Each returns the new message's index or a negative code (then counted).
  box.value = (value) => { before(); return count(core.pushValue(id, IN, value, pwwNow())); };
  box.json = (text) => { before(); return count(core.pushJSON(id, IN, text, pwwNow())); };
  // Every message of a read `msgs` batch (protocol.js), in order.
  box.batch = (m) => {
    const t = pwwNow();
    core.pushBatch(id, IN, m, t, (code) => { before(); count(code); });
  };
  // A message already encoded (js/ring.js: a view of the ring, copied here).
  box.encoded = (kind, bytes) => { before(); return count(core.pushEncoded(id, IN, kind, bytes, pwwNow())); };
  // `e`: anything thrown, or error data.
  box.error = (e, prefix) => {
    before();
    return count(core.pushText(id, IN, PWW_CORE.MSG_ERROR, pwwErrorText(e, prefix), pwwNow()));
  };
  // What a wake-up tells Python of the message just queued at `index` (a negative code:
  // none): [index, kind, text] for a short string stored exactly as it came (text, or
  // JSON text with `json`), else nothing (Python fetches it; pywebworker/_inbox.py). Not
  // when an error message was queued in its place (a text over the byte limit, settle()).
  let i32 = new Int32Array(x.memory.buffer);
  box.wake = (index, data, json) => {
    if (index < 0 || typeof data !== "string" || data.length > PWW_WAKE_TEXT || !pwwWellFormed(data)) return [];
    const kind = json ? PWW_CORE.MSG_JSON : PWW_CORE.MSG_TEXT;
    const p = x.pww_w_info(id, IN, index);  // allocates nothing
    if (i32.buffer !== x.memory.buffer) i32 = new Int32Array(x.memory.buffer);
    return p >= 0 && i32[(p >> 2) + 2] === kind ? [index, kind, data] : [];
  };
  // Room may have been made (read messages released): report drops now.
  box.released = before;
  // The last resort of an error handler that failed itself: at least counted.
  box.lost = () => { box.dropped++; box.unreported++; why = "the glue failed while handling them"; };
  return box;
}

// Texts up to this many UTF-16 units come with the wake-up that says they arrived.
const PWW_WAKE_TEXT = 4096;

// The reading side of an endpoint's inbound queue, in the shape the Python package
// expects (pywebworker/_endpoint.py). Shared by the host glue and the PyWorker bootstrap.
function pwwInboundApi(core) {
  const x = core.exports, IN = PWW_CORE.INBOUND;
  const PACK_BYTES = 4 << 20;
  return {
    length: (id) => x.pww_w_length(id, IN),
    unreadCount: (id) => x.pww_w_unread(id, IN),
    firstUnread: (id) => x.pww_w_first_unread(id, IN),
    // held: indices of the messages not released, oldest first.
    held: (id) => core.listHeld(id, IN),
    info: (id, index) => core.info(id, IN, index),
    // The calls below each do in one crossing what Python would otherwise do in
    // several: a crossing costs about a microsecond, a message's own work far less.
    // read: [kind, payload] of message `index`, now marked opened; or a negative code.
    // Bytes are a view of wasm memory that Python copies (to_bytes) at once.
    read: (id, index) => {
      const e = core.entry(id, IN, index, Infinity, true);
      if (typeof e !== "number") x.pww_w_mark_opened(id, IN, index);
      return e;
    },
    // takeMany: mark the messages `marks` opened (an Int32Array of indices, or nothing:
    // marks Python made without a crossing; one already released is skipped), then the
    // oldest `limit` unread messages (0: all), not marked, packed in two arrays:
    // [meta, data], meta an Int32Array of [index, kind, length] triples, data a
    // Uint8Array holding their payloads one after the other (UTF-8 for text, JSON and
    // errors); a payload over maxInline bytes is left out and its length is -1, and so
    // is each payload past the first PACK_BYTES of them. undefined when none is unread; a
    // negative code on error. One crossing for a whole batch, and one copy of its bytes.
    // A lone message comes as [index, kind, payload] instead (payload a string, bytes as
    // a Uint8Array, undefined over maxInline), which costs less for one.
    takeMany: (id, marks, maxInline, limit) => {
      if (marks) for (let k = 0; k < marks.length; k++) x.pww_w_mark_opened(id, IN, marks[k]);
      if (limit < 0) return undefined;
      const list = core.listUnread(id, IN, limit);
      if (typeof list === "number") return list;
      if (list.length === 0) return undefined;
      if (list.length === 1) {
        const e = core.entry(id, IN, list[0], maxInline, false);
        return typeof e === "number" ? e : [list[0], e[0], e[1]];
      }
      const meta = new Int32Array(list.length * 3), ptrs = new Uint32Array(list.length);
      const i32 = new Int32Array(x.memory.buffer);  // pww_w_info allocates nothing: no growth below
      let total = 0, n = 0;
      for (; n < list.length; n++) {
        const p = x.pww_w_info(id, IN, list[n]);
        if (p < 0) return p;
        const len = i32[(p >> 2) + 1] >>> 0;
        // Past the budget a payload is left out (read() fetches it), never the message:
        // the list is every unread message (the first `limit`), which _inbox.py trusts.
        const inline = len <= maxInline && (n === 0 || total + len <= PACK_BYTES);
        meta[3 * n] = list[n]; meta[3 * n + 1] = i32[(p >> 2) + 2]; meta[3 * n + 2] = inline ? len : -1;
        ptrs[n] = i32[p >> 2];
        if (inline) total += len;
      }
      const data = new Uint8Array(total), m = new Uint8Array(x.memory.buffer);
      let off = 0;
      for (let k = 0; k < n; k++) {
        const len = meta[3 * k + 2], ptr = ptrs[k];
        if (len <= 0) continue;
        data.set(ptr === 0 ? core.payloadView(id, IN, meta[3 * k]) : m.subarray(ptr, ptr + len), off);
        off += len;
      }
      return [meta, data];
    },
    releaseOpened: (id) => core.releaseOpened(id, IN),
    state: (id) => x.pww_w_state(id),
    countWorkers: () => x.pww_w_count_workers(),
    // Debugging aid: the size of this core's wasm memory in bytes (make soak prints it
    // over time; it should stop growing once read messages are released).
    memoryBytes: () => x.memory.buffer.byteLength,
    // Debugging aid: how many large received payloads are kept in JS (js/core.js
    // pushKept); 0 once every message was released.
    keptCount: () => core.keptCount(),
  };
}

// Milliseconds since the epoch, with sub-millisecond precision where available.
const pwwNow = () => (typeof performance === "object" ? performance.timeOrigin + performance.now() : Date.now());
