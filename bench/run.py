#!/usr/bin/env python3
"""Run every pywebworker benchmark (``make bench``): headless Chromium and Node, plus
the C core under callgrind; print a table of ratios against the baselines measured
in the same run, write ``build/bench/results.json`` and ``bench/RESULTS.md``.

    python bench/run.py [--quick] [--hosts chromium,node] [--pyodide 314.0.7] [--no-pool]

Baselines (bench/baselines.mjs, bench/bench_pww.py): raw JavaScript ``postMessage``
echo; the pattern a user hand-writes in Pyodide (``js.Worker`` + a ``create_proxy``
onmessage appending to a list; in Node ``node:worker_threads``); a raw module worker
that loads Pyodide and replies; the original PyWebWorker (PyPI 0.0.6 and 0.0.8, fetched
into build/bench/ with ``pip download`` when missing) on its README workload, in the same
Chromium page (bench/original.py). Then bench/pool/run.py (``make bench-pool``: warm starts
and WorkerPool, with its own same-run baselines), whose rows are added to the table.
Times are figures, never assertions. bench/chart.py draws them (``bench/results.svg``).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "examples" / "web"), str(ROOT / "bench")]
import chart  # noqa: E402  bench/chart.py: matplotlib (tools/setup.sh bench)
from chromium_launcher import chromium  # noqa: E402
from serve import serve  # noqa: E402

FULL = {
    "n_throughput": 20000, "reps": 5, "n_pingpong": 2000, "n_sync": 1000, "n_page": 1000,
    "binary_bytes": 1 << 20, "binary_count": 32, "binary_reps": 3, "boot_reps": 4,
    "original_n": [2000, 20000], "original_reps": 5, "original_versions": ["0.0.6", "0.0.8"],
    "original_scripts": ["readme", "quiet"],
}
QUICK = {
    "n_throughput": 20000, "reps": 2, "n_pingpong": 500, "n_sync": 300, "n_page": 300,
    "binary_bytes": 1 << 20, "binary_count": 8, "binary_reps": 1, "boot_reps": 2,
    "original_n": [2000, 20000], "original_reps": 2, "original_versions": ["0.0.6", "0.0.8"],
    "original_scripts": ["readme", "quiet"],
}
BENCH_DIR = ROOT / "build" / "bench"


def original_wheels(versions: list[str]) -> None:
    """The original PyWebWorker's wheels, from PyPI into build/bench/ when missing (the
    page loads them from there); a clean clone has none."""
    for v in versions:
        if not (BENCH_DIR / f"pywebworker-{v}-py3-none-any.whl").exists():
            print(f"fetching the original PyWebWorker {v} from PyPI", flush=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                            "--no-deps", "--only-binary=:all:", "--dest", str(BENCH_DIR), f"pywebworker=={v}"],
                           check=True)


def run_chromium(config: dict[str, Any], version: str, timeout: float = 420) -> dict[str, Any]:
    from urllib.parse import quote

    # Cross-origin isolated: performance.now() at 5 µs instead of 100 µs resolution.
    if "original" in config.get("only", ["original"]):
        original_wheels(config["original_versions"])
    with serve(isolated=True) as base, chromium() as driver:
        driver.set_script_timeout(30)
        driver.get(f"{base}/bench/index.html?pyodide={version}&config={quote(json.dumps(config))}")
        shown, deadline = 0, time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = driver.execute_script("return window.__benchLog || []")
            for line in lines[shown:]:
                print(f"[chromium] {line}", flush=True)
            shown = len(lines)
            result = driver.execute_script("return window.__bench || null")
            if result:
                out: dict[str, Any] = json.loads(result)
                if "error" in out:
                    raise RuntimeError(f"browser benchmark failed: {out['error']}")
                out["browser"] = driver.capabilities.get("browserVersion")
                return out
            time.sleep(1)
        raise TimeoutError(f"browser benchmark did not finish in {timeout} s")


def run_node(config: dict[str, Any], version: str, timeout: float = 420) -> dict[str, Any]:
    env = {**os.environ, "PYWW_PYODIDE": version}
    proc = subprocess.run(
        ["node", str(ROOT / "bench" / "node_bench.mjs"), json.dumps(config)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=None, text=True, timeout=timeout, check=True,
    )
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return out


def run_pool(version: str, hosts: str, quick: bool) -> dict[str, Any]:
    """bench/pool/run.py (``make bench-pool``); returns what it wrote to build/bench/pool.json."""
    dest = ROOT / "build" / "bench" / "pool.json"
    cmd = [sys.executable, str(ROOT / "bench" / "pool" / "run.py"), "--pyodide", version,
           "--hosts", hosts, "--out", str(dest)]
    subprocess.run(cmd + (["--quick"] if quick else []), cwd=ROOT, check=True, timeout=1800)
    out: dict[str, Any] = json.loads(dest.read_text())
    return out


def pool_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """bench/pool/run.py's rows for one host (loaded by path: bench/pool has its own run.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pool_run", ROOT / "bench" / "pool" / "run.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows: list[tuple[str, str, str, str]] = mod.rows(res)
    return rows


def run_core() -> dict[str, Any]:
    """`make bench-core` (mk/core.mk): ns and callgrind instructions per message round
    (push + mark opened + release of a 64-byte message)."""
    proc = subprocess.run(["make", "--no-print-directory", "-s", "bench-core"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    text = proc.stdout
    out: dict[str, Any] = {"output": text.strip().splitlines()}
    m = re.search(r"= ([\d.]+) instructions/round", text)
    if m:
        out["instructions_per_message"] = float(m.group(1))
    m = re.search(r"of 64-byte messages: ([\d.]+) ns/round", text)
    if m:
        out["ns_per_message"] = float(m.group(1))
    return out


# -- the table -----------------------------------------------------------------------------
def fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v:,.0f}{unit}"
    if v >= 10:
        return f"{v:.0f}{unit}"
    return f"{v:.2f}{unit}"


def verdict(ratio: float | None, aim: float, higher_is_better: bool) -> str:
    if ratio is None:
        return "–"
    ok = ratio >= aim if higher_is_better else ratio <= aim
    return "met" if ok else "**missed**"


# The aims (issue 11) are ratios against baselines of the same run.
ORIGINAL_AIM = 2.0


def rows_for(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, figure, ratio, aim+verdict) rows for one host."""
    rows: list[tuple[str, str, str, str]] = []
    chrome = res["env"] == "browser"

    def echo_aim(r_raw: float, r_hand: float) -> str:
        # Chromium: against raw postMessage; Node: raw worker_threads are faster than any
        # Python there, so the Python-side hand-written pattern is the peer.
        if chrome:
            return f"≥0.8x raw: {verdict(r_raw, 0.8, True)}"
        return f"≥1.2x hand: {verdict(r_hand, 1.2, True)}"

    if "throughput" in res:
        t = res["throughput"]
        raw, hand = t["raw_msg_s"], t["hand_msg_s"]
        rows += [
            ("1. echo throughput, raw JS postMessage", fmt(raw, " msg/s"), "1", ""),
            ("1. echo throughput, hand-written Pyodide", fmt(hand, " msg/s"), f"{hand / raw:.2f}x raw", ""),
        ]
        for key, what in (("jsworker_msg_s", "JsWorker (receive+read each)"),
                          ("jsworker_batch_msg_s", "JsWorker (get_unread_messages batches)")):
            r_raw, r_hand = t[key] / raw, t[key] / hand
            rows.append((f"1. echo throughput, {what}", fmt(t[key], " msg/s"),
                         f"{r_raw:.2f}x raw, {r_hand:.2f}x hand", echo_aim(r_raw, r_hand)))
        rows.append(("1. Python cost per message (send / total)",
                     f"{t['jsworker_send_us_per_msg']:.1f} / {t['jsworker_us_per_msg']:.1f} µs",
                     f"raw JS {t['raw_us_per_msg']:.1f} µs", ""))
    if "ffi" in res:
        f = res["ffi"]
        rows.append(("1. Python→JS calls per message (send / receive+read)",
                     f"{f['send_calls_per_msg']:.1f} / {f['receive_read_calls_per_msg']:.1f}",
                     f"JS→Python events {f['js_to_python_events_per_msg']:.3f}/msg", ""))
    if "pingpong" in res:
        p = res["pingpong"]
        raw = p["raw"]
        bound = 1.5 if chrome else 2.0

        def rt(x: dict[str, float]) -> str:
            return f"{x['median_us']:.0f} / {x['p99_us']:.0f} µs"

        def rt_ratio(x: dict[str, float]) -> str:
            return f"{x['median_us'] / raw['median_us']:.2f}x raw (p99 {x['p99_us'] / raw['p99_us']:.2f}x)"

        r = p["jsworker"]["median_us"] / raw["median_us"]
        rows += [
            ("2. round trip, raw JS (median / p99)", rt(raw), "1", ""),
            ("2. round trip, hand-written Pyodide (median / p99)", rt(p["hand"]), rt_ratio(p["hand"]), ""),
            ("2. round trip, JsWorker send_message + await receive() (median / p99)", rt(p["jsworker"]),
             rt_ratio(p["jsworker"]), f"≤{bound:g}x raw (median): {verdict(r, bound, False)}"),
            ("2. one asyncio wake-up (await asyncio.sleep(0))",
             f"{p['asyncio_hop']['median_us']:.1f} µs", "", ""),
        ]
    if "binary" in res:
        b = res["binary"]
        clone = b["raw_clone_mib_s"]
        rj, rp = b["jsworker_mib_s"] / clone, b["pyworker_mib_s"] / clone
        rows += [
            ("3. 1 MiB echo, raw JS structured clone", fmt(clone, " MiB/s"), "1", ""),
            ("3. 1 MiB echo, raw JS transfer", fmt(b["raw_transfer_mib_s"], " MiB/s"),
             f"{b['raw_transfer_mib_s'] / clone:.2f}x clone", ""),
            ("3. 1 MiB echo, JsWorker", fmt(b["jsworker_mib_s"], " MiB/s"), f"{rj:.2f}x clone",
             f"≥1x clone: {verdict(rj, 1.0, True)}"),
            ("3. 1 MiB echo, PyWorker (Python echo)", fmt(b["pyworker_mib_s"], " MiB/s"), f"{rp:.2f}x clone",
             f"≥1x clone: {verdict(rp, 1.0, True)}"),
        ]
    if "coldstart" in res:
        c = res["coldstart"]
        r1, r4 = c["pyworker_ms"] / c["raw_ms"], c["pyworker4_ms"] / c["raw4_ms"]
        rows += [
            ("4. cold start, raw Pyodide module worker", fmt(c["raw_ms"], " ms"), "1", ""),
            ("4. cold start, PyWorker → first reply (snapshot=False)", fmt(c["pyworker_ms"], " ms"), f"{r1:.2f}x raw",
             f"≤1.1x: {verdict(r1, 1.1, False)}"),
        ]
        if "snapshot_ms" in c:
            rs, rm = c["snapshot_ms"] / c["raw_ms"], c["make_ms"] / c["raw_ms"]
            rows += [
                ("4. cold start, PyWorker from a memory snapshot", fmt(c["snapshot_ms"], " ms"), f"{rs:.2f}x raw",
                 f"≤0.3x: {verdict(rs, 0.3, False)}"),
                ("4. cold start, first PyWorker (makes the snapshot)", fmt(c["make_ms"], " ms"), f"{rm:.2f}x raw",
                 f"≤1.15x: {verdict(rm, 1.15, False)}"),
            ]
        rows += [
            ("4. four at once, raw", fmt(c["raw4_ms"], " ms"), "1", ""),
            ("4. four at once, PyWorker (snapshot=False)", fmt(c["pyworker4_ms"], " ms"), f"{r4:.2f}x raw",
             f"≤1.1x: {verdict(r4, 1.1, False)}"),
        ]
        if "snapshot4_ms" in c:
            rs4 = c["snapshot4_ms"] / c["raw4_ms"]
            rows.append(("4. four at once, PyWorker from a memory snapshot", fmt(c["snapshot4_ms"], " ms"),
                         f"{rs4:.2f}x raw", f"≤0.4x: {verdict(rs4, 0.4, False)}"))
        if "cached_ms" in c:  # browsers: the first PyWorkers of a new page load, from Cache Storage
            rc, rc4 = c["cached_ms"] / c["raw_ms"], c["cached4_ms"] / c["raw4_ms"]
            rows += [
                ("4. cold start, first PyWorker of a new page load (snapshot cached)", fmt(c["cached_ms"], " ms"),
                 f"{rc:.2f}x raw", f"≤0.4x: {verdict(rc, 0.4, False)}"),
                ("4. four at once, first PyWorkers of a new page load (snapshot cached)", fmt(c["cached4_ms"], " ms"),
                 f"{rc4:.2f}x raw", f"≤0.4x: {verdict(rc4, 0.4, False)}"),
            ]
    if "mpy" in res:
        m = res["mpy"]
        r = m["mpy_ms"] / m["pyworker_ms"]
        rows += [
            ("7. start → first reply, Pyodide PyWorker", fmt(m["pyworker_ms"], " ms"), "1", ""),
            ("7. start → first reply, MicroPython PyWorker", fmt(m["mpy_ms"], " ms"), f"{r:.3f}x Pyodide",
             f"<100 ms: {verdict(m['mpy_ms'] / 100, 1.0, False)}"),
            ("7. four at once, MicroPython PyWorker", fmt(m["mpy4_ms"], " ms"),
             f"{m['mpy4_ms'] / m['pyworker_ms']:.3f}x one Pyodide", ""),
            ("7. start → first reply, JsWorker (the floor: a thread and the glue)", fmt(m["js_ms"], " ms"),
             f"MicroPython {m['mpy_ms'] / m['js_ms']:.2f}x", ""),
        ]
    if "sync" in res:
        rows += sync_rows(res["sync"])
    if "page" in res:
        rows += page_rows(res["page"])
    if "original" in res:
        rows += original_rows(res["original"])
    return rows


def sync_rows(s: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """A worker's blocking call of the host (parent.sync / pywebworker.sync) against the
    same call awaited (parent.host), on one worker, in turns (bench_pww.py bench_sync)."""
    if "skipped" in s:
        return [("8. synchronous calls", "skipped", s["skipped"], "")]
    rows: list[tuple[str, str, str, str]] = []
    for key, what in (("pyworker", "PyWorker parent.sync"), ("jsworker", "JsWorker pywebworker.sync")):
        r = s[key]
        for size, label in (("", "add(i, 1)"), ("_1mib", "a 1 MiB result")):
            sync, awaited = r["sync" + size], r["async" + size]
            rows += [
                (f"8. {what}: {label}, awaited (median / p99)",
                 f"{awaited['median_us']:.0f} / {awaited['p99_us']:.0f} µs", "1", ""),
                (f"8. {what}: {label}, synchronous (median / p99)",
                 f"{sync['median_us']:.0f} / {sync['p99_us']:.0f} µs",
                 f"{sync['median_us'] / awaited['median_us']:.2f}x awaited", ""),
            ]
    return rows


def page_rows(p: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Page JavaScript calling Python through a Backend, n calls in a row timed in JS
    (bench_pww.py bench_page; µs per call, the best round): bindings against a raw
    PyProxy call, a task against pool.submit from Python."""
    raw, submit = p["raw"], p["submit"]
    return [
        ("9. page JS → Python: a raw PyProxy call, awaited (µs per call)", f"{raw:.1f} µs", "1", ""),
        ("9. page JS → Python: `await backend.add(i, 1)`, a binding", f"{p['binding']:.1f} µs",
         f"{p['binding'] / raw:.1f}x raw", ""),
        ("9. page JS → Python: an async binding", f"{p['binding_async']:.1f} µs",
         f"{p['binding_async'] / raw:.1f}x raw", ""),
        ("9. page JS → Python: `await pool.submit(add, i, 1)` from Python", f"{submit:.0f} µs", "1", ""),
        ("9. page JS → Python: `await backend.add_task(i, 1)`, a task", f"{p['task']:.0f} µs",
         f"{p['task'] / submit:.2f}x pool.submit", ""),
    ]


SCRIPT_NAMES = {"readme": "its README script", "quiet": "no console.log"}


def original_rows(o: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows of the original PyWebWorker's README workload (bench/original.py); the aim is
    against the first version (0.0.6), with pywebworker running the same code."""
    what = "6. original's README workload"
    if "skipped" in o:
        return [(f"{what}, original PyWebWorker", "cannot run here", "", f"≥{ORIGINAL_AIM:g}x: – ({o['skipped']})")]
    rows: list[tuple[str, str, str, str]] = []
    versions: list[str] = o["versions"]
    for name, by_n in o["results"].items():
        for n, r in by_n.items():
            head = f"6. README workload, {SCRIPT_NAMES.get(name, name)}, N={int(n):,}"
            base = [v for v in versions if v in r]
            for v in versions:
                if v in r:
                    rows.append((f"{head}: original {v}", fmt(r[v]["msg_s"], " msg/s"),
                                 "1" if v == base[0] else f"{r[v]['msg_s'] / r[base[0]]['msg_s']:.2f}x {base[0]}", ""))
                else:
                    rows.append((f"{head}: original {v}", "did not run", "", o.get("errors", {}).get(v, "")))
            for key, how in (("pywebworker", "the same code"), ("pywebworker_receive", "await receive() first")):
                if key not in r or not base:
                    continue
                ratios = [r[key]["msg_s"] / r[v]["msg_s"] for v in base]
                aim = ""
                if key == "pywebworker" and base[0] == versions[0]:
                    aim = f"≥{ORIGINAL_AIM:g}x {base[0]}: {verdict(ratios[0], ORIGINAL_AIM, True)}"
                rows.append((f"{head}: JsWorker, {how}", fmt(r[key]["msg_s"], " msg/s"),
                             ", ".join(f"{x:.2f}x {v}" for v, x in zip(base, ratios, strict=True)), aim))
    return rows


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def render(results: dict[str, Any]) -> str:
    lines = [
        "# pywebworker benchmark results",
        "",
        f"Latest `make bench`: {results['date']}, {results['machine']}.",
        "",
    ]
    hosts = results["hosts"]
    if "chromium" in hosts:
        lines.append(f"Chromium {hosts['chromium'].get('browser')} (headless, page cross-origin isolated for "
                     f"5 µs timers), Pyodide {hosts['chromium'].get('pyodide')}.")
    if "node" in hosts:
        lines.append(f"Node {hosts['node'].get('node')}, Pyodide {hosts['node'].get('pyodide')}.")
    lines += ["Every ratio is against baselines measured in the same run (medians of repeated, "
              "interleaved runs). The machine was shared with other jobs, so absolute figures are noisy; "
              "ratios much less so.", ""]
    for name, res in hosts.items():
        lines += [f"## {name}", "", "| benchmark | figure | ratio | aim |", "| --- | --- | --- | --- |"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows_for(res)]
        pool = results.get("pool", {}).get("node" if name == "node" else "chromium")
        if pool:
            lines += [f"| **warm starts and WorkerPool** (bench/pool, {pool.get('browser') or 'Node'}; "
                      "bench/pool/RESULTS.md) | | | |"]
            lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in pool_rows(pool)]
        lines.append("")
    core = results.get("core")
    if core:
        lines += ["## C core (native, `make bench-core`)", "",
                  f"- {core.get('instructions_per_message', '–')} instructions per message "
                  "(callgrind; push + mark opened + release of a 64-byte message, 101 workers in the registry)",
                  f"- {core.get('ns_per_message', '–')} ns per message natively", ""]
    lines += ["Chart of every figure above, per host, with the aims: [results.svg](results.svg) "
              "(bench/chart.py).", ""]
    notes = Path(__file__).with_name("NOTES.md")
    if notes.exists():
        lines += [notes.read_text().strip(), ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    ap.add_argument("--hosts", default="chromium,node")
    ap.add_argument("--only", default="",
                    help="comma list: throughput,ffi,pingpong,binary,coldstart,mpy,sync,page,original")
    ap.add_argument("--pyodide", default=os.environ.get("PYWW_PYODIDE", "314.0.7"))
    ap.add_argument("--no-core", action="store_true")
    ap.add_argument("--no-pool", action="store_true", help="skip bench/pool (make bench-pool)")
    ap.add_argument("--out", default=str(ROOT / "build" / "bench" / "results.json"))
    ap.add_argument("--markdown", default=str(ROOT / "bench" / "RESULTS.md"))
    ap.add_argument("--chart", default=str(ROOT / "bench" / "results.svg"), help="where a full run draws its chart")
    ap.add_argument("--render", action="store_true",
                    help="only redraw --markdown and --chart from --out (a finished run's results)")
    args = ap.parse_args()
    if args.render:
        done: dict[str, Any] = json.loads(Path(args.out).read_text())
        Path(args.markdown).write_text(render(done))
        print(f"wrote {args.markdown}, {chart.draw(done, Path(args.chart))}")
        return
    config = dict(QUICK if args.quick else FULL)
    if args.only:
        config["only"] = args.only.split(",")
    t0 = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "config": config,
        "hosts": {},
    }
    for host in args.hosts.split(","):
        print(f"== {host}", flush=True)
        results["hosts"][host] = (run_chromium if host == "chromium" else run_node)(config, args.pyodide)
    if not args.no_pool and not args.only:
        print("== warm starts and WorkerPool (bench/pool/run.py)", flush=True)
        results["pool"] = run_pool(args.pyodide, args.hosts, args.quick)
    if not args.no_core:
        print("== C core (make bench-core)", flush=True)
        results["core"] = run_core()
    results["seconds"] = round(time.monotonic() - t0, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    text = render(results)
    print("\n" + text)
    # A smoke run (--quick, --only) draws its chart under build/ and leaves bench/ alone.
    full = bool(args.markdown) and not args.quick and not args.only
    print(f"wrote {chart.draw(results, Path(args.chart) if full else out.with_suffix('.svg'))}")
    if full:
        Path(args.markdown).write_text(text)
        print(f"wrote {args.markdown}")
    print(f"wrote {out} ({results['seconds']} s)")


if __name__ == "__main__":
    main()
