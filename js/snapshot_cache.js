// pwwSnapshotCache: the memory snapshot kept across page loads, in Cache Storage (the
// browser's `caches`, in pages and workers of a secure context: https, localhost,
// 127.0.0.1). Read by a PyWorker (js/pyworker_pyodide.js) while its host has no snapshot in
// memory yet: the entry of its Pyodide. Written by the host (js/host_snapshot.js) when a
// worker hands it the snapshot it made. Where there is no Cache Storage (Node, file: pages,
// an opaque origin, storage turned off) there is no cache and nothing is said.
//
// One entry per Pyodide module URL, in the cache "pywebworker-snapshots", under a URL that
// is never fetched (/.pywebworker/snapshot?module=<the module URL>, on the module's origin).
// Its headers say what it was made from: the Pyodide version, the SHA-256 of this package's
// files (a new pywebworker, or a rebuilt one, changes it) and the SHA-256 of the snapshot
// itself. An entry made from another Pyodide or package is stale: it is not used, and the
// new snapshot replaces it (put on the same URL: no old entries pile up). An entry whose
// bytes do not match their SHA-256, or are not framed as a snapshot, is corrupt: said
// (`cache-failed`), not used, and replaced in the same way.

const PWW_SNAPSHOT_CACHE = "pywebworker-snapshots";
const PWW_SNAPSHOT_HEADERS = { pyodide: "x-pywebworker-pyodide", pkg: "x-pywebworker-package", sum: "x-pywebworker-sha256" };

// This scope's Cache Storage, or undefined: reading `caches` throws where storage is
// refused (a sandboxed iframe, an opaque origin).
function pwwCaches() {
  try { return globalThis.caches; } catch (_) { return undefined; }
}

// The entry's URL for Pyodide's module URL, or null when it is not http(s) (no cache).
function pwwSnapshotCacheURL(moduleURL) {
  if (!/^https?:/i.test(String(moduleURL))) return null;
  const url = new URL("/.pywebworker/snapshot", moduleURL);
  url.searchParams.set("module", moduleURL);
  return url.href;
}

// Whether bytes are framed as Pyodide frames a memory snapshot (makeMemorySnapshot, the same
// in Pyodide 0.29 and 314): a 32-bit magic number, the header's size (a multiple of 16, at
// least 48 bytes), then the wasm memory, a whole number of 64 KiB pages. Checked before
// Pyodide sees cached bytes: Pyodide 0.29 never settles loadPyodide from a snapshot smaller
// than its initial memory (the wasm instantiation fails and nothing rejects), so garbage
// whose SHA-256 matches would hang the start.
const PWW_SNAPSHOT_MAGIC = 1886286592;
function pwwSnapshotFramed(bytes) {
  if (bytes.byteLength < 48) return false;
  const [magic, header] = new Uint32Array(bytes.slice(0, 8).buffer);
  const memory = bytes.byteLength - header;
  return magic === PWW_SNAPSHOT_MAGIC && header >= 48 && header % 16 === 0 && memory > 0 && memory % 65536 === 0;
}

// The SHA-256 of bytes, in hex.
async function pwwSha256(bytes) {
  const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(sum, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The SHA-256 of a package's files ({relative path: Uint8Array or string}), names included.
function pwwFilesSha256(files) {
  const enc = new TextEncoder(), parts = [];
  for (const name of Object.keys(files).sort()) {
    const data = typeof files[name] === "string" ? enc.encode(files[name]) : new Uint8Array(files[name]);
    parts.push(enc.encode(`${name}\0${data.byteLength}\0`), data);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.byteLength; }
  return pwwSha256(all);
}

// The cache of the snapshot for `moduleURL` and this package's `files`, or null where there
// is none. Opening it starts at once (in parallel with Pyodide's own loading); its methods
// never reject:
//   read(version): {bytes} (a good entry for Pyodide `version`), {stale: true}, {error}
//     (corrupt: its bytes differ from their SHA-256, or are not framed as a snapshot; or
//     storage that did not answer within `waitMs` milliseconds: a start never hangs on
//     it) or null (no entry, no cache);
//   write(bytes, version): stores bytes (a copy the caller gives up) as the entry;
//   remove(): deletes the entry.
function pwwSnapshotCache(moduleURL, files, storage = pwwCaches(), waitMs = 10000) {
  const url = pwwSnapshotCacheURL(moduleURL);
  if (!url || !storage || typeof crypto === "undefined" || !crypto.subtle) return null;
  // Storage refused here (an opaque origin, storage turned off): as no entry.
  const opened = (async () => ({ cache: await storage.open(PWW_SNAPSHOT_CACHE), pkg: await pwwFilesSha256(files) }))()
    .catch(() => null);
  const H = PWW_SNAPSHOT_HEADERS;
  async function read(version) {
    const c = await opened;
    const res = c && await c.cache.match(url);
    if (!res) return null;
    if (res.headers.get(H.pyodide) !== String(version) || res.headers.get(H.pkg) !== c.pkg) return { stale: true };
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (await pwwSha256(bytes) !== res.headers.get(H.sum)) {
      return { error: new Error(`the cached memory snapshot is corrupt: its ${bytes.byteLength} bytes do not match the SHA-256 stored with them`) };
    }
    if (!pwwSnapshotFramed(bytes)) {
      return { error: new Error(`the cached memory snapshot is corrupt: its ${bytes.byteLength} bytes are not a Pyodide memory snapshot`) };
    }
    return { bytes };
  }
  return {
    read(version) {
      let timer = null;
      const late = new Promise((resolve) => {
        timer = setTimeout(() => resolve({ error: new Error(`the cached memory snapshot was not read within ${waitMs / 1000} s`) }), waitMs);
      });
      return Promise.race([read(version).catch((e) => ({ error: e })), late]).finally(() => clearTimeout(timer));
    },
    async write(bytes, version) {
      try {
        const c = await opened;
        if (!c) return;
        const headers = { "content-type": "application/octet-stream", [H.pyodide]: String(version), [H.pkg]: c.pkg, [H.sum]: await pwwSha256(bytes) };
        await c.cache.put(url, new Response(bytes, { headers }));
      } catch (_) { /* quota, storage gone: the next page load makes it again */ }
    },
    async remove() {
      try { const c = await opened; if (c) await c.cache.delete(url); } catch (_) { /* as write */ }
    },
  };
}

// Deletes every cached snapshot of this origin; resolves whether there was a cache to delete.
async function pwwClearSnapshotCache(storage = pwwCaches()) {
  if (!storage) return false;
  try { return await storage.delete(PWW_SNAPSHOT_CACHE); } catch (_) { return false; }
}
