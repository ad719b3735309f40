"""Benchmark: the trend report's chart (``warehouse.report.rising_chart_png``).

    .venv/bin/python benchmarks/trend_chart.py                   # 15 bars, 20 warm renders
    .venv/bin/python benchmarks/trend_chart.py --cold 7 --runs 30
    .venv/bin/python benchmarks/trend_chart.py --out /tmp/chart.png  # also look at it
    .venv/bin/python benchmarks/trend_chart.py --font-dir /tmp/noto/usr/share/fonts
    git show main:warehouse/report.py > /tmp/report_main.py
    .venv/bin/python benchmarks/trend_chart.py --against /tmp/report_main.py

``--against`` renders another version of warehouse/report.py alternately with this tree's
(render by render, and process by process for the cold figure), so that a neighbour's load
falls on both alike, and prints the median ratio of their CPU times over the pairs.

Without the Noto fonts (report.FONT_FALLBACK) the non-Latin tags are drawn as boxes, which
costs less than drawing them. To measure what a host with fonts-noto-core and
fonts-noto-cjk pays without installing them: ``apt-get download`` both, ``dpkg -x`` them
into a folder and pass it as ``--font-dir``; every font file under it is registered with
matplotlib (as its font cache would list them) before the timed render.

A Dagster run process renders the chart once, cold: its first call imports matplotlib and
loads the fonts. A long-lived process (tests, the CLI) renders warm. Both figures are
printed: the first render of ``--cold`` fresh processes (median, since one sample on a
shared two-core machine means little) and the median of ``--runs`` renders after a warm-up
in this process. The frame is shaped like ``run_query(con, "rising_hashtags")``'s answer,
with a few non-Latin tags so that the font fallback is exercised.

Each figure is given as wall time and as CPU time (``time.process_time``). On a shared
machine the wall time swings with what else runs; the CPU time much less, and the chart is
single-threaded, so without contention the two agree.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
RECENT_DAYS, BASELINE_DAYS = 7, 28
TAGS = [
    "NewWave",
    "東京カフェ",
    "summerVibes",
    "서울여행",
    "streetfood",
    "मुंबई",
    "NoFilter",
    "القاهرة",
    "handmade",
    "Berlin2026",
    "plantbased",
    "throwbackthursday",
    "café_crème",
    "vintage",
    "minimalism",
    "sunset",
    "travelgram",
    "ootd",
    "latteart",
    "bookstagram",
]


def rising_frame(rows: int = 20) -> pl.DataFrame:
    """A ``rising_hashtags`` answer (limit 20, as the asset asks): lift descending."""
    tags = TAGS[:rows]
    recent = [60 - 2 * i for i in range(len(tags))]
    baseline = [3 + (7 * i) % 40 for i in range(len(tags))]
    recent_total, baseline_total = 5000, 20000
    lift = [
        ((r + 1.0) / (recent_total + 1.0)) / ((b + 1.0) / (baseline_total + 1.0))
        for r, b in zip(recent, baseline, strict=True)
    ]
    frame = pl.DataFrame(
        {
            "tag": tags,
            "tag_norm": [t.lower() for t in tags],
            "recent_posts": recent,
            "baseline_posts": baseline,
            "recent_profiles": [max(1, r // 3) for r in recent],
            "recent_per_day": [round(r / RECENT_DAYS, 3) for r in recent],
            "baseline_per_day": [round(b / BASELINE_DAYS, 3) for b in baseline],
            "lift": [round(x, 3) for x in lift],
            "as_of": [AS_OF] * len(tags),
        }
    )
    return frame.sort("lift", descending=True)


def timed(render: Callable[[], bytes]) -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds and the PNG of one render."""
    wall, cpu = time.perf_counter(), time.process_time()
    png = render()
    return time.perf_counter() - wall, time.process_time() - cpu, png


def add_fonts(folder: Path | None) -> None:
    """Register the font files under ``folder`` with matplotlib (not timed)."""
    if folder is None:
        return
    from matplotlib import font_manager

    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in {".ttf", ".otf", ".ttc"}:
            font_manager.fontManager.addfont(path)


def load_chart(report: Path | None) -> Callable[[pl.DataFrame], bytes]:
    """``rising_chart_png`` of this tree, or of another version of ``warehouse/report.py``."""
    if report is None:
        from warehouse.report import rising_chart_png

        return rising_chart_png
    spec = importlib.util.spec_from_file_location("report_against", report)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rising_chart_png


def first_render(rows: int, fonts: Path | None, report: Path | None) -> tuple[float, float]:
    """Wall and CPU seconds of this process' first chart, importing matplotlib included.

    ``--font-dir`` fonts are registered between the import and the render, untimed.
    """
    frame = rising_frame(rows)
    import_wall, import_cpu, _ = timed(_import_matplotlib)
    add_fonts(fonts)
    chart = load_chart(report)
    wall, cpu, _ = timed(lambda: chart(frame))
    return import_wall + wall, import_cpu + cpu


def _import_matplotlib() -> bytes:
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401  (what warehouse.report imports when it draws)

    return b""


def cold_render(rows: int, fonts: Path | None, report: Path | None) -> tuple[float, float]:
    """A first render in a fresh interpreter, as each Dagster run process does it."""
    args = [sys.executable, __file__, "--child", "--rows", str(rows)]
    args += ["--font-dir", str(fonts)] if fonts else []
    args += ["--report", str(report)] if report else []
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    wall, cpu = json.loads(out)
    return wall, cpu


Samples = list[tuple[float, float]]


def ms(samples: Samples) -> str:
    wall = statistics.median(w for w, _ in samples)
    cpu = statistics.median(c for _, c in samples)
    return f"wall {1000 * wall:7.1f} ms   cpu {1000 * cpu:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20, help="rows in the frame (top 15 drawn)")
    parser.add_argument("--runs", type=int, default=20, help="warm renders after the warm-up")
    parser.add_argument("--cold", type=int, default=5, help="fresh processes for the cold one")
    parser.add_argument("--out", type=Path, help="write the chart here (PNG) to look at it")
    parser.add_argument("--font-dir", type=Path, help="register these fonts first (Noto)")
    parser.add_argument(
        "--against",
        type=Path,
        help="another warehouse/report.py, rendered alternately with this tree's",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(first_render(args.rows, args.font_dir, args.report)))
        return

    versions: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.against:
        versions.append((str(args.against), args.against))
    frame = rising_frame(args.rows)
    cold: dict[str, Samples] = {name: [] for name, _ in versions}
    for _ in range(args.cold):
        for name, report in versions:
            cold[name].append(cold_render(args.rows, args.font_dir, report))
    first = first_render(args.rows, args.font_dir, None)  # this process' warm-up
    charts = {name: load_chart(report) for name, report in versions}
    for chart in charts.values():
        chart(frame)
    warm: dict[str, Samples] = {name: [] for name, _ in versions}
    empty: dict[str, Samples] = {name: [] for name, _ in versions}
    pngs: dict[str, bytes] = {}
    for _ in range(args.runs):
        for name, chart in charts.items():
            wall, cpu, pngs[name] = timed(lambda chart=chart: chart(frame))
            warm[name].append((wall, cpu))
    for _ in range(max(3, args.runs // 4)):
        for name, chart in charts.items():
            wall, cpu, _ = timed(lambda chart=chart: chart(frame.clear()))
            empty[name].append((wall, cpu))
    if args.out:
        args.out.write_bytes(pngs["this tree"])

    print(f"frame: {frame.height} rows, top 15 drawn")
    if args.font_dir:
        print(f"fonts registered from {args.font_dir}")
    print(f"first render in this process (one sample): {ms([first])}")
    for name, _ in versions:
        print(f"{name}: PNG {len(pngs[name]):,} bytes")
        if args.cold:
            print(f"  cold first render (median of {args.cold:2} processes): {ms(cold[name])}")
        print(f"  warm render (median of {args.runs:2}):                 {ms(warm[name])}")
        print(f"  warm render, empty frame (median of {len(empty[name]):2}):    {ms(empty[name])}")
    if args.against:
        this, other = versions[0][0], versions[1][0]
        for label, samples in (("cold", cold), ("warm", warm)):
            if samples[this]:
                ratios = [a[1] / b[1] for a, b in zip(samples[this], samples[other], strict=True)]
                print(
                    f"{label}: this tree's CPU time / the other's, median of pairs: "
                    f"{statistics.median(ratios):.2f}"
                )


if __name__ == "__main__":
    main()
