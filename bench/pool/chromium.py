#!/usr/bin/env python3
"""Run bench/pool/chromium.html in headless Chromium (``make bench-pool``): warm starts,
WorkerPool and PyScript's named-worker export from one PyScript interpreter.

    python bench/pool/chromium.py [--pyodide 314.0.7] [--quick]

The page and server are bench/calls/chromium.py's (``run``: COOP/COEP, the newest wheel
at ``/pywebworker.whl``); this module answers the page's memory probes: the page cannot
measure its own process, so it asks (``window.__rssRequest``) and the driver replies with
the summed RSS of Chromium's processes, read from /proc. The result JSON is the last
stdout line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# bench/calls/chromium.py, under another name: this module is "chromium" too.
_spec = importlib.util.spec_from_file_location("calls_chromium", HERE.parent / "calls" / "chromium.py")
assert _spec is not None and _spec.loader is not None
calls_chromium = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calls_chromium)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_rss(pid: int) -> int:
    """Bytes: the summed VmRSS of ``pid``'s descendants (not ``pid`` itself)."""
    kids, total = _children(), 0
    todo = list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        todo += kids.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class RssProbe:
    """``on_poll`` for ``calls_chromium.run``: answers the page's ``pwwPoolRss()``."""

    def __init__(self) -> None:
        self.answered = 0

    def __call__(self, driver: Any) -> None:
        want = driver.execute_script("return window.__rssRequest || 0")
        if want and want != self.answered:
            # chromedriver's descendants: the browser, its renderer (the page and its
            # workers' threads), GPU and utility processes.
            value = tree_rss(driver.service.process.pid)
            driver.execute_script("window.__rssReply(arguments[0], arguments[1])", want, value)
            self.answered = want


def run(version: str, config: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    out: dict[str, Any] = calls_chromium.run(version, config, timeout, page="bench/pool/chromium.html",
                                             result="__benchPool", on_poll=RssProbe(), interval=0.2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyodide", default="314.0.7")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    print(json.dumps(run(a.pyodide, {"quick": a.quick})))


if __name__ == "__main__":
    main()
