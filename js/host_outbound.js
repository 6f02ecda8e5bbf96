// pwwHostOutbound: what the host sends to a worker, for pwwHost (host.js). A message is
// queued in the C outbound queue while the worker is not running yet (or others wait
// ahead of it), and posted straight away otherwise; the queue is drained, in order,
// once the worker runs. Its parts are in `h`, the context pwwHost makes.

function pwwHostOutbound(h) {
  const { core, x, record } = h;
  const { STATE_RUNNING: RUNNING, OUTBOUND, MSG_TEXT: TEXT, MSG_BYTES: BYTES, MSG_JSON: JSON_KIND } = PWW_CORE;
  const QUEUED = PWW_SEND_QUEUED;

  function post(rec, value, transfer) {
    if (transfer) rec.worker.postMessage(value, transfer);
    else rec.worker.postMessage(value);
  }

  // Queue one message (a string, or bytes given as a Uint8Array or a Python buffer
  // proxy) and deliver it now if the worker is running. Returns its index or a code.
  // With `later` (a function): when the message was posted at once, later() runs at the
  // end of this JS task (a microtask) and the index is returned as it is; when it was
  // queued in the core instead, later is not called and the index comes plus QUEUED
  // (pywebworker/_outbox.py sends the task's next messages with sendMany meanwhile).
  function send(id, kind, data, later) {
    const rec = record(id);
    if (x.pww_w_state(id) === RUNNING && x.pww_w_unread(id, OUTBOUND) === 0) {
      const index = sendNow(rec, kind, data);
      if (index >= 0 && later) pwwSoon(later);
      return index;
    }
    let index;
    if (typeof data === "string") index = core.pushText(id, OUTBOUND, kind, data, pwwNow());
    else if (ArrayBuffer.isView(data)) index = core.pushBytes(id, OUTBOUND, kind, data, pwwNow());
    else {
      const buf = data.getBuffer("u8");  // a view of the Python bytes: one copy, into wasm
      try { index = core.pushBytes(id, OUTBOUND, kind, buf.data, pwwNow()); } finally { buf.release(); }
    }
    if (index >= 0 && x.pww_w_state(id) === RUNNING) drain(rec);
    return index >= 0 && later ? index + QUEUED : index;
  }

  // The messages of a burst that Python held back (the first ones, send posted at
  // once), checked by Python against the queue's limits already: `meta` [kind, byte
  // length] pairs (an Int32Array, or a Python buffer of int32), `data` their UTF-8 text
  // one after the other (a Uint8Array this side owns, or a Python buffer); `ascii`: every
  // byte is ASCII (the worker decodes the batch at once). Posted as one
  // `msgs` message while the worker runs with nothing waiting; else each is queued in
  // the core as send() would. Returns the first one's index or a negative code.
  function sendMany(id, meta, data, ascii) {
    const rec = record(id);
    meta = pwwOwnInt32(meta);
    data = pwwOwnBuffers([data])[0];
    const m = { meta, buf: data };
    let first = -1;
    if (x.pww_w_state(id) === RUNNING && x.pww_w_unread(id, OUTBOUND) === 0) {
      const t = pwwNow();
      for (let k = 0; k < meta.length; k += 2) {  // counted, as sendNow counts
        const index = x.pww_w_push(id, OUTBOUND, meta[k], 0, 0, t);
        if (index < 0) return index;
        if (first < 0) first = index;
        x.pww_w_release(id, OUTBOUND, index);
      }
      rec.calls.flush();  // calls made before a message go before it
      post(rec, pwwMessage(rec.nonce, PWW.MSGS, meta, data, ascii), [data, meta.buffer]);
      return first;
    }
    const t = pwwNow();
    let code = 0;
    pwwEachMessage(m, (kind, bytes) => {
      const index = code < 0 ? code : core.pushBytes(id, OUTBOUND, kind, bytes, t);
      if (index < 0) code = index;
      else if (first < 0) first = index;
    });
    if (code < 0) return code;
    if (x.pww_w_state(id) === RUNNING) drain(rec);
    return first;
  }

  // Deliver queued outbound messages in order; each is released once posted.
  function drain(rec) {
    rec.calls.flush();  // calls made before a message go before it
    while (x.pww_w_unread(rec.id, OUTBOUND) > 0) {
      const i = x.pww_w_first_unread(rec.id, OUTBOUND);
      const e = core.entry(rec.id, OUTBOUND, i, Infinity, false);
      if (typeof e === "number") throw core.coreError(e);
      deliver(rec, e[0], e[1]);
      core.release(rec.id, OUTBOUND, i);
    }
  }

  // Post one payload: bytes (a Uint8Array this side owns) transferred; JSON text as
  // itself to a PyWorker (a `json` message: Python reads the very text Python wrote, so
  // 1.0 stays a float and big ints stay exact), parsed to a JsWorker (natural values).
  function deliver(rec, kind, data) {
    if (kind === BYTES) post(rec, data.buffer, [data.buffer]);
    else if (kind !== JSON_KIND) post(rec, data, undefined);
    else if (rec.kind === PWW_CORE.KIND_PYTHON) post(rec, pwwMessage(rec.nonce, PWW.JSON, data), undefined);
    else post(rec, JSON.parse(data), undefined);
  }

  // Nothing waits ahead of this message: post it at once, without copying it into the
  // queue and out again. The core still counts it (an empty entry, released at once),
  // so indices and kill()'s count of undelivered messages stay exact.
  // The queue's limits hold for it too (a message too large to be queued is refused
  // whatever the worker's state): checked by size first, before any copy. For text,
  // the size checked is its length in UTF-16 code units, a lower bound of its UTF-8
  // size: measuring it exactly would cost a pass over the text.
  function sendNow(rec, kind, data) {
    if (kind === TEXT && !pwwWellFormed(data)) return PWW_CORE.EINVAL;  // as pushText: never U+FFFD
    const pybuf = kind === BYTES && !ArrayBuffer.isView(data) ? data.getBuffer("u8") : null;
    try {
      const bytes = pybuf ? pybuf.data : data;
      const fits = x.pww_w_fits(rec.id, OUTBOUND, bytes.length);
      if (fits < 0) return fits;
      const index = x.pww_w_push(rec.id, OUTBOUND, kind, 0, 0, pwwNow());
      if (index < 0) return index;
      x.pww_w_release(rec.id, OUTBOUND, index);
      rec.calls.flush();  // calls made before a message go before it
      deliver(rec, kind, kind === BYTES ? core.copyOut(bytes) : data);  // bytes: the one copy
      return index;
    } finally { if (pybuf) pybuf.release(); }
  }

  return { post, send, sendMany, drain };
}
