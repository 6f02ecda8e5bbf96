// pwwHostInbound: what a worker sends to the host, for pwwHost (host.js). A user
// message goes straight into the C inbound queue; a control message (js/protocol.js,
// read by pwwRead) changes the worker's state, or carries output, an error, or calls.
// A worker's error or exit fails it. Its parts are in `h`, the context pwwHost makes.
//
// No handler of an event from a worker throws (Node would end the process; a browser
// would lose the message or the reply): each runs under guard(), and a failure of the
// glue, or of Python called from it, lands where the user looks: an "error" message in
// the worker's inbound queue, a rejected call, or a failed worker.

function pwwHostInbound(h) {
  const { x, dispatch } = h;
  const { STATE_STARTING: STARTING, STATE_RUNNING: RUNNING, STATE_FAILED: FAILED } = PWW_CORE;

  // Run fn(rec, a) for an event: whatever it throws becomes an error message.
  function guard(rec, fn, a) {
    try { fn(rec, a); } catch (e) { caught(rec, e); }
  }

  // The error is queued and Python told; if telling Python fails too, that error is
  // queued as well (without telling again, so this cannot loop). If not even that
  // works, the loss is counted (dropped_messages) and reported once there is room.
  function caught(rec, e) {
    try {
      rec.inbox.error(e, "pywebworker could not handle an event from the worker: ");
      if (rec.watch) tell(rec);
    } catch (e2) {
      try { rec.inbox.error(e2, "pywebworker could not report an error: "); }
      catch (e3) { rec.inbox.lost(); }
    }
  }

  // Every post of the worker but a doorbell is counted as handled (the ring's order
  // rule, js/ring.js) once what the ring held before it is read (it is older), and
  // before the post is handled: handling it may run Python to the end of a cell (a
  // resolved `await` goes on inside the event), which must find the ring open. The
  // worker writes into the ring again from then on, and nothing reads it before the
  // post is queued: every handler below queues before it tells Python. Python is told
  // of what the ring held with the post's own wake-up, or after it.
  function onData(rec, d) {
    if (rec.worker === null) return;  // stopped: whatever was still on its way is late
    const ring = rec.box.ring;
    let m;
    if (ring !== null) {
      try {
        m = pwwRead(rec.nonce, d);
        if (m !== null && m.type === PWW.BELL) return rang(rec, ring);
        if (ring.pending()) drainRing(rec);
      } finally { if (m === undefined || m === null || m.type !== PWW.BELL) ring.handled(); }
    } else m = pwwRead(rec.nonce, d);
    if (m === null) receive(rec, d, false);
    else onControl(rec, m);
    if (rec.ringUntold && rec.watch) tell(rec);
  }

  // Tell Python that messages arrived (with the message itself: see receive()). Any
  // wake-up makes Python fetch what the ring held, untold, before (pywebworker/_inbox.py).
  function tell(rec, ...entry) {
    rec.ringUntold = false;
    dispatch(rec.id, "message", ...entry);
  }

  // The worker's ring (js/ring.js) into the inbound queue, as receive() queues a post;
  // returns how many. Python is not told here: the caller does, from an event, or it
  // is a reading call of Python's own (host.js), and the doorbell that follows tells.
  // The first record read, when it is a short text, is kept as the wake-up entry (see
  // receive(): a lone message's reader then needs no crossing).
  function drainRing(rec) {
    const st = x.pww_w_state(rec.id);
    if (st !== RUNNING && st !== STARTING) return 0;
    const inbox = rec.inbox;
    let first = true;
    rec.ringWake = undefined;
    const n = rec.box.ring.drain((kind, bytes) => {
      const index = inbox.encoded(kind, bytes);
      if (first && kind !== PWW_CORE.MSG_BYTES && bytes.length <= PWW_WAKE_TEXT) {
        rec.ringWake = [index, decoder.decode(bytes.slice()), kind === PWW_CORE.MSG_JSON];
      }
      first = false;
    });
    if (n > 0) rec.ringUntold = true;
    if (n !== 1) rec.ringWake = undefined;
    return n;
  }
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  // A doorbell: the worker wrote into its ring. Taken first (BELL back to 0: the next
  // write rings again), then read; Python is told of what was read here or, untold,
  // by one of its own reading calls.
  function rang(rec, ring) {
    if (!ring) return;
    ring.rang();
    const n = drainRing(rec), w = rec.ringWake;
    if (rec.ringUntold && rec.watch) {
      if (n === 1 && w !== undefined) tell(rec, ...rec.inbox.wake(w[0], w[1], w[2]));
      else tell(rec);
    }
  }

  // A user message (or, with `json`, JSON text from a PyWorker) into the inbound queue.
  // Python is told with the message itself when it is a short text stored as it came
  // (pwwInbox wake): its receive() then needs no crossing to read it.
  function receive(rec, data, json) {
    const st = x.pww_w_state(rec.id);
    if (st !== RUNNING && st !== STARTING) return;  // late message after kill/fail
    const index = json ? rec.inbox.json(data) : rec.inbox.value(data);
    if (rec.watch) tell(rec, ...rec.inbox.wake(index, data, json));
  }

  // A `msgs` batch: every message into the inbound queue, Python told once.
  function receiveMany(rec, m) {
    const st = x.pww_w_state(rec.id);
    if (st !== RUNNING && st !== STARTING) return;
    rec.inbox.batch(m);
    if (rec.watch) tell(rec);
  }

  function onControl(rec, m) {
    switch (m.type) {
      case PWW.STARTED: return setRunning(rec);
      case PWW.READY:
        rec.exports = m.exports;
        if (rec.kind === PWW_CORE.KIND_JAVASCRIPT) setRunning(rec);
        rec.ready = true;
        h.releaseURLs(rec);
        h.snapshotIdle(rec.box);  // a snapshot it made is cached now (js/host_snapshot.js)
        return dispatch(rec.id, "ready");
      case PWW.WARM:
        rec.warm = true;
        h.snapshotIdle(rec.box);
        // A warm spare waits for a PyWorker that may never come: in Node it must not keep
        // the process alive (adopt() refs it again). A browser's Worker has no unref().
        // A spare taken while booting says `warm` to its new owner, which keeps its ref.
        if (rec.spare && rec.worker.unref) rec.worker.unref();
        return dispatch(rec.id, "state");
      case PWW.FAILED: return fail(rec, m.error);
      case PWW.OUTPUT: return dispatch(rec.id, "output", m.stream, m.text);
      case PWW.STAGE: return m.stage ? dispatch(rec.id, "stage", m.stage) : undefined;
      case PWW.ERROR: return pushError(rec, m.error);
      case PWW.JSON: return receive(rec, m.text, true);
      case PWW.MSGS: return receiveMany(rec, m);
      case PWW.EXIT: return fail(rec, { name: "WorkerExit", message: "the worker closed itself (close())" });
      case PWW.RETURNS: return h.onReturns(rec, m.text, m.bufs, m.ids);
      case PWW.CALLS: return h.onCalls(rec, m.text, m.bufs);
      case PWW.SYNC: return h.onSync(rec, m);
      case PWW.SNAPSHOT: return h.onSnapshot(rec, m);
    }
  }

  function pushError(rec, error) {
    rec.inbox.error(error);
    if (rec.watch) tell(rec);
  }

  function setRunning(rec) {
    if (x.pww_w_set_state(rec.id, RUNNING) < 0) return;
    h.drain(rec);
    dispatch(rec.id, "state");
  }

  // The worker failed (startup error, uncaught error, exit): record why as an error
  // message, stop the worker, and tell Python. Nothing happens once killed or failed.
  function fail(rec, error) {
    const st = x.pww_w_state(rec.id);
    if (st !== STARTING && st !== RUNNING) return;
    if (rec.box && rec.box.ring) drainRing(rec);  // written before the failure: it comes first
    // Kept on the record too: readable even if the queue is full or the message released.
    rec.failure = pwwErrorText(error);
    rec.inbox.error(error);
    x.pww_w_set_state(rec.id, FAILED);
    h.stop(rec);
    x.pww_w_call_cancel_all(rec.id);
    dispatch(rec.id, "state");
  }

  return { guard, onData, pushError, fail, drainRing };
}
