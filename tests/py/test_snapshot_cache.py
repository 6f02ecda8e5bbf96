"""The memory snapshot cached across page loads (issue 16; js/snapshot_cache.js) in
headless Chromium: one page (tests/py/pages/snapshot_cache.html) loaded again and again in
one browser, each load starting two PyWorkers one after the other.

1. A first load makes the snapshot and caches it.
2. The next load's first PyWorker boots from the cached one; a WorkerPool of 4 started at
   once in a new page load: every worker boots from it.
3. A corrupt cached one (a byte of its body flipped; garbage whose SHA-256 matches) gives
   one warning, is not used, and is replaced by a good one.
4. One from another Pyodide version (its header changed) is replaced without a word.
5. ``set_snapshot_cache(False)`` neither reads nor writes it.
6. ``clear_snapshot_cache()`` deletes it.
7. A maker killed as soon as the host has its snapshot does not lose the cache entry.

Its own Chromium and server (tools/chromium_launcher.py, examples/web/serve.py), as
test_page_web.py; runs when ``--rt`` includes chrome, on this session's Pyodide dist dir.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from example_pages import example_page
from example_pages import wait_for as wait_until_page

PAGE = "/tests/py/pages/snapshot_cache.html"

# The cache's entries: [[url, {header: value}, the SHA-256 of the body computed here], ...].
ENTRIES = """
const done = arguments[arguments.length - 1];
(async () => {
  const cache = await caches.open("pywebworker-snapshots"), out = [];
  for (const req of await cache.keys()) {
    const res = await cache.match(req), body = await res.arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const sum = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    out.push([req.url, Object.fromEntries(res.headers), sum, body.byteLength]);
  }
  return out;
})().then(done, (e) => done(String(e)));
"""

# Rewrite the one entry: `flip` a byte of its body, or set `header` to `value`, or (`zeros`)
# make its body that many zero bytes, with their SHA-256 (garbage that passes the checksum).
TAMPER = """
const [flip, header, value, zeros, done] = arguments;
(async () => {
  const cache = await caches.open("pywebworker-snapshots");
  const [req] = await cache.keys(), res = await cache.match(req);
  let body = new Uint8Array(await res.arrayBuffer());
  const headers = new Headers(res.headers);
  if (flip !== null) body[flip] ^= 0xff;
  if (header !== null) headers.set(header, value);
  if (zeros !== null) {
    body = new Uint8Array(zeros);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    headers.set("x-pywebworker-sha256", Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
  }
  await cache.put(req, new Response(body, { headers }));
  return "ok";
})().then(done, (e) => done(String(e)));
"""


def load(driver, url: str) -> dict:
    """Load the page at ``url``; what its Python said (``window.result``)."""
    driver.get(url)
    return wait_until_page(driver, "return window.result", 180, "the page's two PyWorkers",
                           error_js="return window.failure",
                           shown_js="return document.getElementById('out').textContent")


def entries(driver) -> list:
    got = driver.execute_async_script(ENTRIES)
    assert isinstance(got, list), got
    return got


def good_entry(driver, timeout: float = 60) -> list:
    """Wait for one entry whose body matches its SHA-256 (the maker writes it in the
    background after its start); returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = entries(driver)
        if len(got) == 1 and got[0][1].get("x-pywebworker-sha256") == got[0][2]:
            return got[0]
        time.sleep(0.1)
    pytest.fail(f"no good cache entry within {timeout} s: {entries(driver)}")


def test_the_snapshot_is_cached_across_page_loads(request):
    with example_page(request, PAGE) as driver:
        url = driver.current_url
        # 1. A fresh browser profile: the first PyWorker makes the snapshot, the second loads it.
        assert load(driver, url) == {"first": ["made", False], "second": ["loaded", True], "warnings": []}
        entry_url, headers, _, size = good_entry(driver)
        assert "/.pywebworker/snapshot?module=" in entry_url and size > 10 * 2**20
        version = Path(request.config.option.dist_dir).name  # build/pyodide/<version>
        assert headers["x-pywebworker-pyodide"] == version

        # 2. A new page load: the first PyWorker boots from the cached snapshot.
        assert load(driver, url) == {"first": ["cached", True], "second": ["loaded", True], "warnings": []}

        # 2b. A new page load's WorkerPool of 4, started at once: every worker from the cache
        # (the maker, and the others while it boots) or from the snapshot it hands the host.
        pool = load(driver, url + "&pool=1")
        assert pool["squares"] == [0, 1, 4, 9] and pool["warnings"] == [], pool
        assert pool["pool"][0] == ["cached", True] and len(pool["pool"]) == 4, pool
        assert all(s in (["cached", True], ["loaded", True]) for s in pool["pool"]), pool

        # 3. A corrupt entry: one warning, a fresh snapshot, a good entry again.
        assert driver.execute_async_script(TAMPER, 5 * 2**20, None, None, None) == "ok"
        corrupt = load(driver, url)
        assert corrupt["first"] == ["made", False] and corrupt["second"] == ["loaded", True]
        [warning] = corrupt["warnings"]
        assert warning.startswith("pywebworker: the memory snapshot cached by an earlier page load was not used, "
                                  "and is replaced (Error: the cached memory snapshot is corrupt"), warning
        good_entry(driver)
        assert load(driver, url)["first"] == ["cached", True]

        # 3b. Garbage whose SHA-256 matches (6 zero bytes: Pyodide 0.29 would never finish
        # loading it): one warning, never loaded, replaced.
        assert driver.execute_async_script(TAMPER, None, None, None, 6) == "ok"
        garbage = load(driver, url)
        assert garbage["first"] == ["made", False] and garbage["second"] == ["loaded", True]
        [warning] = garbage["warnings"]
        assert "its 6 bytes are not a Pyodide memory snapshot" in warning, warning
        good_entry(driver)

        # 4. Made by another Pyodide version: not used, replaced, nothing said.
        assert driver.execute_async_script(TAMPER, None, "x-pywebworker-pyodide", "0.0.1", None) == "ok"
        stale = load(driver, url)
        assert stale == {"first": ["made", False], "second": ["loaded", True], "warnings": []}
        assert good_entry(driver)[1]["x-pywebworker-pyodide"] == version

        # 5. The cache turned off: a good entry is there, and not used.
        assert load(driver, url + "&nocache=1")["first"] == ["made", False]

        # 6. clear_snapshot_cache(): the first PyWorker used the cache, which is then deleted.
        cleared = load(driver, url + "&clear=1")
        assert cleared["first"] == ["cached", True] and cleared["cleared"] is True
        assert entries(driver) == []

        # 7. The maker killed the moment the host has its snapshot: it is cached all the same
        # (the host writes it, not the worker).
        assert load(driver, url + "&quick=1") == {"first": ["made", False], "warnings": []}
        good_entry(driver, timeout=20)
