"""Benchmark: analysts reading the warehouse while the pipeline writes it, on the sandbox.

    python benchmarks/warehouse_readers.py                     # 120 profiles, 2 demo runs
    python benchmarks/warehouse_readers.py --profiles 20 --rounds 1

The demo's pipeline (``sandbox.pipeline.run_pipeline``: fetch + load, then the warehouse
tables and checks) runs ``--rounds`` times on one data folder. Beside it, two analyst
processes read the published copy every ``--every`` seconds: a "CLI" that runs
``intrend-warehouse query rising_hashtags`` (its default path, found through
``INTREND_DATA_DIR``) and a "notebook" that holds read-only connections open, keeps one
open for the whole run and opens another every query (the last few stay open). Printed: the
queries each made and how many failed, the pipeline's steps and how many failed, and the
publishes the writers made. The last line is the same as JSON (``tests`` read it).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _target(data_dir: Path, read: str) -> Path:
    """The file analysts read: the published copy, or (``working``, as before publishing
    existed) the pipeline's own file."""
    return (
        data_dir / "warehouse.duckdb"
        if read == "working"
        else data_dir / "published" / "warehouse.duckdb"
    )


def cli_analyst(data_dir: Path, stop: Path, every: float, read: str) -> dict[str, object]:
    """``intrend-warehouse query rising_hashtags`` every ``every`` s until ``stop`` exists."""
    import os

    from warehouse.__main__ import main

    os.environ["INTREND_DATA_DIR"] = str(data_dir)
    os.environ.pop("INTREND_WAREHOUSE_PATH", None)
    published = _target(data_dir, read)
    extra = ["--db", str(published)] if read == "working" else []  # else its default path
    stats: dict[str, object] = {"queries": 0, "failed": 0, "before_first_publish": 0}
    errors: list[str] = []
    copies: set[int] = set()  # inodes: each publish swaps in a new file
    while not stop.exists():
        if published.exists():
            copies.add(published.stat().st_ino)
        if not published.exists():
            stats["before_first_publish"] = int(stats["before_first_publish"]) + 1  # type: ignore[call-overload]
        else:
            err = io.StringIO()
            code = main(
                ["query", "rising_hashtags", "-f", "csv", *extra], stdout=io.StringIO(), stderr=err
            )
            stats["queries"] = int(stats["queries"]) + 1  # type: ignore[call-overload]
            if code != 0:
                stats["failed"] = int(stats["failed"]) + 1  # type: ignore[call-overload]
                errors.append(err.getvalue().strip()[:300])
        time.sleep(every)
    stats["errors"] = errors[:5]
    stats["copies_seen"] = len(copies)
    return stats


def notebook_analyst(
    data_dir: Path, stop: Path, every: float, read: str, keep: int = 3
) -> dict[str, object]:
    """Holds one connection to the published copy for the whole run and opens one more per
    query, keeping the last ``keep`` open: a notebook that never closes what it opened.

    Within one process DuckDB hands every connection to a path the database it has open, so
    the held connections read the copy open when the first of them was made; they must not
    fail however many copies are swapped in meanwhile.
    """
    import duckdb

    published = _target(data_dir, read)
    while not published.exists() and not stop.exists():
        time.sleep(0.05)
    held: list[duckdb.DuckDBPyConnection] = []
    stats: dict[str, object] = {"queries": 0, "failed": 0, "held_open_max": 0}
    errors: list[str] = []
    sql = "SELECT count(*), count(DISTINCT owner_username), max(taken_at) FROM posts_wide"
    first: duckdb.DuckDBPyConnection | None = None
    while not stop.exists():
        try:
            if first is None:
                first = duckdb.connect(str(published), read_only=True)
            con = duckdb.connect(str(published), read_only=True)
            held = [*held, con][-keep:]
            for c in (first, con):
                c.execute(sql).fetchall()
                stats["queries"] = int(stats["queries"]) + 1  # type: ignore[call-overload]
            stats["held_open_max"] = max(int(stats["held_open_max"]), len(held) + 1)  # type: ignore[call-overload]
        except Exception as exc:  # a lock conflict, a torn file: what this counts
            stats["failed"] = int(stats["failed"]) + 1  # type: ignore[call-overload]
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        time.sleep(every)
    stats["errors"] = errors[:5]
    return stats


def _start_analyst(
    kind: str, data_dir: Path, stop: Path, every: float, read: str
) -> subprocess.Popen[str]:
    args = [sys.executable, __file__, "--analyst", kind, str(data_dir), str(stop), str(every)]
    args += ["--read", read]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def run(
    profiles: int, rounds: int, every: float, read: str = "published", seed: int = 11
) -> dict[str, object]:
    """The pipeline ``rounds`` times on a sandbox of ``profiles``, analysts reading beside it."""
    import dagster as dg

    from sandbox.pipeline import register_profiles, run_pipeline, sandbox_resources
    from sandbox.world import SandboxConfig, start_sandbox

    config = SandboxConfig(profiles=profiles, seed=seed, budget=40, speed=30.0)
    with tempfile.TemporaryDirectory(prefix="intrend-readers-") as tmp:
        data_dir, stop = Path(tmp) / "data", Path(tmp) / "stop"
        analysts = {
            kind: _start_analyst(kind, data_dir, stop, every, read) for kind in ("cli", "nb")
        }
        started = time.perf_counter()
        steps = failed_steps = 0
        try:
            with start_sandbox(config) as world, dg.instance_for_test() as instance:
                register_profiles(instance, world.usernames()[:profiles])
                _, resources = sandbox_resources(world.intrend_env(data_dir))
                for _ in range(rounds):
                    for result in run_pipeline(resources, instance, raise_on_error=False):
                        events = result.all_events
                        steps += sum(e.event_type_value == "STEP_SUCCESS" for e in events)
                        failed = [e for e in events if e.event_type_value == "STEP_FAILURE"]
                        failed_steps += len(failed)
        finally:
            seconds = time.perf_counter() - started
            stop.touch()
            outcome = {k: json.loads(p.communicate(timeout=60)[0]) for k, p in analysts.items()}
    return {
        "profiles": profiles,
        "rounds": rounds,
        "read": read,
        "pipeline_seconds": round(seconds, 1),
        "steps": steps,
        "failed_steps": failed_steps,
        "cli": outcome["cli"],
        "notebook": outcome["nb"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=2, help="pipeline runs (bounded: 1-5)")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between queries")
    parser.add_argument(
        "--read",
        choices=("published", "working"),
        default="published",
        help="what the analysts open: the published copy, or the pipeline's own file (the "
        "old way, to see what it costs)",
    )
    parser.add_argument("--analyst", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.analyst:
        kind, data_dir, stop, every = args.analyst
        reader = cli_analyst if kind == "cli" else notebook_analyst
        print(json.dumps(reader(Path(data_dir), Path(stop), float(every), args.read)))
        return 0
    report = run(args.profiles, max(1, min(args.rounds, 5)), args.every, args.read)
    cli, nb = report["cli"], report["notebook"]
    print(
        f"analysts reading the {report['read']} file; "
        f"{report['profiles']} profiles, {report['rounds']} pipeline runs in "
        f"{report['pipeline_seconds']} s: {report['steps']} steps, "
        f"{report['failed_steps']} failed"
    )
    print(
        f"CLI analyst (intrend-warehouse query every {args.every} s): {cli['queries']} queries, "  # type: ignore[index]
        f"{cli['failed']} failed, {cli['copies_seen']} distinct files read "  # type: ignore[index]
        f"({cli['before_first_publish']} polls before the first publish)"  # type: ignore[index]
    )
    print(
        f"notebook analyst (connections held open, up to {nb['held_open_max']} at once): "  # type: ignore[index]
        f"{nb['queries']} queries, {nb['failed']} failed"  # type: ignore[index]
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
