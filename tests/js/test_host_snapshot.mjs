// Unit tests of the host's memory-snapshot store (js/host_snapshot.js), under plain Node:
// `node tests/js/test_host_snapshot.mjs`. A fake `h`: no worker, no Pyodide.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "js");
const src = ["constants.js", "protocol.js", "sync.js", "snapshot_cache.js", "host_snapshot.js"].map((f) => fs.readFileSync(path.join(JS, f), "utf8")).join("\n");
// crossOriginIsolated: shared memory, as in Node or an isolated page; a second context without it.
const ctx = vm.createContext({ console, TextEncoder, TextDecoder, SharedArrayBuffer, Atomics, crossOriginIsolated: true });
const ctxCopy = vm.createContext({ console, TextEncoder, TextDecoder, SharedArrayBuffer, Atomics });
for (const c of [ctx, ctxCopy]) vm.runInContext(`${src}\nglobalThis.lib = { pwwHostSnapshot };`, c);
// A page with Cache Storage (a small one in memory, as tests/js/test_snapshot_cache.mjs).
const stored = new Map();
const fakeCaches = {
  open: async () => ({ match: async (u) => stored.get(u), put: async (u, r) => { stored.set(u, r); }, delete: async (u) => stored.delete(u) }),
  delete: async () => true,
};
const ctxCache = vm.createContext({ console, TextEncoder, TextDecoder, SharedArrayBuffer, Atomics, URL, Response, crypto, setTimeout, clearTimeout, caches: fakeCaches });
vm.runInContext(`${src}\nglobalThis.lib = { pwwHostSnapshot, pwwSnapshotCache };`, ctxCache);

let count = 0;
const pending = [];
function test(name, fn) {
  count++;
  const fail = (e) => { console.error(`FAIL ${name}\n${e.stack}`); process.exitCode = 1; };
  try { const p = fn(); if (p && p.then) pending.push(p.catch(fail)); } catch (e) { fail(e); }
}

function fake(c = ctx, writeMs = undefined) {
  const said = [], records = new Map();
  const h = { dispatch: (id, event, text) => said.push([id, event, JSON.parse(text).message]), record: (id) => records.get(id) };
  const s = c.lib.pwwHostSnapshot(h, writeMs);
  const rec = (id) => { const r = { id, box: {} }; r.box.rec = r; records.set(id, r); return r; };
  return { s, rec, said };
}
const made = (bytes) => ({ event: "made", bytes, error: null });

test("the first worker of a key makes, later ones load the one shared copy", () => {
  const { s, rec } = fake();
  const a = rec(1), b = rec(2), c = rec(3);
  assert.deepEqual({ ...s.snapshotFor(a, "k", true) }, { snapshot: null, makeSnapshot: true, snapshotCache: true });
  // Being made: plain, or from the snapshot an earlier page load cached.
  assert.deepEqual({ ...s.snapshotFor(b, "k", true) }, { snapshot: null, makeSnapshot: false, snapshotCache: true });
  s.onSnapshot(a, made(new Uint8Array([7, 8])));
  assert.equal(s.snapshotState(1), "made");
  const got = s.snapshotFor(c, "k", true);
  assert.equal(Object.prototype.toString.call(got.snapshot.buffer), "[object SharedArrayBuffer]");
  assert.deepEqual([...got.snapshot], [7, 8]);
  assert.equal(s.snapshotFor(rec(4), "k", true).snapshot, got.snapshot);  // the same copy for every init
  assert.equal(s.snapshotState(3), "loaded");
  assert.equal(s.snapshotFor(rec(6), "k", true).snapshotCache, false);  // here: no cache to read
  assert.deepEqual({ ...s.snapshotFor(rec(5), "k", false) }, { snapshot: null, makeSnapshot: false, snapshotCache: false });  // opted out
  assert.equal(s.snapshotState(5), "");
});

test("a snapshot that fails to load turns the key off and is said once; clear forgets it", () => {
  const { s, rec, said } = fake();
  const a = rec(1);
  s.snapshotFor(a, "k", true);
  s.onSnapshot(a, made(new Uint8Array(4)));
  const b = rec(2), c = rec(3);
  s.snapshotFor(b, "k", true);
  s.snapshotFor(c, "k", true);
  s.onSnapshot(b, { event: "load-failed", bytes: null, error: { name: "Error", message: "bad magic", stack: "" } });
  s.onSnapshot(c, { event: "load-failed", bytes: null, error: { name: "Error", message: "bad magic", stack: "" } });
  assert.deepEqual(said, [[2, "snapshot", "bad magic"]]);
  assert.equal(s.snapshotState(2), "failed");
  assert.deepEqual({ ...s.snapshotFor(rec(4), "k", true) }, { snapshot: null, makeSnapshot: false, snapshotCache: false });
  assert.equal(s.clearSnapshots(), 0);  // the bytes went when it was turned off
  assert.equal(s.snapshotFor(rec(5), "k", true).makeSnapshot, true);
});

test("a maker that stops before posting lets the next worker make; late or stray posts are ignored", () => {
  const { s, rec } = fake();
  const a = rec(1);
  s.snapshotFor(a, "k", true);
  s.snapshotStopped(a.box);
  const b = rec(2);
  assert.equal(s.snapshotFor(b, "k", true).makeSnapshot, true);
  s.onSnapshot(a, made(new Uint8Array(2)));  // the stopped maker's: not the key's maker any more
  assert.equal(s.snapshots()[0][1], "making");
  s.onSnapshot(rec(9), made(new Uint8Array(2)));  // a worker that was never asked
  s.onSnapshot(b, made(new Uint8Array(3)));
  assert.deepEqual(Array.from(s.snapshots(), ([k, st, bytes]) => [k, st, bytes.byteLength]), [["k", "ready", 3]]);
  assert.equal(s.clearSnapshots(), 3);
  assert.equal(s.snapshots().length, 0);
});

test("without shared memory the snapshot is kept as it came (each post's clone copies it)", () => {
  const { s, rec } = fake(ctxCopy);
  const a = rec(1), bytes = new Uint8Array([1, 2]);
  s.snapshotFor(a, "k", true);
  s.onSnapshot(a, made(bytes));
  assert.equal(s.snapshotFor(rec(2), "k", true).snapshot, bytes);
});

test("the host caches the snapshot its maker posts: a maker killed right after cannot lose the write", async () => {
  const { s, rec } = fake(ctxCache);
  const key = "http://127.0.0.1:8000/pyodide/pyodide.mjs", files = { "__init__.py": "x = 1\n" };
  const a = rec(1);
  assert.equal(s.snapshotFor(a, key, true, true, files).makeSnapshot, true);
  const bytes = new Uint8Array(48 + 65536);
  new Uint32Array(bytes.buffer, 0, 2).set([1886286592, 48]);
  s.onSnapshot(a, { event: "made", bytes, error: null, version: "0.29.3" });
  const reader = ctxCache.lib.pwwSnapshotCache(key, files);
  const cached = async () => {
    const deadline = Date.now() + 5000;
    let got = null;
    while (Date.now() < deadline && !(got && got.bytes)) {
      got = await reader.read("0.29.3");
      await new Promise((r) => setTimeout(r, 10));
    }
    return got;
  };
  // Not while the maker boots on: written once it is ready, warm or stopped.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stored.size, 0);
  s.snapshotStopped(a.box);  // killed at once: the worker's own work is gone, the host's is not
  const got = await cached();
  assert.ok(got && got.bytes, `nothing cached: ${JSON.stringify(got)}`);
  assert.equal(got.bytes.byteLength, bytes.byteLength);
  // A maker that becomes ready (or a spare that is warm) has it written then.
  stored.clear();
  const { s: s3, rec: rec3 } = fake(ctxCache);
  const c = rec3(1);
  s3.snapshotFor(c, key, true, true, files);
  s3.onSnapshot(c, { event: "made", bytes, error: null, version: "0.29.3" });
  s3.snapshotIdle(c.box);
  assert.equal((await cached()).bytes.byteLength, bytes.byteLength);
  s3.snapshotStopped(c.box);  // nothing left to write: no second write, no throw
  s3.snapshotIdle(undefined);  // a JsWorker's ready: no box
  // A maker whose script runs on at its top level (never ready, never stopped): written
  // after the host's wait all the same.
  stored.clear();
  const { s: s4, rec: rec4 } = fake(ctxCache, 50);
  const d = rec4(1);
  s4.snapshotFor(d, key, true, true, files);
  s4.onSnapshot(d, { event: "made", bytes, error: null, version: "0.29.3" });
  assert.equal(stored.size, 0);
  assert.equal((await cached()).bytes.byteLength, bytes.byteLength);
  // The cache turned off for the maker (set_snapshot_cache(False)): nothing written.
  stored.clear();
  const { s: s2, rec: rec2 } = fake(ctxCache);
  const b = rec2(1);
  s2.snapshotFor(b, key, true, false, files);
  s2.onSnapshot(b, { event: "made", bytes, error: null, version: "0.29.3" });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stored.size, 0);
});

test("from the cache of an earlier page load: the maker's bytes are kept; a corrupt entry is said once per key", () => {
  const { s, rec, said } = fake();
  const a = rec(1), b = rec(2), c = rec(3);
  assert.equal(s.snapshotFor(a, "k", true, false).snapshotCache, false);  // the cache turned off
  s.snapshotStopped(a.box);
  s.snapshotFor(a, "k", true);
  s.snapshotFor(b, "k", true);
  s.snapshotFor(c, "k", true);
  const bad = { event: "cache-failed", bytes: null, error: { name: "Error", message: "corrupt", stack: "" } };
  s.onSnapshot(b, bad);
  s.onSnapshot(c, bad);
  assert.deepEqual(said, [[2, "snapshot", "corrupt"]]);
  assert.equal(s.snapshots()[0][1], "making");  // not turned off: the maker replaces it
  s.onSnapshot(b, { event: "cached", bytes: null, error: null });  // a worker booting meanwhile
  assert.equal(s.snapshotState(2), "cached");
  assert.equal(s.snapshots()[0][1], "making");
  s.onSnapshot(a, { event: "cached", bytes: new Uint8Array([5]), error: null });
  assert.equal(s.snapshotState(1), "cached");
  assert.deepEqual(Array.from(s.snapshots(), ([k, st, bytes]) => [k, st, [...bytes]]), [["k", "ready", [5]]]);
  assert.equal(s.snapshotFor(rec(4), "k", true).snapshotCache, false);  // held here now
  s.clearSnapshots();
  s.onSnapshot(c, bad);  // a new warning after clear
  assert.equal(said.length, 2);
});

await Promise.all(pending);
console.log(`${count} host snapshot tests run${process.exitCode ? ", some FAILED" : ", all passed"}`);
