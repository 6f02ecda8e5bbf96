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
// bytes: u32 text length, u32 buffer count, u32 length of each buffer, the buffers, the
// UTF-8 text (last: the host encodes it in place, its length known only then).
//
// Request kinds (the `kind` field of a `sync` message): "call" (a function the host
// exposed: name, args JSON text, bufs), "fetch" (an answer too big for the channel, into
// `channel`), "dom" (an operation on a host object: window, document and what they give,
// js/host_dom.js), "release" (the handles a worker dropped; no answer, nothing waits).
const PWW_SYNC = Object.freeze({
  HEAD: 16, SIZE: 64 * 1024, KEEP: 16 * 1024 * 1024, CALL: "call", FETCH: "fetch",
  // An operation on a host object (js/host_dom.js), and the ids of the handles a worker
  // dropped (posted without waiting: no answer).
  DOM: "dom", RELEASE: "release",
  // Said by every side that finds no shared memory (a JsWorker; Python has its own copy
  // in pywebworker/_sync.py).
  MISSING: "synchronous calls need shared memory (SharedArrayBuffer and Atomics.wait), which this worker "
    + "does not have: crossOriginIsolated is false. Serve the page with the headers "
    + "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp",
});

// Whether this thread can share memory with others: Node always; a browser page or
// worker only when cross-origin isolated (COOP same-origin + COEP require-corp).
// For tests only: in Node, PYWW_TEST_NO_SHARED_MEMORY=1 in process.env says no, as a page
// without the headers would (a worker_threads worker gets a copy of its creator's env
// when it starts: set it on the host before a worker starts, and that worker, the host's
// side of it and the workers it makes have none). pywebworker/_js.py reads it too.
function pwwSharedMemory() {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return false;
  if (globalThis.crossOriginIsolated === true) return true;
  const node = globalThis.process && process.versions && process.versions.node;
  return !!node && !(process.env && process.env.PYWW_TEST_NO_SHARED_MEMORY === "1");
}

// Whether this JavaScript engine has WebAssembly's JavaScript Promise Integration (JSPI),
// with which Pyodide's run_sync suspends Python until a Promise settles: Chromium 137+,
// Node 26 (Node 20 and 22 only with a flag). As Pyodide tests it (the standard API, or
// the older one behind a flag).
function pwwJspi() {
  return typeof WebAssembly === "object" && WebAssembly !== null && ("Suspending" in WebAssembly || "Suspender" in WebAssembly);
}

// A channel of `size` answer bytes (the SharedArrayBuffer is in `.sab`).
function pwwSyncChannel(sabOrSize) {
  const sab = typeof sabOrSize === "number" ? new SharedArrayBuffer(PWW_SYNC.HEAD + sabOrSize) : sabOrSize;
  return { sab, head: new Int32Array(sab, 0, PWW_SYNC.HEAD >> 2), room: sab.byteLength - PWW_SYNC.HEAD };
}

// Host side: write the answer to `seq` (text: a `returns` batch's text; bufs:
// ArrayBuffers) and wake the worker. Returns null, or, when the channel is too small,
// the answer's bytes, of which only the length was written: the worker fetches them
// (kind "fetch") with a channel of that size, and the host writes them there
// (pwwSyncWrite).
function pwwSyncAnswer(ch, seq, text, bufs) {
  const n = bufs.length;
  let off = 8 + 4 * n;
  for (const b of bufs) off += b.byteLength;
  const u8 = new Uint8Array(ch.sab, PWW_SYNC.HEAD), dv = new DataView(ch.sab, PWW_SYNC.HEAD);
  let t = null, len = 0;
  // Room for the text if it is ASCII: encoded in place, where encodeInto takes shared
  // memory (Node; Chromium 156 throws "must not be shared": then encoded apart, always).
  if (pwwSyncAnswer.inPlace !== false && off + text.length <= ch.room) {
    let r = null;
    try { r = pwwSyncEncoder().encodeInto(text, u8.subarray(off)); } catch (_) { pwwSyncAnswer.inPlace = false; }
    if (r !== null && r.read === text.length) len = off + r.written;
  }
  if (len === 0) {
    t = pwwSyncEncoder().encode(text);
    if (off + t.length <= ch.room) { u8.set(t, off); len = off + t.length; }
  }
  if (len === 0) {
    pwwSyncDone(ch, seq, off + t.length);
    return pwwSyncEncode(t, bufs);
  }
  pwwSyncLayout(u8, dv, bufs, len - off);
  pwwSyncDone(ch, seq, len);
  return null;
}

// Host side: write `bytes` (pwwSyncEncode) as the answer to `seq` into `ch` (a fetch).
function pwwSyncWrite(ch, seq, bytes) {
  new Uint8Array(ch.sab, PWW_SYNC.HEAD, bytes.length).set(bytes);
  pwwSyncDone(ch, seq, bytes.length);
}

function pwwSyncDone(ch, seq, len) {
  Atomics.store(ch.head, 1, len);
  Atomics.store(ch.head, 0, seq);  // last: the worker reads nothing before it
  Atomics.notify(ch.head, 0);
}

const pwwSyncEncoder = () => pwwSyncEncode.encoder || (pwwSyncEncode.encoder = new TextEncoder());

// The head and the buffers of an answer into u8 (its DataView dv), the text's `written`
// bytes being after them already.
function pwwSyncLayout(u8, dv, bufs, written) {
  const n = bufs.length;
  dv.setUint32(0, written, true);
  dv.setUint32(4, n, true);
  let off = 8 + 4 * n;
  for (let i = 0; i < n; i++) {
    dv.setUint32(8 + 4 * i, bufs[i].byteLength, true);
    u8.set(new Uint8Array(bufs[i]), off);
    off += bufs[i].byteLength;
  }
}

// The bytes of an answer in a Uint8Array of its own (the answer a fetch writes); `t`
// the text's UTF-8 bytes.
function pwwSyncEncode(t, bufs) {
  let off = 8 + 4 * bufs.length;
  for (const b of bufs) off += b.byteLength;
  const out = new Uint8Array(off + t.length);
  out.set(t, off);
  pwwSyncLayout(out, new DataView(out.buffer), bufs, t.length);
  return out;
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

// Worker side: [text, bufs] of the answer in `ch`, each copied out once (TextDecoder and
// structured clone refuse shared memory).
function pwwSyncRead(ch) {
  const u8 = new Uint8Array(ch.sab, PWW_SYNC.HEAD), dv = new DataView(ch.sab, PWW_SYNC.HEAD);
  const tlen = dv.getUint32(0, true), n = dv.getUint32(4, true);
  let off = 8 + 4 * n;
  const bufs = [];
  for (let i = 0; i < n; i++) {
    const blen = dv.getUint32(8 + 4 * i, true);
    bufs.push(u8.slice(off, off + blen).buffer);
    off += blen;
  }
  const decoder = pwwSyncRead.decoder || (pwwSyncRead.decoder = new TextDecoder());
  return [decoder.decode(u8.slice(off, off + tlen)), bufs];
}

// Worker side: the requests of one worker. post(message, transfer) posts to the host;
// request() blocks until the answer ([text, bufs]: a `returns` batch of one item whose id
// is -seq) or returns null after `timeout` seconds (the host's late answer is dropped:
// the host answers only the newest seq, and the worker checks the seq it waits for).
// Throws an Error named SharedMemoryError where this worker cannot share memory.
//
// Without shared memory, a PyWorker whose engine has JSPI asks with requestPosted()
// instead: the same `sync` message, marked `post`, whose answer the host posts back as a
// `returns` message of one item, id -seq (answer() takes it); Python waits for the
// Promise with pyodide.ffi.run_sync (pywebworker/_sync.py). Each such request is answered
// whatever came after it: while Python waits, its event loop runs, and other requests may
// be made meanwhile.
function pwwSyncClient(nonce, post) {
  let ch = null, given = false, seq = 0;
  const posted = new Map();  // seq -> settle(answer, or undefined) of each requestPosted() pending
  return {
    // A Promise of the answer ([text, bufs]), or of undefined after `timeout` seconds (the
    // host's late answer is dropped). `bufs`: ArrayBuffers this side owns (transferred).
    requestPosted(kind, name, text, bufs, timeout) {
      const my = seq = (seq % 0x7fffffff) + 1;
      post(pwwMessage(nonce, PWW.SYNC, kind, my, name, text, bufs, null, true), bufs);
      return new Promise((resolve) => {
        const cancel = pwwTimer(() => settle(undefined), Math.max(0, Number(timeout)) * 1000);
        const settle = (answer) => { posted.delete(my); cancel(); resolve(answer); };
        posted.set(my, settle);
      });
    },
    // The host's posted answer to requestPosted() `seq`; dropped when nothing waits for it.
    answer(seq, text, bufs) {
      const settle = posted.get(seq);
      if (settle) settle([text, bufs]);
    },
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
      // Up to KEEP bytes, the bigger channel (a power of two) becomes this worker's, the
      // host is given it with the next request: a run of big answers costs one round
      // trip each. Beyond, it serves this answer only and its memory comes back.
      const keep = len <= PWW_SYNC.KEEP;
      const big = pwwSyncChannel(keep ? 2 ** Math.ceil(Math.log2(len)) : len);
      post(pwwMessage(nonce, PWW.SYNC, PWW_SYNC.FETCH, my, "", "", [], big.sab), []);
      if (!pwwSyncWait(big, my, deadline)) return null;
      if (keep) { ch = big; given = false; }
      return pwwSyncRead(big);
    },
    // A request nothing waits for (kind "release"): no channel, no seq.
    send(kind, name, text) {
      post(pwwMessage(nonce, PWW.SYNC, kind, 0, name, text, [], null), []);
    },
  };
}

// Call fn after `ms` milliseconds (Infinity or NaN: never); returns a function that
// cancels it. setTimeout fires at once for more than 2**31 - 1 ms: longer waits are
// armed in steps.
function pwwTimer(fn, ms) {
  let handle = null, left = ms;
  const arm = () => {
    if (!(left < Infinity)) return;
    const step = Math.min(left, 0x7fffffff);
    left -= step;
    handle = setTimeout(() => { handle = null; if (left > 0) arm(); else fn(); }, step);
  };
  arm();
  return () => { if (handle !== null) clearTimeout(handle); handle = null; left = 0; };
}
