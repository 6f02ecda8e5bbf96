// pwwHostSnapshot: the memory snapshots PyWorkers boot from, for pwwHost (host.js), one per
// Pyodide (its moduleURL: the indexURL, hence the version). The first PyWorker of a key boots
// with Pyodide's `_makeSnapshot`, takes the snapshot once this package is imported (before
// any user script and any JS module: js/pyworker_pyodide.js) and posts it here (`snapshot`,
// transferred); later PyWorkers of the key get it in `init` and boot with `_loadSnapshot`.
// Where shared memory exists the host keeps it in one SharedArrayBuffer that every `init`
// shares (nothing copied per worker on this side; each worker copies it once into its own
// wasm memory); else each `init` carries a structured-clone copy. Cost: one snapshot per key
// held here (about 30 MiB for Pyodide 314.0.7, 24 MiB for 0.29.3) until clear().
// Across page loads (js/snapshot_cache.js): until the key's snapshot is here, PyWorkers are
// told to look in Cache Storage first (`snapshotCache`); the maker that finds a good entry
// boots from it and posts it ("cached") instead of making one, and the others booting
// meanwhile load it too. A snapshot a maker made is cached here, by the host (a worker
// killed right after it posted the snapshot would lose a write of its own), once the maker
// is ready. A corrupt
// cached entry is said to Python once per key (dispatch "snapshot", the error's JSON,
// "cache") and replaced by the maker's.
// A snapshot a worker could not load (or make) turns snapshots off for its key: later
// workers boot plainly, and Python is told once (dispatch "snapshot", the error's JSON).
// Its parts are in `h`, the context pwwHost makes (see host.js).

// How long after a maker posted its snapshot the host caches it at the latest (ms), when
// the maker neither became ready nor stopped (a script that runs for long at its top level).
const PWW_SNAPSHOT_WRITE_MS = 10000;

function pwwHostSnapshot(h, writeMs = PWW_SNAPSHOT_WRITE_MS) {
  // key -> {state: "making" | "ready" | "off", maker: the making thread's box, bytes: Uint8Array,
  //   cache: where the maker's snapshot is cached (js/snapshot_cache.js) or null}
  const store = new Map();
  const cacheWarned = new Set();  // keys whose corrupt cached snapshot Python was told of

  // The `init` fields for a PyWorker of `key` that may use a snapshot (`cached`: and the
  // one cached by an earlier page load, made with this package's `files`, {relative path:
  // bytes}): {snapshot, makeSnapshot, snapshotCache}.
  function forInit(rec, key, wanted, cached = true, files = {}) {
    const none = { snapshot: null, makeSnapshot: false, snapshotCache: false };
    if (!wanted) return none;
    const e = store.get(key);
    if (e === undefined) {
      const cache = cached ? pwwSnapshotCache(key, files) : null;
      store.set(key, { state: "making", maker: rec.box, bytes: null, cache });
      rec.box.snapshotKey = key;
      rec.box.snapshotState = "making";
      return { snapshot: null, makeSnapshot: true, snapshotCache: !!cached };
    }
    if (e.state === "making") {
      rec.box.snapshotKey = key;  // told if it boots from the cached one
      return { ...none, snapshotCache: !!cached };
    }
    if (e.state !== "ready") return none;
    rec.box.snapshotKey = key;
    rec.box.snapshotState = "loaded";  // until the worker says it failed
    // Not transferred: shared, or copied by the structured clone of the post.
    return { ...none, snapshot: e.bytes };
  }

  // A worker's `snapshot` message: {event: "made" | "make-failed" | "load-failed" | "cached"
  // | "cache-failed", bytes, error}.
  function onSnapshot(rec, m) {
    const key = rec.box && rec.box.snapshotKey, e = key === undefined ? undefined : store.get(key);
    if (m.event === "load-failed") rec.box.snapshotState = "failed";
    if (m.event === "made" || m.event === "cached") rec.box.snapshotState = m.event;
    if (m.event === "cache-failed") {
      if (key !== undefined && !cacheWarned.has(key)) {
        cacheWarned.add(key);
        h.dispatch(rec.id, "snapshot", pwwErrorText(m.error), "cache");
      }
      return;
    }
    if (e === undefined) return;
    if ((m.event === "made" || m.event === "cached") && e.state === "making" && e.maker === rec.box && m.bytes) {
      e.state = "ready";
      e.maker = null;
      e.bytes = shareable(m.bytes);
      if (m.event === "made" && e.cache) later(rec.box, e.cache, m.bytes, e.bytes !== m.bytes, m.version);
      e.cache = null;
      return;
    }
    if (m.event === "made" || m.event === "cached" || e.state === "off") return;
    e.state = "off";
    e.maker = e.bytes = e.cache = null;
    h.dispatch(rec.id, "snapshot", pwwErrorText(m.error));
  }

  // One SharedArrayBuffer where shared memory exists (every init shares it), else as it came.
  function shareable(bytes) {
    if (!pwwSharedMemory()) return bytes;
    const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
    out.set(bytes);
    return out;
  }

  // The maker's snapshot goes to the cache once the maker is ready (or warm, or stopped, or
  // after `writeMs`): written during its boot, 30 MiB of hashing and storage
  // would slow the very start the snapshot was made in. In the background, never
  // rejecting; `own`: the bytes are the host's to give (else they are copied then).
  function later(box, cache, bytes, own, version) {
    const write = () => {
      clearTimeout(timer);
      box.snapshotWrite = null;
      cache.write(own ? bytes : bytes.slice(), version);
    };
    const timer = setTimeout(write, writeMs);
    if (timer && timer.unref) timer.unref();
    box.snapshotWrite = write;
  }

  // The maker's thread is idle or gone: its snapshot is cached now.
  function idle(box) {
    if (box && box.snapshotWrite) box.snapshotWrite();
  }

  // A making thread stopped before it posted the snapshot: the next PyWorker makes it.
  function stopped(box) {
    idle(box);
    const key = box && box.snapshotKey, e = key === undefined ? undefined : store.get(key);
    if (e !== undefined && e.state === "making" && e.maker === box) store.delete(key);
  }

  return {
    snapshotFor: forInit, onSnapshot, snapshotStopped: stopped, snapshotIdle: idle,
    // How a PyWorker booted: "made" (it made the snapshot), "loaded" (from it; "failed": it
    // could not and booted plainly), "cached" (from the one an earlier page load cached),
    // "making" (not posted yet) or "" (plainly).
    snapshotState(id) { const box = h.record(id).box; return (box && box.snapshotState) || ""; },
    // Drop every snapshot (and every key turned off); returns how many bytes were held.
    clearSnapshots() {
      let n = 0;
      cacheWarned.clear();
      for (const [key, e] of store) {
        if (e.bytes) n += e.bytes.byteLength;
        if (e.state !== "making") store.delete(key);
      }
      return n;
    },
    // Deletes the snapshots cached across page loads (js/snapshot_cache.js): a Promise of
    // whether there were any. The ones held here stay (clearSnapshots).
    clearSnapshotCache() { return pwwClearSnapshotCache(); },
    // For tests and clear_snapshots: [[key, state, bytes or null], ...].
    snapshots() { return Array.from(store, ([key, e]) => [key, e.state, e.bytes]); },
  };
}
