"""Benchmark: ``rising_hashtags`` now (bounds bound first, whole days from hashtag_daily)
against the single-statement SQL it replaced, on a large posts_wide spanning 60 and 365 days.

    python benchmarks/rising_query.py                             # 10M posts, 60 and 365 days
    python benchmarks/rising_query.py --posts 1000000 --runs 3 --days 60
    python benchmarks/rising_query.py --cache /tmp/rising         # keep the warehouses
    python benchmarks/rising_query.py --variants new --threads 0 1 --cache /tmp/rising

A tracker of active profiles accumulates recent posts, so the 60-day warehouse is the one
users have: most of its rows fall in the 35-day window. posts_wide is filled by
``warehouse_synth.fill_posts_wide`` and hashtag_daily from it (``fill_hashtag_daily``).
``--as-of`` moves the end of the windows off midnight (the query then reads partial days
from posts_wide), e.g. ``--as-of 2026-05-31T13:17:00+00:00``.

Each measurement is a fresh process that opens the warehouse read-only and runs the query
``--repeat`` times (the first run pays for reading the file into DuckDB's buffers, the others
are warm); the variants (old and new SQL, at each ``--threads`` setting, 0 meaning DuckDB's
default of one thread a core) alternate, their order reversed every other round, so all see the
same machine load. Printed per variant: the DuckDB threads setting, medians over the processes
of the first run and of the warm runs, in wall time and in the query process's CPU time (all
its threads: on a loaded machine wall time mostly measures the wait for a core), the old/new
ratios, and whether all gave identical frames; the exit status follows the warm wall median.
The old SQL is ``tests/warehouse/reference_sql/rising_hashtags.sql``, or the file ``--old-sql``
names (e.g. the query file of another checkout, to compare with main).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

OLD_SQL = ROOT / "tests" / "warehouse" / "reference_sql" / "rising_hashtags.sql"
TARGET_S = 0.3


def build(path: Path, posts: int, days: int) -> None:
    """A warehouse at ``path`` holding ``posts`` posts over ``days`` (kept if it already does)."""
    from warehouse_synth import fill_hashtag_daily, fill_posts_wide

    from warehouse.db import connect

    con = connect(path)
    try:
        con.execute("CREATE TABLE IF NOT EXISTS bench_meta (posts BIGINT, days INTEGER)")
        if con.execute("SELECT * FROM bench_meta").fetchall() == [(posts, days)]:
            if not con.execute("SELECT count(*) FROM hashtag_daily").fetchall()[0][0]:
                fill_hashtag_daily(con)  # a cache made before the query read it
                con.execute("CHECKPOINT")
            return
        print(f"filling {path.name}: {posts:,} posts over {days} days …", flush=True)
        started = time.perf_counter()
        con.execute("DELETE FROM posts_wide")
        con.execute("DELETE FROM bench_meta")
        fill_posts_wide(con, posts, days=days)
        fill_hashtag_daily(con)
        con.execute("INSERT INTO bench_meta VALUES ($posts, $days)", {"posts": posts, "days": days})
        con.execute("CHECKPOINT")
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        con.close()


def worker(db: Path, variant: str, repeat: int, threads: int, as_of: str) -> dict[str, Any]:
    """Run one variant ``repeat`` times in this process; times, CPU and a digest of the result."""
    from warehouse_synth import AS_OF

    from warehouse.db import connect
    from warehouse.queries import execute, parse_query, run_query

    params = {"as_of": as_of or AS_OF, "limit": 20}
    con = connect(db, read_only=True)
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    used_threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    old_sql = Path(os.environ.get("RISING_OLD_SQL", OLD_SQL)).read_text("utf-8")
    times, cpu, frame = [], [], None
    for _ in range(repeat):
        wall, proc = time.perf_counter(), time.process_time()
        if variant == "old":  # one statement or several, like the query files
            frame = execute(con, parse_query("rising_hashtags", old_sql), **params)
        else:
            frame = run_query(con, "rising_hashtags", **params)
        times.append(time.perf_counter() - wall)
        cpu.append(time.process_time() - proc)
    con.close()
    assert frame is not None
    digest = hashlib.sha256(frame.write_csv().encode()).hexdigest()
    top = frame["tag"].head(3).to_list()
    return {"times": times, "cpu": cpu, "threads": used_threads, "digest": digest, "top": top}


def _spawn(db: Path, variant: str, repeat: int, threads: int, as_of: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            *(sys.executable, __file__, "--worker", variant, "--db", str(db)),
            *("--repeat", str(repeat), "--threads", str(threads), "--as-of", as_of),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(
    db: Path, runs: int, repeat: int, variants: list[str], threads: list[int], as_of: str
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """``runs`` rounds, each variant at each threads setting in its own process, the order
    reversed every other round so that all of them see the same machine load."""
    order = [(variant, t) for variant in variants for t in threads]
    results: dict[tuple[str, int], list[dict[str, Any]]] = {key: [] for key in order}
    for round_ in range(runs):
        for variant, t in order if round_ % 2 == 0 else order[::-1]:
            results[(variant, t)].append(_spawn(db, variant, repeat, t, as_of))
    return results


def _figures(procs: list[dict[str, Any]]) -> dict[str, float]:
    """Medians: wall and CPU of each process's first run, and over the warm runs after it."""

    def warm(key: str) -> list[float]:
        return [v for p in procs for v in p[key][1:] or p[key]]

    return {
        "first": statistics.median(p["times"][0] for p in procs),
        "first_cpu": statistics.median(p["cpu"][0] for p in procs),
        "warm": statistics.median(warm("times")),
        "warm_cpu": statistics.median(warm("cpu")),
    }


def report(results: dict[tuple[str, int], list[dict[str, Any]]]) -> bool:
    """Print one warehouse's figures; True when the new SQL meets the target in wall time.

    CPU time is the query process's (every DuckDB thread), printed beside wall time: on a
    loaded machine the wall time mostly measures the queue for a core, and the CPU time is
    what the query itself costs.
    """
    figures = {}
    for (variant, threads), procs in results.items():
        f = figures[(variant, threads)] = _figures(procs)
        label = f"{variant} threads={procs[0]['threads']}" + ("" if threads else " (default)")
        print(
            f"  {label}: first run {f['first']:.3f} s (CPU {f['first_cpu']:.3f} s), "
            f"warm {f['warm']:.3f} s (CPU {f['warm_cpu']:.3f} s)"
        )
        print(f"       runs (s): {' '.join(f'{t:.3f}' for p in procs for t in p['times'])}")
        print(f"       CPU (s):  {' '.join(f'{c:.3f}' for p in procs for c in p['cpu'])}")
    for (variant, threads), f in figures.items():
        o = figures.get(("old", threads))
        if variant == "new" and o:
            t = threads or "default"
            print(
                f"  old/new threads={t}: first run {o['first'] / f['first']:.1f}x, "
                f"warm {o['warm'] / f['warm']:.1f}x (CPU {o['warm_cpu'] / f['warm_cpu']:.1f}x)"
            )
    digests = {p["digest"] for procs in results.values() for p in procs}
    print(
        f"  identical results: {'yes' if len(digests) == 1 else 'NO'}; top tags: "
        f"{next(iter(results.values()))[0]['top']}"
    )
    ok = len(digests) == 1
    for (variant, threads), f in figures.items():
        if variant != "new":
            continue
        wall_ok, cpu_ok = f["warm"] <= TARGET_S, f["warm_cpu"] <= TARGET_S
        ok = ok and wall_ok
        print(
            f"  new threads={threads or 'default'}: warm median {f['warm']:.3f} s "
            f"(CPU {f['warm_cpu']:.3f} s), target ≤ {TARGET_S} s: wall "
            f"{'OK' if wall_ok else 'MISSED'}, CPU {'OK' if cpu_ok else 'MISSED'}"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, nargs="+", default=[60, 365])
    parser.add_argument("--runs", type=int, default=3, help="processes per variant")
    parser.add_argument("--repeat", type=int, default=3, help="queries per process")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[0],
        help="DuckDB threads, each measured (0: default)",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=("old", "new"),
        default=["old", "new"],
        help="SQLs to measure (the old one takes seconds a run on 60 days)",
    )
    parser.add_argument("--cache", help="keep the warehouses in this folder (reused when equal)")
    parser.add_argument("--as-of", default="", help="end of the windows (default: AS_OF)")
    parser.add_argument("--old-sql", help="the SQL to compare with (default: the reference)")
    parser.add_argument("--worker", choices=("old", "new"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.old_sql:
        os.environ["RISING_OLD_SQL"] = str(Path(args.old_sql).resolve())
    if args.worker:
        threads = args.threads[0]
        print(json.dumps(worker(Path(args.db), args.worker, args.repeat, threads, args.as_of)))
        return 0

    with tempfile.TemporaryDirectory(prefix="intrend-rising-") as tmp:
        folder = Path(args.cache or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        ok = True
        for days in args.days:
            db = folder / f"rising_{args.posts}_{days}d.duckdb"
            build(db, args.posts, days)
            results = measure(db, args.runs, args.repeat, args.variants, args.threads, args.as_of)
            print(f"rising_hashtags on {args.posts:,} posts over {days} days", end="")
            print(f" (as_of {args.as_of}):" if args.as_of else ":")
            ok = report(results) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
