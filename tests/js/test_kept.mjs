// Unit tests of large received payloads kept in JS beside the C queue (js/core.js
// pushValue, entry, release, copyOut), under plain Node: `node tests/js/test_kept.mjs`.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const JS = path.join(ROOT, "js");
const manifest = JSON.parse(fs.readFileSync(path.join(JS, "manifest.json"), "utf8"));
const hostBundle = manifest.host.map((f) => fs.readFileSync(path.join(JS, f), "utf8")).join("\n");
const wasm = fs.readFileSync(path.join(ROOT, "pywebworker", "_core.wasm"));

const ctx = vm.createContext({ console, TextEncoder, TextDecoder, WebAssembly, URL, performance });
vm.runInContext(`${hostBundle}\nglobalThis.lib = { PWW_CORE, PWW_KEEP_MIN, pwwCore, pwwInbox, pwwInboundApi };`, ctx);
const { PWW_CORE: C, PWW_KEEP_MIN: KEEP, pwwCore, pwwInbox, pwwInboundApi } = ctx.lib;
const IN = C.INBOUND;

let count = 0;
function test(name, fn) {
  count++;
  try { fn(); } catch (e) { console.error(`FAIL ${name}\n${e.stack}`); process.exitCode = 1; }
}

// A fresh core with one running worker: [core, id, inbox, api].
function fresh() {
  const core = pwwCore(wasm);
  const id = core.exports.pww_w_create(C.KIND_JAVASCRIPT);
  core.exports.pww_w_set_state(id, C.STATE_STARTING);
  core.exports.pww_w_set_state(id, C.STATE_RUNNING);
  return [core, id, pwwInbox(core, id, "worker"), pwwInboundApi(core)];
}
const bytes = (n, seed = 1) => { const u = new Uint8Array(n); for (let i = 0; i < n; i++) u[i] = (i * 7 + seed) & 255; return u; };
const same = (a, b) => a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

test("a large ArrayBuffer is kept, not copied into wasm memory; read twice; released", () => {
  const [core, id, inbox, api] = fresh();
  const memBefore = core.exports.memory.buffer.byteLength;
  const big = bytes(4 << 20);
  const i = inbox.value(big.buffer);
  assert.equal(i, 0);
  assert.equal(core.keptCount(), 1);
  assert.equal(core.exports.memory.buffer.byteLength, memBefore, "wasm memory did not grow");
  assert.deepEqual([...api.info(id, 0)].filter((_, k) => k !== 2), [C.MSG_BYTES, 0, 4 << 20]);
  const [kind, first] = api.read(id, 0);
  assert.equal(kind, C.MSG_BYTES);
  assert.ok(same(first, big));
  assert.ok(same(api.read(id, 0)[1], big), "read twice");
  assert.equal(api.info(id, 0)[1], 1, "marked opened");
  assert.equal(api.releaseOpened(id), 1);
  assert.equal(core.keptCount(), 0);
  assert.equal(api.read(id, 0), C.ERELEASED);
});

test("views of part of a buffer and shared memory are copied (into JS), small payloads into wasm", () => {
  const [core, id, inbox, api] = fresh();
  inbox.value(bytes(KEEP - 1).buffer);
  const whole = bytes(3 * KEEP);
  inbox.value(new Uint8Array(whole.buffer, 8, 2 * KEEP));
  const shared = new Uint8Array(new SharedArrayBuffer(KEEP));
  shared.set(bytes(KEEP));
  inbox.value(shared);
  inbox.value(new Uint8Array(bytes(KEEP).buffer));  // a whole view is kept as it is
  assert.equal(core.keptCount(), 3);
  assert.equal(api.info(id, 1)[3], 2 * KEEP, "the view's size, not its buffer's");
  assert.ok(same(api.read(id, 1)[1], whole.subarray(8, 8 + 2 * KEEP)));
  shared[0] ^= 255;  // the writer changes shared memory: the message does not change
  assert.ok(same(api.read(id, 2)[1], bytes(KEEP)));
  assert.ok(same(api.read(id, 3)[1], bytes(KEEP)));
});

test("kept bytes count against the byte limit, exactly", () => {
  const [core, id, inbox, api] = fresh();
  core.exports.pww_w_set_limits(id, IN, 0, 3 * KEEP);
  assert.equal(inbox.value(bytes(2 * KEEP).buffer), 0);
  // Full for now: dropped and counted, and reported.
  assert.equal(inbox.value(bytes(KEEP + 1).buffer), C.EFULL);
  assert.equal(inbox.dropped, 1);
  assert.equal(inbox.value(bytes(KEEP).buffer), C.EFULL, "the report is queued first and takes room");
  api.read(id, 0);
  api.read(id, 1);
  api.releaseOpened(id);
  // Larger than the limit: never fits, an error message says why, nothing kept.
  const n = inbox.value(bytes(3 * KEEP + 1).buffer);
  const [kind, text] = api.read(id, n);
  assert.equal(kind, C.MSG_ERROR);
  assert.match(text, /byte limit/);
  assert.equal(core.keptCount(), 0);
  for (const k of api.held(id)) api.read(id, k);
  api.releaseOpened(id);
  assert.equal(inbox.value(bytes(3 * KEEP).buffer), n + 1, "exactly the limit fits");
  assert.equal(core.keptCount(), 1);
  assert.equal(api.info(id, n + 1)[3], 3 * KEEP);
});

test("a released kept buffer is reused by copyOut for the next copy of its size", () => {
  const [core, id, inbox, api] = fresh();
  const got = bytes(KEEP * 2, 3);
  inbox.value(got.buffer);
  const other = bytes(KEEP * 2, 9);
  const fresh1 = core.copyOut(other);
  assert.notEqual(fresh1.buffer, got.buffer, "not released yet: a new buffer");
  api.read(id, 0);
  api.releaseOpened(id);
  const reused = core.copyOut(other);
  assert.equal(reused.buffer, got.buffer, "the released buffer, reused");
  assert.ok(same(reused, other));
  assert.notEqual(core.copyOut(other).buffer, got.buffer, "taken from the pool once only");
  assert.equal(core.copyOut(bytes(10)).byteLength, 10);
});

test("the pool is bounded; destroy drops what is kept", () => {
  const [core, id, inbox, api] = fresh();
  const bufs = [];
  for (let k = 0; k < 8; k++) { const b = bytes(KEEP, k).buffer; bufs.push(b); inbox.value(b); api.read(id, k); }
  api.releaseOpened(id);
  const reused = new Set();
  for (let k = 0; k < 8; k++) reused.add(core.copyOut(bytes(KEEP)).buffer);
  assert.equal([...reused].filter((b) => bufs.includes(b)).length, 4, "at most 4 pooled");
  inbox.value(bytes(KEEP).buffer);
  assert.equal(core.keptCount(), 1);
  assert.equal(core.destroy(id), 0);
  assert.equal(core.keptCount(), 0);
});

test("queued outbound bytes: one copy into JS, transferred by the drain, not reused after", () => {
  const [core, id] = fresh();
  const OUT = C.OUTBOUND, memBefore = core.exports.memory.buffer.byteLength;
  const src = bytes(2 * KEEP, 5);
  core.exports.pww_w_set_limits(id, OUT, 0, 2 * KEEP);
  assert.equal(core.pushBytes(id, OUT, C.MSG_BYTES, bytes(2 * KEEP + 1), 0), C.EFULL, "refused before a copy");
  assert.equal(core.keptCount(), 0);
  const i = core.pushBytes(id, OUT, C.MSG_BYTES, src, 0);
  assert.equal(i, 0);
  src[0] ^= 1;  // the sender's buffer changes after the send: the message does not
  assert.equal(core.exports.memory.buffer.byteLength, memBefore);
  const [, data] = core.entry(id, OUT, i, Infinity, false);
  assert.ok(same(data, bytes(2 * KEEP, 5)));
  structuredClone(data.buffer, { transfer: [data.buffer] });  // as deliver() posts it
  assert.equal(core.release(id, OUT, i), 0);
  assert.equal(core.keptCount(), 0);
  assert.equal(core.copyOut(bytes(2 * KEEP)).byteLength, 2 * KEEP, "no detached buffer pooled");
});

console.log(`test_kept: ${count} tests${process.exitCode ? ", FAILED" : ", all ok"}`);
