// Unit tests of the wire protocol (js/protocol.js) and of js/manifest.json, under plain
// Node in well under a second: `node tests/js/test_protocol.mjs`.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "js");
const manifest = JSON.parse(fs.readFileSync(path.join(JS, "manifest.json"), "utf8"));
// As pywebworker/_js.py bundles(): each list's files joined in order.
const bundles = Object.fromEntries(Object.entries(manifest).map(
  ([name, files]) => [name, files.map((f) => fs.readFileSync(path.join(JS, f), "utf8")).join("\n")]));

let failures = 0, count = 0;
const pending = [];
const failed = (name) => (e) => { failures++; console.error(`FAIL ${name}\n${e.stack}`); };
function test(name, fn) {
  count++;
  try {
    const r = fn();
    if (r && typeof r.then === "function") pending.push(r.catch(failed(name)));
  } catch (e) { failed(name)(e); }
}

// The host bundle's names, in a fresh context.
const host = vm.createContext({ console, TextEncoder, TextDecoder, WebAssembly, URL, performance });
vm.runInContext(`${bundles.host}\nglobalThis.lib = { PWW, PWW_CORE, PWW_MESSAGES, pwwMessage, pwwRead,
  pwwErrorInfo, pwwErrorText, pwwErrorFrom, pwwBatch, pwwBatchAdd, pwwBatchText, pwwBatchFailed,
  pwwBatchIds, pwwOutbox, pwwOwnBuffers, pwwIds, pwwHost, pwwCore, pwwWorkerSource, pwwPackMessages,
  pwwEachMessage, pwwBatchTexts, PWW_RING, pwwRingWriter, pwwRingReader,
  PWW_STAGES, PWW_SYNC, pwwSharedMemory, pwwSyncChannel, pwwSyncEncode, pwwSyncAnswer,
  pwwSyncWait, pwwSyncRead, pwwSyncWrite, pwwHostDom };`, host);
const P = host.lib;
const plain = (v) => JSON.parse(JSON.stringify(v));  // values from another realm, compared as data

test("every message is built, then read back the same", () => {
  const args = {
    init: [{ indexURL: "/i/", moduleURL: "/i/pyodide.mjs", name: "w", script: "x = 1", url: null,
      packages: ["numpy"], files: {}, indexes: {}, modules: {}, spare: false, tasks: true }],
    started: [], warm: [], run: [{ name: "w", script: "x = 1", url: null, tasks: false }], ready: [["add", "cat"]], failed: [{ name: "ValueError", message: "bad", stack: "s" }],
    output: ["stderr", "a line"], error: [{ name: "E", message: "m", stack: "" }], exit: [],
    json: ['{"a": 1.0}'], calls: ['[[1,"add",[1,2],-1]]', []],
    returns: ['[[1,1,3,-1]]', [], [1]], msgs: [new Int32Array([1, 3]), new ArrayBuffer(3), true],
    ring: [new SharedArrayBuffer(8)], bell: [], stage: ["installing"],
    sync: ["call", 3, "add", "[1,2]", [], null],
    snapshot: ["made", new Uint8Array([1, 2, 3]), null],
  };
  assert.deepEqual(Object.keys(P.PWW_MESSAGES).sort(), Object.keys(args).sort());
  for (const type of Object.keys(P.PWW_MESSAGES)) {
    assert.ok(Object.values(P.PWW).includes(type), `PWW names ${type}`);
    const m = P.pwwMessage("n0nce", type, ...args[type]);
    assert.equal(m[P.PWW.TAG], "n0nce");
    assert.equal(m.type, type);
    const cloned = structuredClone(m);  // what postMessage delivers
    const read = P.pwwRead("n0nce", cloned);
    const expected = { ...m, [P.PWW.TAG]: undefined };
    delete expected[P.PWW.TAG];
    assert.deepEqual(plain(read), plain(expected), type);
  }
});

test("a stage is one of PWW_STAGES: anything else reads as none", () => {
  assert.deepEqual(plain(P.PWW_STAGES), ["loading", "installing", "files", "script"]);
  assert.equal(P.pwwRead("n", { __pywebworker__: "n", type: "stage", stage: "<b>" }).stage, "");
  assert.equal(P.pwwRead("n", { __pywebworker__: "n", type: "stage", stage: { toString: null } }).stage, "");
});

test("a sync answer: written into the channel, read back; too big: only its length", () => {
  const ch = P.pwwSyncChannel(64);
  assert.equal(ch.room, 64);
  assert.equal(P.pwwSyncWait(ch, 1, performance.now()), false);  // not answered: the deadline passed
  const text = '[[-1,1,"\u00e9t\u00e9",0]]';
  assert.equal(P.pwwSyncAnswer(ch, 1, text, [new Uint8Array([1, 2, 3]).buffer, new ArrayBuffer(0)]), null);
  assert.equal(P.pwwSyncWait(ch, 1, performance.now()), true);
  let [got, bufs] = P.pwwSyncRead(ch);
  assert.equal(got, text);
  assert.deepEqual(plain(bufs.map((b) => [...new Uint8Array(b)])), [[1, 2, 3], []]);
  assert.equal(Object.prototype.toString.call(bufs[0]), "[object ArrayBuffer]");  // not shared memory
  // Non-ASCII text that fits only once encoded: encoded apart, then copied in.
  const wide = "\u00e9".repeat(20);
  assert.equal(P.pwwSyncAnswer(ch, 2, wide, []), null);
  assert.equal(P.pwwSyncRead(ch)[0], wide);
  const long = "\u00e9".repeat(40);  // 80 bytes: only its length is written
  const big = P.pwwSyncAnswer(ch, 3, long, [new ArrayBuffer(5)]);
  assert.ok(big !== null);
  assert.equal(P.pwwSyncWait(ch, 3, performance.now()), true);
  assert.equal(Atomics.load(ch.head, 1), big.length);  // the worker fetches it with a channel of this size
  const ch2 = P.pwwSyncChannel(big.length);
  P.pwwSyncWrite(ch2, 3, big);
  [got, bufs] = P.pwwSyncRead(ch2);
  assert.equal(got, long);
  assert.equal(bufs[0].byteLength, 5);
  // Where encodeInto refuses shared memory (Chromium), the text is encoded apart.
  P.pwwSyncAnswer.inPlace = false;
  assert.equal(P.pwwSyncAnswer(ch, 4, wide, [new Uint8Array([9]).buffer]), null);
  [got, bufs] = P.pwwSyncRead(ch);
  assert.equal(got, wide);
  assert.deepEqual(plain([...new Uint8Array(bufs[0])]), [9]);
  delete P.pwwSyncAnswer.inPlace;
  // A sync message carries its channel (shared memory), and nothing else in that field.
  const m = P.pwwRead("n", structuredClone(P.pwwMessage("n", P.PWW.SYNC, "call", 7, "f", "[]", [], ch.sab)));
  assert.equal(Object.prototype.toString.call(m.channel), "[object SharedArrayBuffer]");
  assert.equal(P.pwwRead("n", { __pywebworker__: "n", type: "sync", channel: new ArrayBuffer(4), seq: 1.5 }).channel, null);
  assert.equal(P.pwwSharedMemory(), false);  // this context is neither Node's main realm nor isolated
});

test("a msgs batch: packed once, read back in order; a malformed one is refused whole", () => {
  const { MSG_TEXT: TEXT, MSG_JSON: JSONK, MSG_BYTES: BYTES } = P.PWW_CORE;
  const items = [[TEXT, "a"], [JSONK, '{"k":"\u00e9\ud83d\ude00"}'], [TEXT, ""], [TEXT, "\u00e9t\u00e9 \ud83d\ude00"]];
  const [meta, buf] = P.pwwPackMessages(items);
  const m = P.pwwRead("n", structuredClone(P.pwwMessage("n", P.PWW.MSGS, meta, buf)));
  const got = [];
  P.pwwEachMessage(m, (kind, bytes) => got.push([kind, new TextDecoder().decode(bytes)]));
  assert.deepEqual(got, items);
  assert.deepEqual(plain(P.pwwBatchTexts(m, new TextDecoder())), items);
  const asciiItems = [[TEXT, "ab"], [JSONK, "[1,2]"], [TEXT, ""], [TEXT, "c"]];
  const [ameta, abuf] = P.pwwPackMessages(asciiItems);
  assert.deepEqual(plain(P.pwwBatchTexts({ meta: ameta, buf: abuf, ascii: true }, new TextDecoder())), asciiItems);
  const bad = (metaArr, n) => () => P.pwwEachMessage({ meta: new Int32Array(metaArr), buf: new ArrayBuffer(n) }, () => {
    throw new Error("no message may be handed on from a malformed batch");
  });
  assert.throws(bad([TEXT, 4], 3), /lengths past its buffer/);
  assert.throws(bad([TEXT, -1], 3), /negative length/);
  assert.throws(bad([TEXT], 3), /odd meta/);
  assert.throws(bad([BYTES, 1], 3), /kind/);
  assert.throws(bad([TEXT, 1, 99, 1], 3), /kind/);
  // Malformed fields read as an empty batch.
  const empty = P.pwwRead("n", { [P.PWW.TAG]: "n", type: "msgs", meta: [1, 2], buf: "x" });
  assert.equal(empty.meta.length, 0);
  assert.equal(empty.buf.byteLength, 0);
});

test("readers read defaults for missing or malformed fields", () => {
  const tag = P.PWW.TAG;
  assert.deepEqual(plain(P.pwwRead("n", { [tag]: "n", type: "ready" })), { type: "ready", exports: [] });
  assert.deepEqual(plain(P.pwwRead("n", { [tag]: "n", type: "failed", error: "boom" })),
    { type: "failed", error: { name: "Error", message: "boom", stack: "" } });
  assert.deepEqual(plain(P.pwwRead("n", { [tag]: "n", type: "returns" })), { type: "returns", text: "[]", bufs: [], ids: [] });
  assert.throws(() => P.pwwRead("n", { [tag]: "n", type: "call" }), /unknown control message type call/);
  assert.throws(() => P.pwwRead("n", { [tag]: "n", type: "constructor" }), /unknown/);
});

test("user payloads read as null", () => {
  const tag = P.PWW.TAG;
  for (const d of [null, undefined, 0, "ready", [1], { type: "ready" }, { [tag]: "other", type: "ready" },
    new ArrayBuffer(2), { [tag]: undefined, type: "exit" }]) {
    assert.equal(P.pwwRead("n", d), null, String(d));
  }
});

test("batch items are the golden strings", () => {
  // Also built or read by tests/unit/test_wire.py: Python's Batch writes the same text.
  const calls = P.pwwBatch();
  P.pwwBatchAdd(calls, 1, "add", "[1,2]");
  P.pwwBatchAdd(calls, 2, "cat", '[{"\\u0000b":0}]', [new ArrayBuffer(3)]);
  assert.equal(P.pwwBatchText(calls), '[[1,"add",[1,2],-1],[2,"cat","[{\\"\\\\u0000b\\":0}]",0]]');
  assert.deepEqual(plain(calls.ids), [1, 2]);
  assert.equal(calls.bufs.length, 1);
  assert.equal(calls.transfer.length, 1);
  const returns = P.pwwBatch();
  P.pwwBatchAdd(returns, 1, 1, "3");
  P.pwwBatchAdd(returns, 2, 0, P.pwwErrorText({ name: "ValueError", message: "bad" }));
  assert.equal(P.pwwBatchText(returns), '[[1,1,3,-1],[2,0,{"name":"ValueError","message":"bad","stack":""},-1]]');
  // The item that carries bytes reads back as JSON text whose marker names bufs[0][0].
  const item = JSON.parse(P.pwwBatchText(calls))[1];
  assert.deepEqual(JSON.parse(item[2]), [{ "\u0000b": 0 }]);
});

test("pwwBatchFailed answers every id with one error", () => {
  const b = P.pwwBatchFailed([3, 4], new TypeError("no"));
  const items = JSON.parse(P.pwwBatchText(b));
  assert.deepEqual(items.map((i) => [i[0], i[1], i[2].name, i[2].message, i[3]]),
    [[3, 0, "TypeError", "no", -1], [4, 0, "TypeError", "no", -1]]);
  assert.deepEqual(plain(b.ids), [3, 4]);
  assert.deepEqual(plain(P.pwwBatchIds('[[5,"f",[],-1],[6,"g",[],-1]]')), [5, 6]);
  assert.deepEqual(plain(P.pwwBatchIds("not json")), []);
  assert.deepEqual(plain(P.pwwIds("1,2,3")), [1, 2, 3]);
  assert.deepEqual(plain(P.pwwIds("")), []);
});

test("pwwErrorInfo of an Error, a PythonError, a string, undefined, a hostile value", () => {
  const e = new RangeError("too far");
  assert.deepEqual(plain(P.pwwErrorInfo(e)), { name: "RangeError", message: "too far", stack: e.stack });
  assert.equal(P.pwwErrorInfo(e, "while x: ").message, "while x: too far");
  const py = { name: "PythonError", type: "ValueError", message: "Traceback...\nValueError: bad", stack: "js" };
  assert.equal(P.pwwErrorInfo(py).name, "ValueError");
  // `type` names only a PythonError: a user's error with a `type` field keeps its name.
  assert.equal(P.pwwErrorInfo({ name: "HttpError", type: "timeout", message: "m" }).name, "HttpError");
  assert.deepEqual(plain(P.pwwErrorInfo("boom")), { name: "Error", message: "boom", stack: "" });
  assert.deepEqual(plain(P.pwwErrorInfo(undefined)), { name: "Error", message: "undefined", stack: "" });
  const hostile = { get message() { throw new Error("no"); } };
  assert.equal(P.pwwErrorInfo(hostile).name, "Error");
  assert.deepEqual(plain(P.pwwErrorInfo(Object.create(null), "p: ")).message.startsWith("p: "), true);
  // Error data read back is the same data (idempotent), and an Error is made from it.
  const info = P.pwwErrorInfo(e);
  assert.deepEqual(plain(P.pwwErrorInfo(info)), plain(info));
  const back = P.pwwErrorFrom(info);
  assert.equal(back.name, "RangeError");
  assert.equal(back.message, "too far");
  assert.equal(back.remoteStack, e.stack);
});

test("pwwOwnBuffers: transferable buffers, one copy at most", () => {
  const whole = new Uint8Array([1, 2, 3]);
  const part = new Uint8Array(whole.buffer, 1, 1);
  const [a, b] = P.pwwOwnBuffers([whole, part]);
  assert.equal(a, whole.buffer);
  assert.deepEqual([...new Uint8Array(b)], [2]);
  assert.equal(P.pwwOwnBuffers([]), undefined);
  assert.equal(P.pwwOwnBuffers(undefined), undefined);
});

test("pwwOutbox: one message per task, flush first", async () => {
  const sent = [];
  const box = P.pwwOutbox((b) => sent.push(P.pwwBatchText(b)));
  box.add(1, "f", "[]");
  box.add(2, "g", "[]");
  box.flush();
  box.add(3, "h", "[]");
  assert.deepEqual(sent, ['[[1,"f",[],-1],[2,"g",[],-1]]']);
  return Promise.resolve().then(() => assert.deepEqual(sent.slice(1), ['[[3,"h",[],-1]]']));
});

// A worker's global scope, enough for the bundles to run their top level: what they
// post is recorded.
function workerScope(extra) {
  const posted = [], listeners = [];
  const g = { console, TextEncoder, TextDecoder, WebAssembly, URL, performance, structuredClone, setTimeout, posted, listeners,
    postMessage: (d) => posted.push(d), addEventListener: (t, fn) => listeners.push([t, fn]), ...extra };
  g.self = g;
  return vm.createContext(g);
}

test("every manifest bundle evaluates, in order, in a vm context", () => {
  for (const [name, files] of Object.entries(manifest)) {
    for (const f of files) assert.ok(fs.existsSync(path.join(JS, f)), `${name}: ${f}`);
    // Each bundle compiles as plain script text, or as the body of the worker function.
    if (["jsClassic", "jsModule", "jsNode"].includes(name)) continue;  // their top-level await: below
    vm.runInContext(bundles[name], workerScope({ PWW_PARAMS: { nonce: "n" }, require: () => ({ parentPort: { on() {}, postMessage() {} } }) }));
  }
  // A classic JsWorker as the host assembles it: its script runs, then it says ready.
  const src = P.pwwWorkerSource(bundles, "jsClassic", { nonce: "n1", url: "user.js" }, false);
  const ctx = workerScope({ importScripts: (url) => { vm.runInContext("pywebworker.expose({ add: (a, b) => a + b });", ctx); ctx.loaded = url; } });
  vm.runInContext(src, ctx);
  assert.equal(ctx.loaded, "user.js");
  // The glue's names stay inside the worker function: a user's classic script sees only
  // `pywebworker`.
  assert.equal(vm.runInContext("typeof PWW + typeof PWW_CORE + typeof pwwMessage", ctx), "undefinedundefinedundefined");
  // The module and Node wrappers compile as bundled.
  for (const which of ["jsModule", "jsNode", "pyworker"]) {
    new vm.Script(P.pwwWorkerSource(bundles, which, { nonce: "n" }, which === "jsNode"));
  }
  // Ready is said in a task after the script's own (worker_classic.js says why).
  assert.equal(ctx.posted.map((d) => P.pwwRead("n1", d)).filter((m) => m && m.type === "ready").length, 0);
  return new Promise((resolve) => setTimeout(resolve, 0)).then(() => {
    const ready = P.pwwRead("n1", ctx.posted.at(-1));
    assert.deepEqual(plain(ready), { type: "ready", exports: ["add"] });
  });
});

test("a JsWorker serves a batch of calls and answers it in one returns", async () => {
  const src = P.pwwWorkerSource(bundles, "jsClassic", { nonce: "n2", url: "u.js" }, false);
  const ctx = workerScope({ importScripts: () => vm.runInContext(
    "pywebworker.expose({ add: (a, b) => a + b, async len(b) { return b.byteLength; } });", ctx) });
  vm.runInContext(src, ctx);
  const [, listen] = ctx.listeners.find(([t]) => t === "message");
  const calls = P.pwwBatch();
  P.pwwBatchAdd(calls, 1, "add", "[1,2]");
  P.pwwBatchAdd(calls, 2, "len", '[{"\\u0000b":0}]', [new ArrayBuffer(5)]);
  P.pwwBatchAdd(calls, 3, "nope", "[]");
  listen({ data: structuredClone(P.pwwMessage("n2", "calls", P.pwwBatchText(calls), calls.bufs)), stopImmediatePropagation() {} });
  return new Promise((resolve) => setTimeout(resolve, 0)).then(() => {
    const replies = ctx.posted.map((d) => P.pwwRead("n2", d)).filter((m) => m && m.type !== "ready");
    assert.equal(replies.length, 1);
    assert.equal(replies[0].type, "returns");
    const items = JSON.parse(replies[0].text);
    assert.deepEqual(plain(replies[0].ids).sort(), [1, 2, 3]);
    const byId = Object.fromEntries(items.map((i) => [i[0], i]));
    assert.deepEqual(byId[1], [1, 1, 3, -1]);
    assert.deepEqual(byId[2], [2, 1, 5, -1]);
    assert.equal(byId[3][1], 0);
    assert.equal(byId[3][2].name, "NotExportedError");
  });
});

test("the shared ring: order kept across wraps, full is refused, posts close it until handled", () => {
  const { MSG_TEXT: TEXT, MSG_BYTES: BYTES, MSG_JSON: JSONK } = P.PWW_CORE;
  const sab = new SharedArrayBuffer(P.PWW_RING.HEADER + 256);
  const posts = [];
  const writer = P.pwwRingWriter((d) => posts.push(d), "n1");
  writer.post("before the ring");  // counted from the worker's start
  writer.attach(sab);
  const reader = P.pwwRingReader(sab);
  assert.equal(writer.open(), false, "a post not handled closes the ring");
  reader.handled();
  assert.equal(writer.open(), true);
  const sent = [], got = [];
  const drain = () => reader.drain((kind, bytes) => got.push([kind, kind === BYTES ? Array.from(bytes) : new TextDecoder().decode(bytes.slice())]));
  for (let k = 0; k < 200; k++) {
    const item = k % 3 === 0 ? [BYTES, new Uint8Array([k & 255, 1, 2].slice(0, 1 + (k % 3)))]
      : [k % 3 === 1 ? TEXT : JSONK, k % 7 === 0 ? `é${k}` : `${"x".repeat(k % 11)}${k}`];
    if (!writer.write(item[0], item[1])) { drain(); assert.ok(writer.write(item[0], item[1]), `room after a drain (${k})`); }
    sent.push([item[0], item[0] === BYTES ? Array.from(item[1]) : item[1]]);
    if (k % 5 === 0) drain();
  }
  drain();
  assert.deepEqual(got, sent);
  assert.equal(writer.write(TEXT, "x".repeat(33)), false, "over an eighth of the ring: posted instead");
  assert.equal(posts.filter((d) => d && d.type === "bell").length >= 1, true, "rang");
  writer.post("after");
  assert.equal(writer.open(), false);
  assert.equal(reader.behind(), true);
  reader.handled();
  assert.equal(writer.open(), true);
  assert.equal(reader.behind(), false);
});

test("host objects (js/host_dom.js): handles, markers, bound methods, release, errors", () => {
  const rec = { id: 1 };
  const dom = P.pwwHostDom({ records: new Map([[1, rec]]) });
  const ask = (op, h, key = null, args = [], released = [], bufs = []) => {
    let text, out;
    // A throw is answered as the request's error by host_calls.js onSync.
    try { [text, out] = dom.dom(rec, { text: JSON.stringify([op, h, key, args, released]), bufs }, 7); }
    catch (e) { return [{ error: { name: e.name, message: e.message } }, []]; }
    const [[id, ok, value, k]] = JSON.parse(text);
    assert.equal(id, -7);
    return ok ? [k >= 0 ? JSON.parse(value) : value, out] : [{ error: value }, out];
  };
  vm.runInContext(`globalThis.document = { title: "T", items: [1, "a"], big: 2n ** 70n, u8: new Uint8Array([1, 2]),
    el: { tag: "P", get self() { return this; }, twice(x) { return [this.tag, x * 2]; } }, nodes: [{ n: 1 }, new Date(0)] };`, host);
  assert.deepEqual(ask("doc", 0)[0], { "\u0000h": [1, "Object"] });  // a plain object holding a function: a handle
  assert.equal(ask("get", 1, "title")[0], "T");
  assert.deepEqual(plain(ask("get", 1, "items")[0]), [1, "a"]);  // copied
  assert.deepEqual(ask("get", 1, "nope")[0], { "\u0000u": 1 });
  assert.deepEqual(ask("get", 1, "big")[0], { "\u0000i": "1180591620717411303424" });
  const [u8, bufs] = ask("get", 1, "u8");
  assert.deepEqual(u8, { "\u0000b": 0 });
  assert.deepEqual(Array.from(new Uint8Array(bufs[0][0])), [1, 2]);
  assert.deepEqual(ask("get", 1, "el")[0], { "\u0000h": [2, "Object"] });
  assert.deepEqual(ask("get", 2, "twice")[0], { "\u0000h": [3, "Function"] });
  assert.deepEqual(plain(ask("call", 3, null, [21])[0]), ["P", 42]);  // called on the object it was read from
  assert.deepEqual(plain(ask("get", 2, "self", [], [3])[0]), { "\u0000h": [4, "Object"] });
  assert.equal(ask("eq", 4, null, [{ "\u0000h": 2 }])[0], true);  // a handle as an argument
  assert.equal(dom.domHandles(1), 4);  // window, document, el, el.self (twice released)
  const [list] = ask("list", 0, null, [], [4]);  // window is not iterable: an error, and 4 released anyway
  assert.equal(list.error.name, "TypeError");
  assert.equal(ask("len", 1)[0].error.message, "object of type Object has no len()");
  assert.deepEqual(plain(ask("get", 1, "nodes")[0]), { "\u0000h": [5, "Array"] });  // a Date inside: not copied
  assert.equal(ask("len", 5)[0], 2);
  assert.deepEqual(plain(ask("item", 5, -1)[0]), { "\u0000h": [6, "Date"] });
  assert.deepEqual(ask("item", 5, 2)[0], { "\u0000u": 1 });
  assert.deepEqual(plain(ask("list", 5)[0]), [{ n: 1 }, { "\u0000h": [7, "Date"] }]);
  assert.equal(ask("call", 2, null, [])[0].error.message, "Object is not a function");
  dom.domRelease(rec, "[5,6,7]");
  assert.equal(ask("get", 7, "x")[0].error.name, "ReferenceError");
  assert.equal(ask("get", 1, "title", [], [0, 1])[0].error.name, "ReferenceError");  // 1 released; window never
  assert.equal(dom.domHandles(1), 2);
  vm.runInContext("delete globalThis.document", host);
  assert.equal(ask("doc", 0)[0], "worker");  // no document, no Node process in this context
});

test("a posted sync request (no shared memory, JSPI): answered by its seq, late answers dropped, timeouts", async () => {
  const ctx = vm.createContext({ console, TextEncoder, TextDecoder, WebAssembly, URL, performance, setTimeout, clearTimeout });
  vm.runInContext(`${bundles.host}\nglobalThis.lib = { pwwSyncClient, pwwRead };`, ctx);
  const L = ctx.lib, sent = [];
  const client = L.pwwSyncClient("n", (m, transfer) => sent.push([m, transfer]));
  const buf = new ArrayBuffer(2);
  const a = client.requestPosted("call", "f", "[1]", [buf], Infinity);  // no timer at all
  const b = client.requestPosted("dom", "", "[]", [], 0.05);
  const c = client.requestPosted("call", "g", "[]", [], 10);
  const read = sent.map(([m]) => L.pwwRead("n", structuredClone(m)));
  assert.deepEqual(plain(read.map((m) => [m.type, m.kind, m.seq, m.name, m.post, m.channel])),
    [["sync", "call", 1, "f", true, null], ["sync", "dom", 2, "", true, null], ["sync", "call", 3, "g", true, null]]);
  assert.equal(sent[0][1][0], buf);  // the arguments' bytes are transferred
  client.answer(3, "[[-3,1,7,-1]]", []);  // in any order
  client.answer(1, "[[-1,1,5,0]]", [new ArrayBuffer(1)]);
  assert.deepEqual(plain((await c)[0]), "[[-3,1,7,-1]]");
  const [text, bufs] = await a;
  assert.equal(text, "[[-1,1,5,0]]");
  assert.equal(bufs[0].byteLength, 1);
  assert.equal(await b, undefined);  // 50 ms passed: undefined (Python's None: TimeoutError)
  client.answer(2, "[[-2,1,0,-1]]", []);  // late, and never asked: dropped, nothing thrown
  client.answer(99, "[]", []);
  // A channel request still says what a worker without shared memory lacks.
  assert.throws(() => client.request("call", "f", "[]", [], 1), (e) => e.name === "SharedMemoryError");
});

test("pwwGate: an event's JavaScript waits until the Python entered before it has started", async () => {
  const ctx = vm.createContext({ console, TextEncoder, TextDecoder, WebAssembly, URL, performance, setTimeout, clearTimeout });
  vm.runInContext(`${bundles.host}\nglobalThis.lib = { pwwGate };`, ctx);
  const log = [], errors = [];
  const gate = ctx.lib.pwwGate((e) => errors.push(e.message));
  // A fake callPromising that starts "Python" a task later (as Pyodide 314's does), and
  // one that rejects before it starts.
  const py = (name) => ({ callPromising: (...args) => new Promise((resolve) => setTimeout(() => {
    gate.started();
    log.push(`${name}(${args})`);
    resolve();
  }, 5)) });
  const broken = { callPromising: () => Promise.reject(new Error("fatal")) };
  const failures = [];
  gate.run(() => { log.push("js 1"); gate.enter(py("calls"), () => {}, [1]); });
  gate.direct(() => gate.started(), []);  // an entry point called plainly meanwhile: releases nothing
  gate.run(() => log.push("js 2"));  // held back until calls() started
  gate.run(() => { log.push("js 3"); gate.enter(broken, (e) => failures.push(e.message), []); });
  gate.run(() => log.push("js 4"));  // released by the rejection
  gate.run(() => { throw new Error("a step threw"); });
  gate.run(() => log.push("js 5"));
  assert.deepEqual(log, ["js 1"]);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(log, ["js 1", "calls(1)", "js 2", "js 3", "js 4", "js 5"]);
  assert.deepEqual(failures, ["fatal"]);
  assert.deepEqual(errors, ["a step threw"]);
});

await Promise.all(pending);
console.log(`${count - failures}/${count} protocol tests passed`);
process.exit(failures ? 1 : 0);
