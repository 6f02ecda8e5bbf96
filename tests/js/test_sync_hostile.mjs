// Hostile `sync` requests at the host (js/host_calls.js onSync), under plain Node in
// well under a second: `node tests/js/test_sync_hostile.mjs`. A worker's script can
// forge any control message (it runs beside the glue); the host must not throw out of
// the handler, must not answer a forged request into another call, and must answer a
// well-formed request whatever came before it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "js");
const manifest = JSON.parse(fs.readFileSync(path.join(JS, "manifest.json"), "utf8"));
const host = vm.createContext({ console, TextEncoder, TextDecoder, WebAssembly, URL, performance, SharedArrayBuffer, Atomics });
vm.runInContext(`${manifest.host.map((f) => fs.readFileSync(path.join(JS, f), "utf8")).join("\n")}
globalThis.lib = { PWW, PWW_SYNC, pwwMessage, pwwRead, pwwHostCalls, pwwSyncChannel, pwwSyncWait, pwwSyncRead };`, host);
const P = host.lib;

let failures = 0, count = 0;
function test(name, fn) {
  count++;
  try { fn(); } catch (e) { failures++; console.error(`FAIL ${name}\n${e.stack}`); }
}

// The host's calls part with a fake Python that answers every call with its name, and a
// fake worker that records what the host posts to it.
function harness() {
  const posted = [], served = [];
  const rec = { id: 1, nonce: "n", worker: {}, calls: { flush() {} } };
  const h = {
    x: {}, record: () => rec,
    post: (r, m) => posted.push(m),
    guard: (r, fn, a) => fn(r, a),
    dispatch(id, event, text) {
      assert.equal(event, "calls");
      const items = JSON.parse(text);
      served.push(items);
      const out = items.map(([cid, name]) => [cid, 1, name, -1]);
      calls.replies(id, JSON.stringify(out), [], items.map((i) => i[0]).join(","));
    },
  };
  const calls = P.pwwHostCalls(h);
  // What arrives from the worker: structured-cloned, then read as the inbound handler does.
  const send = (fields) => calls.onSync(rec, P.pwwRead("n", structuredClone({ [P.PWW.TAG]: "n", type: "sync", ...fields })));
  return { rec, posted, served, send };
}

const answer = (ch) => JSON.parse(P.pwwSyncRead(ch)[0])[0];
const plain = (v) => JSON.parse(JSON.stringify(v));  // values from another realm, compared as data

test("a forged seq (0, negative, fractional, past int32) is not served: no answer lands in another call", () => {
  const { posted, served, send } = harness();
  const ch = P.pwwSyncChannel(P.PWW_SYNC.SIZE);
  for (const seq of [0, -5, 1.5, 2 ** 40, "3", null]) send({ kind: "call", seq, name: "f", text: "[]", bufs: [], channel: ch.sab });
  assert.deepEqual(posted.map((m) => [m.type, m.ids]), []);  // no `returns` for the worker's own call ids
  assert.equal(served.length, 0);
  // A good request after them is answered into the channel.
  send({ kind: "call", seq: 7, name: "g", text: "[]", bufs: [], channel: ch.sab });
  assert.equal(P.pwwSyncWait(ch, 7, performance.now()), true);
  assert.deepEqual(answer(ch), [-7, 1, "g", -1]);
});

test("a channel too small for the answer's head, a non-shared or missing one: nothing thrown", () => {
  const { posted, send } = harness();
  for (const bytes of [0, 4, 15, 16, 17, 23]) {
    send({ kind: "call", seq: 1, name: "f", text: "[]", bufs: [], channel: new SharedArrayBuffer(bytes) });
  }
  send({ kind: "call", seq: 2, name: "f", text: "[]", bufs: [], channel: new ArrayBuffer(1024) });
  send({ kind: "call", seq: 3, name: "f", text: "[]", bufs: [] });
  send({});
  send({ kind: "nonsense", seq: 4 });
  assert.deepEqual(posted, []);
  // And the worker's channel still works afterwards.
  const { send: send2 } = harness();
  const ch = P.pwwSyncChannel(64);
  send2({ kind: "call", seq: 1, name: "f", text: "[]", bufs: [], channel: ch.sab });
  assert.deepEqual(answer(ch), [-1, 1, "f", -1]);
});

test("fetch: forged, too small, wrong seq, twice: nothing thrown, nothing written out of place", () => {
  const { rec, send } = harness();
  const ch = P.pwwSyncChannel(32);  // the answer's text does not fit: only its length is written
  const name = "x".repeat(100);
  send({ kind: "call", seq: 1, name, text: "[]", bufs: [], channel: ch.sab });
  assert.equal(P.pwwSyncWait(ch, 1, performance.now()), true);
  const len = Atomics.load(ch.head, 1);
  assert.ok(len > 32 && rec.syncBig);
  send({ kind: "fetch", seq: 2, channel: new SharedArrayBuffer(4096) });  // wrong seq: ignored, kept
  send({ kind: "fetch", seq: 1, channel: new SharedArrayBuffer(20) });  // too small: refused, kept
  send({ kind: "fetch", seq: 1 });  // no channel: kept
  assert.ok(rec.syncBig, "a bad fetch does not drop the answer the worker may still fetch");
  const big = P.pwwSyncChannel(len);
  send({ kind: "fetch", seq: 1, channel: big.sab });
  assert.deepEqual(answer(big), [-1, 1, name, -1]);
  assert.equal(rec.syncBig, null);
  send({ kind: "fetch", seq: 1, channel: big.sab });  // again: nothing left, nothing thrown
});

test("post requests (no shared memory, JSPI): each answered by a posted returns, never into a channel", () => {
  const { rec, posted, send } = harness();
  const ch = P.pwwSyncChannel(64);
  send({ kind: "call", seq: 5, name: "chan", text: "[]", bufs: [], channel: ch.sab });  // a channel request first
  assert.equal(P.pwwSyncWait(ch, 5, performance.now()), true);
  // Forged seqs are not served; good ones are, each of them, whatever came after it.
  for (const seq of [0, -5, 1.5, 2 ** 40]) send({ kind: "call", seq, name: "f", text: "[]", bufs: [], post: true });
  send({ kind: "call", seq: 6, name: "g", text: "[]", bufs: [], post: true, channel: ch.sab });  // its channel ignored
  send({ kind: "call", seq: 8, name: "k", text: "[]", bufs: [], post: true });
  send({ kind: "nonsense", seq: 9, post: true });
  send({ kind: "dom", seq: 10, text: "not json", post: true });
  assert.deepEqual(plain(posted.map((m) => [m.type, m.ids])), [["returns", [-6]], ["returns", [-8]], ["returns", [-9]], ["returns", [-10]]]);
  assert.deepEqual(JSON.parse(posted[0].text), [[-6, 1, "g", -1]]);
  assert.deepEqual(JSON.parse(posted[1].text), [[-8, 1, "k", -1]]);
  assert.equal(JSON.parse(posted[2].text)[0][1], 0);  // unknown kind: answered with the error
  assert.equal(JSON.parse(posted[3].text)[0][1], 0);  // a dom request that cannot be read: its error
  assert.equal(rec.syncPosted.size, 0);  // nothing kept once answered
  assert.equal(rec.syncSeq, 5);  // the channel's request is untouched: still the newest there
  assert.deepEqual(answer(ch), [-5, 1, "chan", -1]);
  // `post` other than true is a channel request (the channel given before).
  send({ kind: "call", seq: 11, name: "h", text: "[]", bufs: [], post: "yes" });
  assert.equal(posted.length, 4);
  assert.deepEqual(answer(ch), [-11, 1, "h", -1]);
});

console.log(`${count - failures}/${count} hostile sync tests passed`);
process.exit(failures ? 1 : 0);
