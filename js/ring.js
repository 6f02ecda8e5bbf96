// The shared ring of one worker, where shared memory exists (Node; a cross-origin
// isolated page): the worker writes its user messages into it, and the host reads them
// into the C core (which stays the owner of the queues and their limits) at once, at
// the start of every reading call, even while its Python is busy in a cell and its
// event loop cannot run. Included in the host's bundle and in every worker's, after sync.js.
//
// Layout (one SharedArrayBuffer): a header of Int32 slots (PWW_RING below), then the
// data, a power of two bytes, holding records [kind, byte length, payload padded to 8
// bytes]; a record that would cross the end leaves a SKIP marker and starts at 0. W and
// R count bytes written and read (modulo 2**32): the writer alone moves W, the reader R.
//
// Order and no loss. A message goes into the ring only when everything the worker posted
// before it (postMessage: a message that did not fit, a control message, an output line)
// has been handled by the host: the worker counts its posts, the host stores in HANDLED
// how many it has handled, and the ring is used only while both are equal. The host
// reads the ring before it handles each post (host_inbound.js onData), so what the ring
// holds is always older than any post on its way. A message that does not fit (larger
// than an eighth of the ring, or the ring is full) is posted as before. The worker rings
// a doorbell (a `bell` message, not counted: it carries nothing) when it writes into a
// ring whose last doorbell the host has taken (BELL back to 0, set only by the host's
// doorbell handler), so that a host whose event loop runs learns of the messages without
// asking: every record is followed by a doorbell handled after it was written.
//
// Waiting (wait_for_messages): the host sets WAITING and sleeps on SEQ (Atomics.wait);
// the worker bumps SEQ and notifies after each write or counted post while WAITING.
const PWW_RING = Object.freeze({
  W: 0, R: 1, BELL: 2, HANDLED: 3, POSTED: 4, WAITING: 5, SEQ: 6,
  HEADER: 64,  // bytes before the data
  SKIP: -1,  // the record kind of the rest of the data region, unused
  SIZE: 1 << 20,  // data bytes of a worker's ring
});

// A new ring's buffer, or null without shared memory (js/sync.js pwwSharedMemory).
const pwwRingBuffer = (size = PWW_RING.SIZE) => (pwwSharedMemory() ? new SharedArrayBuffer(PWW_RING.HEADER + size) : null);

// The worker's side. `post(data, transfer)` posts a message. Every post of the worker
// but a doorbell goes through post() here, from the worker's start (also before the
// ring is attached: the count must match the host's).
function pwwRingWriter(rawPost, nonce) {
  const { W, R, BELL, HANDLED, POSTED, WAITING, SEQ, HEADER, SKIP } = PWW_RING;
  let hdr = null, u8 = null, i32 = null, N = 0, MAX = 0, posted = 0, inPlace = true;
  const encoder = new TextEncoder();
  const bell = pwwMessage(nonce, PWW.BELL);
  const wake = () => { if (Atomics.load(hdr, WAITING)) { Atomics.add(hdr, SEQ, 1); Atomics.notify(hdr, SEQ); } };
  return {
    attach(sab) {
      if (!sab || Object.prototype.toString.call(sab) !== "[object SharedArrayBuffer]") return;
      hdr = new Int32Array(sab, 0, HEADER >> 2);
      u8 = new Uint8Array(sab, HEADER);
      i32 = new Int32Array(sab, HEADER);
      N = u8.length;
      MAX = N >> 3;
      Atomics.store(hdr, POSTED, posted);
    },
    post(data, transfer) {
      if (transfer === undefined) rawPost(data); else rawPost(data, transfer);
      posted++;
      if (hdr !== null) { Atomics.store(hdr, POSTED, posted); wake(); }
    },
    // Whether a message may go into the ring now (see the order rule above).
    open: () => hdr !== null && Atomics.load(hdr, HANDLED) === posted,
    // Write one message (kind: PWW_CORE.MSG_TEXT/JSON with a well-formed string, or
    // MSG_BYTES with a Uint8Array); false when it does not fit (post it instead).
    // Call only when open().
    write(kind, data) {
      // Chromium refuses encodeInto into shared memory ("must not be shared", as
      // js/sync.js found): there a string is encoded apart, then copied.
      if (!inPlace && typeof data === "string") data = encoder.encode(data);
      const str = typeof data === "string";
      const max = str ? data.length * 3 : data.byteLength;
      if (max > MAX) {
        if (!str || data.length > MAX) return false;
      }
      const w = Atomics.load(hdr, W), r = Atomics.load(hdr, R);
      const free = N - ((w - r) >>> 0), off = (w >>> 0) & (N - 1);
      let at = off, skip = 0, room = (Math.min(max, MAX) + 7) & ~7;  // records stay 8-aligned
      if (off + 8 + room > N) { skip = N - off; at = 0; }
      if (skip + 8 + room > free) {
        if (!str) return false;
        room = (free - skip - 8) & ~7;  // a string may still fit: encodeInto says
        if (room < data.length) return false;
      }
      let n;
      if (str) {
        let res;
        try { res = encoder.encodeInto(data, u8.subarray(at + 8, at + 8 + room)); } catch (_) {
          inPlace = false;
          return this.write(kind, data);
        }
        if (res.read < data.length) return false;
        n = res.written;
      } else {
        u8.set(data, at + 8);
        n = data.byteLength;
      }
      i32[at >> 2] = kind;
      i32[(at >> 2) + 1] = n;
      if (skip) i32[off >> 2] = SKIP;
      Atomics.store(hdr, W, (w + skip + 8 + ((n + 7) & ~7)) | 0);
      wake();
      if (Atomics.load(hdr, BELL) === 0) { Atomics.store(hdr, BELL, 1); rawPost(bell); }
      return true;
    },
  };
}

// The host's side: `drain(push)` calls push(kind, bytes) for every record, oldest first
// (bytes: a view of the ring, valid during the call); returns how many. `handled()`
// counts a post the host has handled, `rang()` a doorbell taken. `wait(ms)` sleeps until something is written or
// posted, or ms passed (Infinity: no limit); throws where the thread may not block.
function pwwRingReader(sab) {
  const { W, R, BELL, HANDLED, POSTED, WAITING, SEQ, HEADER, SKIP } = PWW_RING;
  const hdr = new Int32Array(sab, 0, HEADER >> 2), u8 = new Uint8Array(sab, HEADER), i32 = new Int32Array(sab, HEADER);
  const N = u8.length;
  let handled = 0;
  return {
    sab,
    pending: () => Atomics.load(hdr, W) !== Atomics.load(hdr, R),
    // Posts the worker made that the host has not handled yet: they need its event loop.
    // (POSTED is stored after each post returns: it may lag behind what was handled.)
    behind: () => Atomics.load(hdr, POSTED) - handled > 0,
    handled() { Atomics.store(hdr, HANDLED, ++handled); },
    // A doorbell was taken: the next write rings again. Only here (not at every read), so
    // that BELL is 1 exactly while a doorbell is on its way, and a busy host gets one.
    rang() { Atomics.store(hdr, BELL, 0); },
    drain(push) {
      if (Atomics.load(hdr, W) === Atomics.load(hdr, R)) return 0;
      const w = Atomics.load(hdr, W);
      let r = Atomics.load(hdr, R), n = 0;
      try {
        while (r !== w) {
          const off = (r >>> 0) & (N - 1), kind = i32[off >> 2];
          if (kind === SKIP) { r = (r + N - off) | 0; continue; }
          const len = i32[(off >> 2) + 1];
          r = (r + 8 + ((len + 7) & ~7)) | 0;  // moved on first: a push that throws loses only its own record
          n++;
          push(kind, u8.subarray(off + 8, off + 8 + len));
        }
      } finally { Atomics.store(hdr, R, r); }
      return n;
    },
    wait(ms) {
      const seq = Atomics.load(hdr, SEQ);
      Atomics.store(hdr, WAITING, 1);
      try {
        if (Atomics.load(hdr, W) !== Atomics.load(hdr, R) || Atomics.load(hdr, POSTED) - handled > 0) return;
        Atomics.wait(hdr, SEQ, seq, ms);
      } finally { Atomics.store(hdr, WAITING, 0); }
    },
  };
}

// Whether this thread may block in Atomics.wait (a browser page's main thread may not):
// asked once, with a value that does not match, so it returns at once where allowed.
function pwwCanBlock() {
  if (pwwCanBlock.known === undefined) {
    try { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); pwwCanBlock.known = true; }
    catch (_) { pwwCanBlock.known = false; }
  }
  return pwwCanBlock.known;
}
