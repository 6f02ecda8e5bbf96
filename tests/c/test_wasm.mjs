// test_wasm.mjs [path/to/_core.wasm] [max bytes] - the wasm module as JS sees it:
// instantiates with an empty import object, exports exactly the documented
// names, and every export behaves as csrc/WASM_API.md says. The size budget
// comes from mk/core.mk (CORE_WASM_MAX_BYTES), the constants from js/constants.js.
import fs from "node:fs";
import assert from "node:assert/strict";

const path = process.argv[2] ?? "build/_core.wasm";
const maxBytes = Number(process.argv[3]);
assert.ok(Number.isInteger(maxBytes) && maxBytes > 0, "usage: test_wasm.mjs WASM MAX_BYTES");
const bytes = fs.readFileSync(path);
const EXPORTS = [
  "memory", "pww_w_create", "pww_w_destroy", "pww_w_count_workers",
  "pww_w_state", "pww_w_set_state", "pww_w_push", "pww_w_push_kept", "pww_w_length",
  "pww_w_unread", "pww_w_first_unread", "pww_w_list_unread", "pww_w_held",
  "pww_w_list_held", "pww_w_info", "pww_w_mark_opened", "pww_w_release",
  "pww_w_release_opened", "pww_w_set_limits", "pww_w_malloc", "pww_w_free",
  "pww_w_strerror", "pww_w_err_name", "pww_w_call_begin", "pww_w_call_end",
  "pww_w_call_cancel", "pww_w_call_cancel_all", "pww_w_call_stat",
  "pww_w_limit", "pww_w_fits",
];
const constantsJs = fs.readFileSync(new URL("../../js/constants.js", import.meta.url), "utf8");
const C = new Function(`${constantsJs}\nreturn PWW_CORE;`)();
const E = Object.fromEntries(Object.keys(C).filter((k) => /^E[A-Z]+$/.test(k)).map((k) => [k, C[k]]));
const OUT = C.OUTBOUND, IN = C.INBOUND;
const { KIND_PYTHON: PY, KIND_JAVASCRIPT: JS, MSG_TEXT: TEXT, MSG_BYTES: BYTES } = C;
const { STATE_CREATED: CREATED, STATE_STARTING: STARTING, STATE_RUNNING: RUNNING, STATE_KILLED: KILLED } = C;
assert.equal(Object.keys(E).length, 10, "every error code of pww.h");
let checks = 0;
const eq = (a, b, what) => { checks++; assert.deepEqual(a, b, what); };

const mod = new WebAssembly.Module(bytes);
eq(WebAssembly.Module.imports(mod), [], "no imports");
eq(WebAssembly.Module.exports(mod).map((e) => e.name).sort(), [...EXPORTS].sort(), "exports");
assert.ok(bytes.length <= maxBytes, `size ${bytes.length} <= ${maxBytes}`);

const { instance: { exports: w } } = await WebAssembly.instantiate(bytes, {});
const mem = () => w.memory.buffer;
const cstr = (p) => {
  const u8 = new Uint8Array(mem());
  let end = p;
  while (u8[end]) end++;
  return new TextDecoder().decode(u8.subarray(p, end));
};
const enc = new TextEncoder();
function push(id, q, kind, text, t) {
  const data = enc.encode(text);
  const p = w.pww_w_malloc(data.length);
  new Uint8Array(mem()).set(data, p);
  const r = w.pww_w_push(id, q, kind, p, data.length, t);
  w.pww_w_free(p);
  return r;
}
function info(id, q, i) {
  const p = w.pww_w_info(id, q, i);
  if (p < 0) return p;
  const dv = new DataView(mem());
  const ptr = dv.getUint32(p, true), len = dv.getUint32(p + 4, true);
  return {
    text: new TextDecoder().decode(new Uint8Array(mem(), ptr, len)),
    kind: dv.getInt32(p + 8, true), opened: dv.getInt32(p + 12, true),
    time: dv.getFloat64(p + 16, true),
    reserved: [dv.getUint32(p + 24, true), dv.getUint32(p + 28, true)], aligned: p % 8,
  };
}

for (const [name, code] of Object.entries(E)) eq(cstr(w.pww_w_err_name(code)), name);
eq(E.EINVAL, -2, "the ABI's first code");
eq(cstr(w.pww_w_strerror(E.EFULL)), "queue full");
eq(cstr(w.pww_w_err_name(0)), "OK");
eq(cstr(w.pww_w_err_name(-1)), "UNKNOWN");

eq(w.pww_w_count_workers(), 0);
eq(w.pww_w_create(3), E.EINVAL);
const a = w.pww_w_create(PY), b = w.pww_w_create(JS);
eq([a, b, w.pww_w_count_workers()], [1, 2, 2]);
eq(w.pww_w_state(a), CREATED);
eq(w.pww_w_set_state(a, RUNNING), E.ESTATE, "created -> running refused");
eq(w.pww_w_state(99), E.ENOENT);

eq(push(a, OUT, TEXT, "queued before start", 1.5), 0);
eq(push(a, OUT, C.MSG_JSON, '{"x":1}', 2.5), 1);
// Kinds are 1..4 only: the former control range 16..255 is refused too.
for (const k of [0, 5, 16, 255, 256, -1]) eq(push(a, OUT, k, "x", 0), E.EINVAL, `kind ${k}`);
eq(w.pww_w_length(a, OUT), 2);
eq(w.pww_w_unread(a, OUT), 2);
eq(info(a, OUT, 1), { text: '{"x":1}', kind: C.MSG_JSON, opened: 0, time: 2.5, reserved: [0, 0], aligned: 0 });
eq(w.pww_w_set_state(a, STARTING), 0);
eq(w.pww_w_set_state(a, RUNNING), 0);
// The outbound drain: deliver i, release it.
for (let i = w.pww_w_first_unread(a, OUT); i < w.pww_w_length(a, OUT);
  i = w.pww_w_first_unread(a, OUT)) eq(w.pww_w_release(a, OUT, i), 0);
eq(w.pww_w_unread(a, OUT), 0);
eq(w.pww_w_first_unread(a, OUT), 2, "none unread: first_unread == length");
eq(info(a, OUT, 0), E.ERELEASED);
eq(info(a, OUT, 2), E.ERANGE);

for (let i = 0; i < 5; i++) eq(push(a, IN, TEXT, `m${i}`, 10 + i), i);
eq(w.pww_w_mark_opened(a, IN, 1), 0);
eq(w.pww_w_mark_opened(a, IN, 3), 0);
const out = w.pww_w_malloc(4 * 8);
eq(w.pww_w_list_unread(a, IN, out, 8), 3);
eq([...new Int32Array(mem(), out, 3)], [0, 2, 4]);
eq(w.pww_w_list_unread(a, IN, out, -1), E.EINVAL);
eq(w.pww_w_held(a, IN), 5);
eq(w.pww_w_release(a, IN, 2), 0);
eq(w.pww_w_held(a, IN), 4);
eq(w.pww_w_list_held(a, IN, out, 8), 4);
eq([...new Int32Array(mem(), out, 4)], [0, 1, 3, 4]);
eq(w.pww_w_list_held(a, IN, out, 2), 2, "capped, oldest first");
eq([...new Int32Array(mem(), out, 2)], [0, 1]);
eq(w.pww_w_list_held(a, IN, 0, 0), 0);
eq(w.pww_w_list_held(a, IN, out, -1), E.EINVAL);
eq(w.pww_w_list_held(99, IN, out, 1), E.ENOENT);
eq(w.pww_w_held(99, IN), E.ENOENT);
eq(w.pww_w_held(a, 5), E.EINVAL);
eq(w.pww_w_release_opened(a, IN), 2);
eq(w.pww_w_list_held(a, IN, out, 8), 2);
eq([...new Int32Array(mem(), out, 2)], [0, 4]);
w.pww_w_free(out);
eq(info(a, IN, 4).text, "m4");
eq(info(a, IN, 3), E.ERELEASED);

eq(w.pww_w_set_limits(b, IN, 2, 0), 0);
eq(push(b, IN, BYTES, "x", 0), 0);
eq(push(b, IN, BYTES, "y", 0), 1);
eq(push(b, IN, BYTES, "z", 0), E.EFULL);
eq(w.pww_w_set_limits(0, IN, -1, 0), E.EINVAL);
eq(w.pww_w_set_limits(0, 5, 0, 0), E.EINVAL);
// Limits read back; whether a size fits, asked before copying anything, any size.
eq([w.pww_w_limit(b, IN, 0), w.pww_w_limit(b, IN, 1)], [2, 0]);
eq([w.pww_w_limit(0, IN, 0), w.pww_w_limit(0, IN, 1)], [C.DEFAULT_MAX_MESSAGES, C.DEFAULT_MAX_BYTES]);
eq(w.pww_w_limit(b, IN, 2), E.EINVAL);
eq(w.pww_w_fits(b, IN, 0), E.EFULL, "by count");
eq(w.pww_w_set_limits(b, IN, 0, 10), 0);
eq(w.pww_w_fits(b, IN, 8), 0, "two 1-byte messages held");
eq(w.pww_w_fits(b, IN, 9), E.EFULL);
eq(w.pww_w_set_limits(b, IN, 0, 0), 0);
eq(w.pww_w_fits(b, IN, C.MAX_LEN), 0);
for (const n of [C.MAX_LEN + 1, 5 * 2 ** 30, 2 ** 64, -1, NaN, Infinity]) eq(w.pww_w_fits(b, IN, n), E.EINVAL, `fits ${n}`);
eq(w.pww_w_fits(99, IN, 1), E.ENOENT);
eq(w.pww_w_fits(b, 5, 1), E.EINVAL);

// Memory growth: 64 MiB through the inbound queue without imports.
const big = w.pww_w_malloc(1 << 20);
const c = w.pww_w_create(JS);
for (let i = 0; i < 64; i++) eq(w.pww_w_push(c, IN, BYTES, big, 1 << 20, i), i);
w.pww_w_free(big);
eq(w.pww_w_set_state(c, KILLED), 0);
eq(push(c, OUT, TEXT, "after kill", 0), E.ESTATE);
eq(w.pww_w_destroy(c), 0);
eq(w.pww_w_destroy(c), E.ENOENT);
eq(w.pww_w_create(PY), 4, "ids never reused");

// Calls: ids per worker, end / cancel / late replies, counters, kill accounting.
const d = w.pww_w_create(PY);
eq([w.pww_w_call_begin(d, 1), w.pww_w_call_begin(d, 2), w.pww_w_call_begin(d, 3)], [1, 2, 3]);
eq(w.pww_w_call_begin(99, 0), E.ENOENT);
eq(w.pww_w_call_end(d, 2), 0);
eq(w.pww_w_call_end(d, 2), E.ENOCALL, "a second reply is late");
eq(w.pww_w_call_end(d, 7), E.EINVAL, "never given");
eq(w.pww_w_call_cancel(d, 1), 0);
eq(w.pww_w_call_end(d, 1), E.ENOCALL, "reply after a timeout is late");
eq(w.pww_w_call_begin(d, 4), 4);
eq(C.CALL_STAT_NAMES.map((_, s) => w.pww_w_call_stat(d, s)), [2, 4, 1, 1, 2]);
eq(w.pww_w_call_stat(d, C.CALL_STAT_COUNT), E.EINVAL);
eq(w.pww_w_set_state(d, KILLED), 0);
eq(w.pww_w_call_begin(d, 6), E.ESTATE, "no call to a killed worker");
eq(w.pww_w_call_cancel_all(d), 2);
eq(w.pww_w_call_stat(d, C.CALL_PENDING), 0);
eq(w.pww_w_call_end(d, 3), E.ENOCALL);
eq(w.pww_w_destroy(d), 0);

// A kept message (its payload stays in JS): counted, no payload in memory (ptr 0).
{
  const k = w.pww_w_create(JS);
  eq(w.pww_w_set_limits(k, IN, 0, 1 << 20), 0);
  const before = mem().byteLength;
  eq(w.pww_w_push_kept(k, IN, BYTES, 1 << 20, 5), 0);
  eq(w.pww_w_push_kept(k, IN, BYTES, 1, 6), E.EFULL);
  eq(mem().byteLength, before, "no payload allocated");
  const p = w.pww_w_info(k, IN, 0), dv = new DataView(mem());
  eq([dv.getUint32(p, true), dv.getUint32(p + 4, true), dv.getInt32(p + 8, true)], [0, 1 << 20, BYTES]);
  for (const n of [C.MAX_LEN + 1, 2 ** 64, -1, NaN]) eq(w.pww_w_push_kept(k, IN, BYTES, n, 0), E.EINVAL, `kept ${n}`);
  eq(w.pww_w_destroy(k), 0);
}
console.log(`test_wasm: ${checks} checks ok (${bytes.length} bytes, no imports)`);
