// Synchronous requests from a worker to its host over shared memory (issue 13): the
// worker posts a `sync` message (protocol.js) and blocks in Atomics.wait on a channel,
// a SharedArrayBuffer; the host answers from its event loop into the channel and
// Atomics.notify. Bundled after protocol.js for the host and every worker.
//
// Why the worker makes the channel (and not the host, in `init`): a JsWorker's script
// runs its top level before any message from the host arrives, and may call at once;
// and a worker can share memory exactly when it can make a SharedArrayBuffer. The
// worker sends its channel with its first request; the host keeps it on the record.
//
// Layout of a channel: an Int32Array header of PWW_SYNC.HEAD bytes, then the answer.
//   head[0]  the seq of the request answered last: the word the worker waits on. The
//            host writes the answer first, then this word (Atomics.store orders them),
//            so the worker never sees a half-written answer. A seq only grows, so a
//            wake-up cannot be lost (the worker waits on the value it read).
//   head[1]  the answer's byte length; more than the channel holds: the host keeps the
//            answer and the worker fetches it with a channel of that size (kind "fetch").
// An answer is the text of a `returns` batch of one item ([-seq, ok, value, k], the
// calls encoding, so that a host's reply to a sync call is built as any other) and its
// bytes: u32 text length, u32 buffer count, u32 length of each buffer, the UTF-8 text,
// the buffers.
//
// Request kinds (the `kind` field of a `sync` message): "call" (a function the host
// exposed: name, args JSON text, bufs), "fetch" (an answer too big for the channel, into
// `channel`). A later kind (an operation on the host's globals: window/document) is one
// more case in the host's onSync (host_calls.js), not a new channel.
const PWW_SYNC = Object.freeze({
  HEAD: 16, SIZE: 64 * 1024, CALL: "call", FETCH: "fetch",
  // Said by every side that finds no shared memory (a JsWorker; Python has its own copy
  // in pywebworker/_sync.py).
  MISSING: "synchronous calls need shared memory (SharedArrayBuffer and Atomics.wait), which this worker "
    + "does not have: crossOriginIsolated is false. Serve the page with the headers "
    + "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp",
});

// Whether this thread can share memory with others: Node always; a browser page or
// worker only when cross-origin isolated (COOP same-origin + COEP require-corp).
function pwwSharedMemory() {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return false;
  return globalThis.crossOriginIsolated === true || !!(globalThis.process && process.versions && process.versions.node);
}

// A channel of `size` answer bytes (the SharedArrayBuffer is in `.sab`).
function pwwSyncChannel(sabOrSize) {
  const sab = typeof sabOrSize === "number" ? new SharedArrayBuffer(PWW_SYNC.HEAD + sabOrSize) : sabOrSize;
  return { sab, head: new Int32Array(sab, 0, PWW_SYNC.HEAD >> 2), room: sab.byteLength - PWW_SYNC.HEAD };
}

// The bytes of an answer (text: a `returns` batch's text; bufs: ArrayBuffers) in one
// Uint8Array, laid out as above.
function pwwSyncEncode(text, bufs) {
  const t = (pwwSyncEncode.encoder || (pwwSyncEncode.encoder = new TextEncoder())).encode(text);
  const n = bufs.length, meta = 8 + 4 * n;
  let total = meta + t.length;
  for (const b of bufs) total += b.byteLength;
  const out = new Uint8Array(total), dv = new DataView(out.buffer);
  dv.setUint32(0, t.length, true);
  dv.setUint32(4, n, true);
  let off = meta;
  out.set(t, off);
  off += t.length;
  for (let i = 0; i < n; i++) {
    dv.setUint32(8 + 4 * i, bufs[i].byteLength, true);
    out.set(new Uint8Array(bufs[i]), off);
    off += bufs[i].byteLength;
  }
  return out;
}

// Host side: write `bytes` (pwwSyncEncode) as the answer to `seq` and wake the worker.
// False, and only the length and seq written, when the channel is too small: the worker
// then fetches the answer (kind "fetch") with a channel of that size.
function pwwSyncAnswer(ch, seq, bytes) {
  const fits = bytes.length <= ch.room;
  if (fits) new Uint8Array(ch.sab, PWW_SYNC.HEAD, bytes.length).set(bytes);
  Atomics.store(ch.head, 1, bytes.length);
  Atomics.store(ch.head, 0, seq);
  Atomics.notify(ch.head, 0);
  return fits;
}

// Worker side: wait until `seq` is answered or `deadline` (performance.now() ms) passes.
function pwwSyncWait(ch, seq, deadline) {
  for (;;) {
    const v = Atomics.load(ch.head, 0);
    if (v === seq) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(ch.head, 0, v, left);
  }
}

// Worker side: [text, bufs] of the answer in `ch` (copied out: TextDecoder and
// structured clone refuse shared memory).
function pwwSyncRead(ch) {
  const len = Atomics.load(ch.head, 1);
  const u8 = new Uint8Array(ch.sab, PWW_SYNC.HEAD, len).slice();
  const dv = new DataView(u8.buffer);
  const tlen = dv.getUint32(0, true), n = dv.getUint32(4, true);
  let off = 8 + 4 * n;
  const text = new TextDecoder().decode(u8.subarray(off, off + tlen));
  off += tlen;
  const bufs = [];
  for (let i = 0; i < n; i++) {
    const blen = dv.getUint32(8 + 4 * i, true);
    bufs.push(u8.buffer.slice(off, off + blen));
    off += blen;
  }
  return [text, bufs];
}

// Worker side: the requests of one worker. post(message, transfer) posts to the host;
// request() blocks until the answer ([text, bufs]: a `returns` batch of one item whose id
// is -seq) or returns null after `timeout` seconds (the host's late answer is dropped:
// the host answers only the newest seq, and the worker checks the seq it waits for).
// Throws an Error named SharedMemoryError where this worker cannot share memory.
function pwwSyncClient(nonce, post) {
  let ch = null, given = false, seq = 0;
  return {
    // `bufs`: ArrayBuffers this side owns (transferred).
    request(kind, name, text, bufs, timeout) {
      if (ch === null) {
        if (!pwwSharedMemory()) {
          const e = new Error(PWW_SYNC.MISSING);
          e.name = "SharedMemoryError";
          throw e;
        }
        ch = pwwSyncChannel(PWW_SYNC.SIZE);
      }
      const my = seq = (seq % 0x7fffffff) + 1;
      const deadline = performance.now() + Math.max(0, Number(timeout)) * 1000;
      post(pwwMessage(nonce, PWW.SYNC, kind, my, name, text, bufs, given ? null : ch.sab), bufs);
      given = true;
      if (!pwwSyncWait(ch, my, deadline)) return null;
      const len = Atomics.load(ch.head, 1);
      if (len <= ch.room) return pwwSyncRead(ch);
      const big = pwwSyncChannel(len);  // dropped after this answer: memory comes back
      post(pwwMessage(nonce, PWW.SYNC, PWW_SYNC.FETCH, my, "", "", [], big.sab), []);
      return pwwSyncWait(big, my, deadline) ? pwwSyncRead(big) : null;
    },
  };
}
