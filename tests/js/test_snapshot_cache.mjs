// Unit tests of the snapshot cache across page loads (js/snapshot_cache.js), under plain
// Node: `node tests/js/test_snapshot_cache.mjs`. Node has no Cache Storage: a small one in
// memory stands in for `caches` (open/match/put/delete, Responses kept as given); crypto
// and Response are Node's own. The real one is tested in Chromium (tests/py/test_snapshot_cache.py).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const JS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "js");
const src = fs.readFileSync(path.join(JS, "snapshot_cache.js"), "utf8");
const ctx = vm.createContext({ URL, TextEncoder, Response, crypto, setTimeout, clearTimeout });
vm.runInContext(`${src}\nglobalThis.lib = { pwwSnapshotCache, pwwSnapshotCacheURL, pwwClearSnapshotCache, PWW_SNAPSHOT_CACHE };`, ctx);
const { lib } = ctx;

class FakeCaches {
  constructor() { this.stores = new Map(); }
  async open(name) {
    if (!this.stores.has(name)) this.stores.set(name, new Map());
    const m = this.stores.get(name);
    return {
      match: async (url) => { const r = m.get(String(url)); return r ? r.clone() : undefined; },
      put: async (url, res) => { m.set(String(url), res); },
      delete: async (url) => m.delete(String(url)),
    };
  }
  async delete(name) { return this.stores.delete(name); }
}

const MODULE = "http://127.0.0.1:8000/pyodide/pyodide.mjs";
const FILES = { "__init__.py": new TextEncoder().encode("x = 1\n"), "_boot.py": "y = 2\n" };
// Framed as Pyodide frames one (makeMemorySnapshot): its magic number, the header's size (48)
// and a whole wasm page of memory after it; the rest is arbitrary.
function snapshot(fill = 7) {
  const bytes = Uint8Array.from({ length: 48 + 65536 }, (_, i) => (i * fill) & 255);
  new Uint32Array(bytes.buffer, 0, 2).set([1886286592, 48]);
  return bytes;
}

let count = 0;
const tests = [];
function test(name, fn) { tests.push([name, fn]); }

test("no cache where there is none: no Cache Storage, or a module URL that is not http(s)", async () => {
  assert.equal(lib.pwwSnapshotCache(MODULE, FILES, undefined), null);
  assert.equal(lib.pwwSnapshotCache("file:///p/pyodide.mjs", FILES, new FakeCaches()), null);
  assert.equal(lib.pwwSnapshotCacheURL("/pyodide/pyodide.mjs"), null);
  assert.equal(await lib.pwwClearSnapshotCache(undefined), false);
  // A storage that refuses (an opaque origin): read finds nothing, write and remove do nothing.
  for (const refusing of [{ open: () => Promise.reject(new Error("SecurityError")) },
    { open: () => { throw new Error("SecurityError"); }, delete: () => { throw new Error("SecurityError"); } }]) {
    const c = lib.pwwSnapshotCache(MODULE, FILES, refusing);
    assert.equal(await c.read("0.29.3"), null);
    await c.write(snapshot(), "0.29.3");
    await c.remove();
    assert.equal(await lib.pwwClearSnapshotCache(refusing), false);
  }
  // Reading `caches` itself throws (a sandboxed iframe): no cache.
  const sandboxed = vm.createContext({ URL, TextEncoder, Response, crypto, setTimeout, clearTimeout });
  Object.defineProperty(sandboxed, "caches", { get() { throw new Error("SecurityError: the context is sandboxed"); } });
  vm.runInContext(`${src}\nglobalThis.lib = { pwwSnapshotCache, pwwClearSnapshotCache };`, sandboxed);
  assert.equal(sandboxed.lib.pwwSnapshotCache(MODULE, FILES), null);
  assert.equal(await sandboxed.lib.pwwClearSnapshotCache(), false);
});

test("what one page load writes, the next reads back, under one URL per Pyodide module", async () => {
  const caches = new FakeCaches();
  assert.equal(await lib.pwwSnapshotCache(MODULE, FILES, caches).read("0.29.3"), null);
  await lib.pwwSnapshotCache(MODULE, FILES, caches).write(snapshot(), "0.29.3");
  const got = await lib.pwwSnapshotCache(MODULE, FILES, caches).read("0.29.3");
  assert.deepEqual([...got.bytes], [...snapshot()]);
  const urls = [...caches.stores.get(lib.PWW_SNAPSHOT_CACHE).keys()];
  assert.deepEqual(urls, ["http://127.0.0.1:8000/.pywebworker/snapshot?module=http%3A%2F%2F127.0.0.1%3A8000%2Fpyodide%2Fpyodide.mjs"]);
  // Another Pyodide (module URL) has its own entry.
  assert.equal(await lib.pwwSnapshotCache("http://127.0.0.1:8000/other/pyodide.mjs", FILES, caches).read("0.29.3"), null);
  assert.equal(await lib.pwwClearSnapshotCache(caches), true);
  assert.equal(await lib.pwwSnapshotCache(MODULE, FILES, caches).read("0.29.3"), null);
});

test("another Pyodide version or another package is stale; the next write replaces it", async () => {
  const caches = new FakeCaches();
  await lib.pwwSnapshotCache(MODULE, FILES, caches).write(snapshot(), "0.29.3");
  assert.deepEqual({ ...await lib.pwwSnapshotCache(MODULE, FILES, caches).read("314.0.7") }, { stale: true });
  const rebuilt = { ...FILES, "_boot.py": "y = 3\n" };
  assert.deepEqual({ ...await lib.pwwSnapshotCache(MODULE, rebuilt, caches).read("0.29.3") }, { stale: true });
  const renamed = { "__init__.py": FILES["__init__.py"], "_boot2.py": FILES["_boot.py"] };
  assert.deepEqual({ ...await lib.pwwSnapshotCache(MODULE, renamed, caches).read("0.29.3") }, { stale: true });
  await lib.pwwSnapshotCache(MODULE, rebuilt, caches).write(snapshot(3), "314.0.7");
  assert.deepEqual([...(await lib.pwwSnapshotCache(MODULE, rebuilt, caches).read("314.0.7")).bytes], [...snapshot(3)]);
  assert.equal(caches.stores.get(lib.PWW_SNAPSHOT_CACHE).size, 1);
});

test("a corrupt entry (bytes that differ from their SHA-256, or none stored) is an error, and remove deletes it", async () => {
  const caches = new FakeCaches();
  const c = lib.pwwSnapshotCache(MODULE, FILES, caches);
  await c.write(snapshot(), "0.29.3");
  const store = caches.stores.get(lib.PWW_SNAPSHOT_CACHE), [url] = store.keys();
  const good = store.get(url), body = new Uint8Array(await good.clone().arrayBuffer());
  body[100] ^= 1;
  store.set(url, new Response(body, { headers: good.headers }));
  const bad = await lib.pwwSnapshotCache(MODULE, FILES, caches).read("0.29.3");
  assert.match(bad.error.message, /the cached memory snapshot is corrupt: its 65584 bytes do not match the SHA-256 stored with them/);
  const headers = new Headers(good.headers);
  headers.delete("x-pywebworker-sha256");
  store.set(url, new Response(snapshot(), { headers }));
  assert.ok((await lib.pwwSnapshotCache(MODULE, FILES, caches).read("0.29.3")).error);
  await c.remove();
  assert.equal(store.size, 0);
});

test("bytes that match their SHA-256 but are not a Pyodide memory snapshot are an error, never loaded", async () => {
  // Pyodide 0.29 never settles loadPyodide for a snapshot smaller than its initial memory
  // (6 bytes: the wasm instantiation fails and the start hangs): such an entry must not reach it.
  const caches = new FakeCaches();
  await lib.pwwSnapshotCache(MODULE, FILES, caches).write(snapshot(), "0.29.3");
  const store = caches.stores.get(lib.PWW_SNAPSHOT_CACHE), [url] = store.keys();
  const headers = store.get(url).headers;
  const magicOnly = new Uint8Array(8);
  new Uint32Array(magicOnly.buffer).set([1886286592, 48]);
  const halfPage = snapshot().subarray(0, 48 + 32768);
  const zeros = new Uint8Array(200 * 2 ** 20);  // large, and not a snapshot
  for (const body of [new Uint8Array(0), new Uint8Array(6), magicOnly, halfPage, zeros]) {
    const h = new Headers(headers);
    h.set("x-pywebworker-sha256", await sha256hex(body));
    store.set(url, new Response(body, { headers: h }));
    const got = await lib.pwwSnapshotCache(MODULE, FILES, caches).read("0.29.3");
    assert.ok(got && got.error && !got.bytes, `${body.byteLength} bytes read as ${JSON.stringify(Object.keys(got || {}))}`);
    assert.match(got.error.message, new RegExp(`the cached memory snapshot is corrupt: its ${body.byteLength} bytes are not a Pyodide memory snapshot`));
  }
});

async function sha256hex(bytes) {
  const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(sum, (b) => b.toString(16).padStart(2, "0")).join("");
}

test("storage that never answers: read gives up after its wait with an error, so no start hangs", async () => {
  const hung = { open: () => new Promise(() => {}) };
  const t0 = Date.now();
  const got = await lib.pwwSnapshotCache(MODULE, FILES, hung, 50).read("0.29.3");
  assert.match(got.error.message, /the cached memory snapshot was not read within 0.05 s/);
  assert.ok(Date.now() - t0 < 5000);
  const slowMatch = { open: async () => ({ match: () => new Promise(() => {}) }) };
  assert.ok((await lib.pwwSnapshotCache(MODULE, FILES, slowMatch, 50).read("0.29.3")).error);
});

for (const [name, fn] of tests) {
  count++;
  try { await fn(); } catch (e) { console.error(`FAIL ${name}\n${e.stack}`); process.exitCode = 1; }
}
console.log(`${count} snapshot cache tests run${process.exitCode ? ", some FAILED" : ", all passed"}`);
