// pwwHostCalls: calls between the host and a worker, for pwwHost (host.js), both ways
// in batches (js/protocol.js `calls` and `returns`). The host's calls are pending in the
// core (pww_w_call_*) until their replies come; the worker's calls are answered by
// Python. Its parts are in `h`, the context pwwHost makes.
//
// A worker's synchronous call (a `sync` request, js/sync.js) is served as a `calls`
// batch of one item whose id is -seq: Python answers it as any call, and a reply batch
// whose id is negative goes into the worker's shared channel instead of a `returns`
// message. Only the newest request of a worker is answered: an answer to an older seq
// (the worker timed out meanwhile) is dropped.
//
// A request marked `post` (a PyWorker without shared memory, waiting with JSPI:
// pywebworker/_sync.py) has no channel: its answer is posted back as a `returns` of one
// item, id -seq, and every such request is answered (the worker's event loop runs while
// it waits, so several may be pending); the worker drops an answer nothing waits for.

function pwwHostCalls(h) {
  const { x, dispatch, record } = h;

  // Replies to a batch of the host's calls: each is ended in the core first (a reply
  // whose call is no longer pending, timed out or cancelled, is late: the core counts
  // it); Python gets the batch in one call, with the ids of the late ones to drop.
  function onReturns(rec, text, bufs, ids) {
    let late;
    for (const callId of ids) {
      if (x.pww_w_call_end(rec.id, callId) < 0) (late || (late = [])).push(callId);
    }
    if (late && late.length === ids.length) return;
    dispatch(rec.id, "returns", text, bufs.length ? bufs : undefined, late);
  }

  // A batch of the worker's calls to the functions Python exposed. One Python could not
  // even start answering is answered here, so that its calls reject in the worker
  // instead of hanging there.
  function onCalls(rec, text, bufs) {
    const failed = (e) => {
      const b = pwwBatchFailed(pwwBatchIds(text), pwwErrorInfo(e, "the host could not answer the call: "));
      postReturns(rec, pwwBatchText(b), b.bufs, b.ids, b.transfer);
    };
    try {
      const r = dispatch(rec.id, "calls", text, bufs.length ? bufs : undefined);
      if (r && typeof r.then === "function") r.then(undefined, (e) => h.guard(rec, () => failed(e)));  // promising (host.js)
    } catch (e) { failed(e); }
  }

  // A worker's synchronous request. Every path ends in an answer (or the worker's
  // timeout): a failure here is answered as the call's error.
  // A request no worker waits for is not served (a worker's script can forge one): a
  // seq out of 1..2**31-1 (its reply, id -seq, would go out as a `returns` for the
  // worker's own call seq), a channel too small for its head, a fetch of another seq or
  // into too small a channel (the pending answer stays for the right fetch).
  function onSync(rec, m) {
    if (m.kind === PWW_SYNC.RELEASE) return h.domRelease(rec, m.text);  // nothing waits: no seq
    const seq = m.seq;
    if (!(seq > 0 && seq <= 0x7fffffff)) return;
    if (m.post) return onSyncPosted(rec, m, seq);
    const channel = m.channel && m.channel.byteLength >= PWW_SYNC.HEAD ? m.channel : null;
    if (m.kind === PWW_SYNC.FETCH) {
      const big = rec.syncBig;
      if (!channel || !big || big.seq !== seq || channel.byteLength - PWW_SYNC.HEAD < big.bytes.length) return;
      rec.syncBig = null;
      return pwwSyncWrite(pwwSyncChannel(channel), seq, big.bytes);
    }
    if (channel) rec.sync = pwwSyncChannel(channel);
    rec.syncSeq = seq;
    rec.syncBig = null;
    if (m.kind === PWW_SYNC.DOM) {
      let answer;
      try { answer = h.dom(rec, m, seq); } catch (e) { answer = [pwwBatchText(pwwBatchFailed([-seq], pwwErrorInfo(e))), []]; }
      return syncAnswer(rec, answer[0], answer[1]);
    }
    const b = pwwBatch();
    try {
      if (m.kind !== PWW_SYNC.CALL) throw new TypeError(`unknown sync request kind ${JSON.stringify(m.kind)}`);
      pwwBatchAdd(b, -seq, m.name, m.text, m.bufs);
    } catch (e) {
      return syncAnswer(rec, pwwBatchText(pwwBatchFailed([-seq], pwwErrorInfo(e, "the host could not answer the call: "))), []);
    }
    onCalls(rec, pwwBatchText(b), b.bufs);
  }

  // A `post` request: served as above, its answer posted (postReturns). The seqs whose
  // call Python is answering are kept (rec.syncPosted), so that postReturns posts their
  // replies instead of writing them into a channel.
  function onSyncPosted(rec, m, seq) {
    const posted = (text, bufs) => postReturns(rec, text, bufs, [-seq], bufs.flat(), true);
    if (m.kind === PWW_SYNC.DOM) {
      let answer;
      try { answer = h.dom(rec, m, seq); } catch (e) { answer = [pwwBatchText(pwwBatchFailed([-seq], pwwErrorInfo(e))), []]; }
      return posted(answer[0], answer[1]);
    }
    const b = pwwBatch();
    try {
      if (m.kind !== PWW_SYNC.CALL) throw new TypeError(`unknown sync request kind ${JSON.stringify(m.kind)}`);
      pwwBatchAdd(b, -seq, m.name, m.text, m.bufs);
    } catch (e) {
      return posted(pwwBatchText(pwwBatchFailed([-seq], pwwErrorInfo(e, "the host could not answer the call: "))), []);
    }
    (rec.syncPosted || (rec.syncPosted = new Set())).add(seq);
    onCalls(rec, pwwBatchText(b), b.bufs);
  }

  // The reply (a batch of one item, id -seq) to a synchronous request, into the
  // worker's channel; dropped when the worker is gone or waits for a newer request.
  function syncAnswer(rec, text, bufLists, ids) {
    const seq = ids ? -ids[0] : rec.syncSeq;
    if (!rec.worker || !rec.sync || seq !== rec.syncSeq) return;
    let bytes;
    try { bytes = pwwSyncAnswer(rec.sync, seq, text, bufLists.length ? bufLists[0] : []); } catch (e) {
      // Never leave the worker waiting for its timeout: the failure is the answer.
      bytes = pwwSyncAnswer(rec.sync, seq, pwwBatchText(pwwBatchFailed([-seq], pwwErrorInfo(e, "the answer could not be written: "))), []);
    }
    if (bytes !== null) rec.syncBig = { seq, bytes };
  }

  // The host's calls made in one JS task leave in one message (rec.calls, made in
  // host.js create): a Python loop that issues 1 000 calls costs the worker one message
  // event, not 1 000. A batch that cannot be posted (a DataCloneError) fails each of its
  // calls.
  function sendCalls(rec, b) {
    if (!rec.worker) return;  // killed or failed meanwhile: the core cancelled the calls
    try {
      h.post(rec, pwwMessage(rec.nonce, PWW.CALLS, pwwBatchText(b), b.bufs), b.transfer);
    } catch (e) {
      h.guard(rec, (r) => onReturns(r, pwwBatchText(pwwBatchFailed(b.ids, pwwErrorInfo(e, "the call could not be posted to the worker: "))), [], b.ids));
    }
  }

  // Post replies to the worker's calls; replies that cannot be posted (a
  // DataCloneError) are answered by the error instead: the calls reject in the worker
  // rather than hang there. A reply to a synchronous request (one item, id -seq) goes into
  // the worker's channel, unless the request was a `post` one (`posted`, or its seq kept).
  function postReturns(rec, text, bufs, ids, transfer, posted) {
    if (!rec.worker) return;
    if (ids.length === 1 && ids[0] < 0 && !posted && !(rec.syncPosted && rec.syncPosted.delete(-ids[0]))) {
      return syncAnswer(rec, text, bufs, ids);
    }
    try {
      h.post(rec, pwwMessage(rec.nonce, PWW.RETURNS, text, bufs, ids), transfer);
    } catch (e) {
      const failed = pwwBatchFailed(ids, pwwErrorInfo(e, "the reply could not be posted: "));
      h.post(rec, pwwMessage(rec.nonce, PWW.RETURNS, pwwBatchText(failed), [], failed.ids));
    }
  }

  return {
    onReturns, onCalls, onSync, sendCalls,

    // Begin a call and post it with the others of this task (the worker is ready);
    // returns the call id or a negative core code. `args` is JSON text, `bufs` the
    // Uint8Arrays it refers to.
    call(id, name, args, bufs) {
      const rec = record(id);
      const callId = x.pww_w_call_begin(id, pwwNow());
      if (callId > 0) rec.calls.add(callId, String(name), args, pwwOwnBuffers(bufs));
      return callId;
    },
    // Begin a call now, post it later (callSend) once the worker is ready.
    callBegin(id) { record(id); return x.pww_w_call_begin(id, pwwNow()); },
    callSend(id, callId, name, args, bufs) {
      const rec = record(id);
      if (!rec.worker) return PWW_CORE.ESTATE;
      rec.calls.add(callId, String(name), args, pwwOwnBuffers(bufs));
      return 0;
    },
    // Give up a call (timeout, cancelled await): its reply, if it comes, is dropped.
    callCancel(id, callId) { return x.pww_w_call_cancel(id, callId); },
    callStat(id, stat) { return x.pww_w_call_stat(id, stat); },
    // Replies to a batch of the worker's calls (the items of one `returns`, built by
    // Python): `bufs` a list of lists of bytes, `ids` the reply ids ("1,2,3": cheaper
    // across the FFI than a list).
    replies(id, text, bufs, ids) {
      const rec = record(id);
      if (!rec.worker) return;
      rec.calls.flush();
      const [own, transfer] = pwwOwnBufferLists(bufs);
      postReturns(rec, text, own, pwwIds(ids), transfer);
    },
  };
}
