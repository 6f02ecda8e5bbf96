#!/usr/bin/env python3
"""Draw ``make bench``'s figures: one panel per benchmark, a bar per system, grouped by
host, as ratios to that host's baseline of the same run, with the issue's aim drawn over
the host it applies to (a dashed line). bench/run.py calls :func:`draw`; to redraw a chart
from a results file:

    python bench/chart.py [build/bench/results.json] [bench/results.svg]

matplotlib (tools/requirements-bench.txt, ``tools/setup.sh bench``), Agg backend: no
display needed.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# One colour per system, the same in every panel.
COLOURS = {
    "raw JS": "#4d4d4d",
    "raw JS transfer": "#999999",
    "hand-written Pyodide": "#e69f00",
    "original 0.0.6": "#cc79a7",
    "original 0.0.8": "#f0a3d0",
    "JsWorker receive()": "#0072b2",
    "JsWorker batches": "#56b4e9",
    "JsWorker, original's code": "#003a63",
    "PyWorker": "#009e73",
    "PyWorker awaited": "#009e73",
    "PyWorker sync": "#00cc96",
    "JsWorker awaited": "#0072b2",
    "JsWorker sync": "#56b4e9",
}

Bar = tuple[str, float, float | None]  # system, figure, p99 or None
Group = tuple[list[Bar], float, tuple[float, str] | None]  # bars, the baseline figure, aim (figure, label)
# A panel: title, unit, whether higher is better, what the baseline is, {group: Group}.
Panel = tuple[str, str, bool, str, dict[str, Group]]


def panels(results: dict[str, Any]) -> list[Panel]:
    hosts: dict[str, Any] = results["hosts"]
    out: list[Panel] = []

    def collect(key: str, make: Any) -> dict[str, Group | None]:
        return {h: make(r[key], r["env"] == "browser") for h, r in hosts.items() if key in r}

    def echo(t: dict[str, Any], chrome: bool) -> Group:
        bars: list[Bar] = [("raw JS", t["raw_msg_s"], None), ("hand-written Pyodide", t["hand_msg_s"], None),
                ("JsWorker receive()", t["jsworker_msg_s"], None),
                ("JsWorker batches", t["jsworker_batch_msg_s"], None)]
        aim = (0.8 * t["raw_msg_s"], "0.8x raw") if chrome else (1.2 * t["hand_msg_s"], "1.2x hand-written")
        return bars, t["raw_msg_s"], aim

    def roundtrip(p: dict[str, Any], chrome: bool) -> Group:
        bars: list[Bar] = [(name, p[k]["median_us"], p[k]["p99_us"]) for name, k in
                (("raw JS", "raw"), ("hand-written Pyodide", "hand"), ("JsWorker receive()", "jsworker"))]
        bound = 1.5 if chrome else 2.0
        return bars, p["raw"]["median_us"], (bound * p["raw"]["median_us"], f"{bound:g}x raw")

    def binary(b: dict[str, Any], chrome: bool) -> Group:
        bars: list[Bar] = [("raw JS", b["raw_clone_mib_s"], None), ("JsWorker receive()", b["jsworker_mib_s"], None),
                ("PyWorker", b["pyworker_mib_s"], None)]
        return bars, b["raw_clone_mib_s"], (b["raw_clone_mib_s"], "1x clone")

    def cold(c: dict[str, Any], chrome: bool) -> Group:
        raw = float(c["raw_ms"])
        return [("raw JS", raw, None), ("PyWorker", float(c["pyworker_ms"]), None)], raw, (1.1 * raw, "1.1x raw")

    def cold4(c: dict[str, Any], chrome: bool) -> Group:
        raw = float(c["raw4_ms"])
        return [("raw JS", raw, None), ("PyWorker", float(c["pyworker4_ms"]), None)], raw, (1.1 * raw, "1.1x raw")

    def mpy(m: dict[str, Any], chrome: bool) -> Group:
        py = float(m["pyworker_ms"])
        return [("Pyodide PyWorker", py, None), ("MicroPython PyWorker", float(m["mpy_ms"]), None),
                ("4 MicroPython at once", float(m["mpy4_ms"]), None), ("JsWorker", float(m["js_ms"]), None)], \
            py, (100.0, "100 ms")

    def sync(s: dict[str, Any], chrome: bool) -> Group | None:
        if "skipped" in s:
            return None
        bars: list[Bar] = [(f"{name} {how}", s[k][m]["median_us"], s[k][m]["p99_us"])
                           for name, k in (("PyWorker", "pyworker"), ("JsWorker", "jsworker"))
                           for how, m in (("awaited", "async"), ("sync", "sync"))]
        return bars, s["pyworker"]["async"]["median_us"], None

    for key, title, unit, higher, base, make in (
        ("throughput", "1. echo throughput, 20 000 short strings", "msg/s", True, "raw JS postMessage", echo),
        ("pingpong", "2. round trip (bar: median; tick: p99)", "µs", False, "raw JS median", roundtrip),
        ("binary", "3. 1 MiB echo", "MiB/s", True, "raw JS structured clone", binary),
        ("coldstart", "4. cold start, one PyWorker", "ms", False, "a raw Pyodide worker", cold),
        ("coldstart", "4. cold start, four at once", "ms", False, "four raw Pyodide workers", cold4),
        ("mpy", "7. start → first reply, MicroPython worker", "ms", False, "a Pyodide PyWorker", mpy),
        ("sync", "8. a worker's call of the host (bar: median; tick: p99)", "µs", False, "PyWorker awaited", sync),
    ):
        data = {h: g for h, g in collect(key, make).items() if g is not None}
        if data:
            out.append((title, unit, higher, base, data))

    # 6. The original's README workload: Chromium only; a group per (script, N).
    for r in hosts.values():
        o = r.get("original")
        if not o or "results" not in o:
            continue
        first = o["versions"][0]
        groups: dict[str, Group] = {}
        for script, by_n in o["results"].items():
            for n, res in by_n.items():
                if first not in res:
                    continue
                bars: list[Bar] = [(f"original {v}", res[v]["msg_s"], None) for v in o["versions"] if v in res]
                if "pywebworker" in res:
                    bars.append(("JsWorker, original's code", res["pywebworker"]["msg_s"], None))
                if "pywebworker_receive" in res:
                    bars.append(("JsWorker receive()", res["pywebworker_receive"]["msg_s"], None))
                label = "README script" if script == "readme" else "without console.log"
                groups[f"{label}\nN={int(n):,}"] = (bars, res[first]["msg_s"], (2.0 * res[first]["msg_s"], "2x"))
        if groups:
            out.append(("6. the original PyWebWorker's README workload (Chromium only)", "msg/s", True,
                        f"original {first}", groups))
    return out


def short(v: float) -> str:
    if v >= 10_000:
        return f"{v / 1000:,.0f}k"
    return f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


def draw(results: dict[str, Any], path: Path) -> Path:
    """Write the chart of ``results`` (build/bench/results.json's content) to ``path``.

    Bars are ratios to each group's baseline (hosts differ ten-fold in absolute speed), each
    labelled with its figure; the round-trip panel is logarithmic, for its p99 ticks."""
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "pywebworker", "font.size": 8})
    ps = panels(results)
    if not ps:
        raise SystemExit("bench/chart.py: nothing to draw in these results")
    cols = 2
    rows = (len(ps) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(12, 3.8 * rows), squeeze=False)
    for ax in axes.flat[len(ps):]:
        ax.set_visible(False)
    for ax, (title, unit, higher, base, data) in zip(axes.flat, ps, strict=False):
        groups = list(data)
        width = 0.8 / max(len(bars) for bars, _, _ in data.values())
        seen: set[str] = set()
        log = any(p99 is not None for bars, _, _ in data.values() for _, _, p99 in bars)
        for gi, g in enumerate(groups):
            bars, ref, aim = data[g]
            left = gi - 0.4
            for bi, (name, value, p99) in enumerate(bars):
                x = left + (bi + 0.5) * width
                ax.bar(x, value / ref, width * 0.92, color=COLOURS.get(name, "#888888"),
                       label=name if name not in seen else None)
                seen.add(name)
                ax.annotate(short(value), (x, value / ref), fontsize=6, ha="center", va="bottom",
                            xytext=(0, 1), textcoords="offset points")
                if p99 is not None:
                    ax.plot([x - width * 0.3, x + width * 0.3], [p99 / ref] * 2, color="black", lw=1)
                    ax.plot([x, x], [value / ref, p99 / ref], color="black", lw=0.5)
            if aim is not None:
                ax.plot([left, left + len(bars) * width], [aim[0] / ref] * 2, ls="--", color="#d55e00", lw=1.3,
                        label="aim" if "aim" not in seen else None)
                ax.annotate(aim[1], (left, aim[0] / ref), fontsize=6.5, color="#d55e00", ha="left", va="bottom")
                seen.add("aim")
        ax.set_xticks(range(len(groups)), groups)
        ax.set_title(f"{title}: {'higher' if higher else 'lower'} is better", fontsize=9)
        ax.set_ylabel(f"x {base} (labels: {unit})")
        if log:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        top = max(max(v, p or 0, aim[0] if aim else 0) / ref for bars, ref, aim in data.values() for _, v, p in bars)
        ax.set_ylim(top=top * (6 if log else 1.45))  # room for the legend above the bars
        ax.legend(fontsize=6.5, loc="upper center", ncol=3, framealpha=0.85)
    when = f"{results.get('date', '')}, {results.get('machine', '')}"
    fig.suptitle(f"pywebworker `make bench`, {when}: each group's bars are one run's same-run ratios",
                 fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
    return path


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "bench" / "results.json"
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "bench" / "results.svg"
    print(f"wrote {draw(json.loads(src.read_text()), dest)}")


if __name__ == "__main__":
    main()
