"""Benchmark: what listing the load queue (``RawStore.pending()``) costs as the store grows.

    python benchmarks/raw_pending.py --before <commit>              # 10k and 100k answers
    python benchmarks/raw_pending.py --before <commit> --answers 10000 --rounds 3

A folder store is filled with ``--answers`` stored answers (a page beside every third, ten
fetches per profile) of which ``--pending`` are queued, plus a few set-aside records: a
tracker's store between two loads. Each round times ``pending()`` on a fresh store object
(as each run opens its own, so the once-per-store sweep is paid) in its own process, once
with the code of ``--before`` (a commit, exported with ``git archive``) and once with this
tree's, interleaved A B A B; the medians and their ratio are printed per size. The files
are written straight to the layout, without the store's fsyncs, so filling 100k takes
seconds, not minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP = "%Y%m%dT%H%M%S.%fZ"
T0 = datetime(2026, 6, 1, tzinfo=UTC)
PER_PROFILE = 10


def fill(root: Path, answers: int, pending: int) -> None:
    """``answers`` answers (a third with a page), the newest ``pending`` of them queued."""
    body = b"\x28\xb5\x2f\xfd" + os.urandom(600)  # the size of a small answer at rest
    queued = []
    for number in range(answers):
        name = f"user{number // PER_PROFILE:06d}"
        stamp = (T0 + timedelta(minutes=number)).strftime(STAMP)
        folder = root / "profiles" / name
        if number % PER_PROFILE == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stamp}.json.zst").write_bytes(body)
        if number % 3 == 0:
            pages = root / "pages" / name / stamp
            pages.mkdir(parents=True, exist_ok=True)
            (pages / "0001.json.zst").write_bytes(body)
        if number >= answers - pending:
            queued.append((stamp, name))
    marks = root / "pending"
    (marks / "refused").mkdir(parents=True, exist_ok=True)
    for stamp, name in queued:
        (marks / f"{stamp}~{name}").write_bytes(f"profiles/{name}/{stamp}.json.zst".encode())
    for stamp, name in queued[:5]:  # a few set aside by the warehouse, as a store has
        record = {"key": f"profiles/{name}/{stamp}.json.zst", "username": name, "why": "x"}
        (marks / "refused" / f"{stamp}~{name}.json").write_text(json.dumps(record))


def worker(code: Path, store_root: Path, expected: int) -> None:
    """In its own process: time ``pending()`` of a fresh store with the code at ``code``."""
    sys.path.insert(0, str(code))
    from intrend_assets.raw_store.store import LocalRawStore

    store = LocalRawStore(store_root)
    started = time.perf_counter()
    found = store.pending()
    seconds = time.perf_counter() - started
    assert len(found) == expected and all(o.size > 0 for o in found), len(found)
    print(json.dumps({"seconds": seconds}))


def export(ref: str, into: Path) -> Path:
    """The package ``intrend_assets`` as it was at ``ref``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "intrend_assets"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def time_one(code: Path, store_root: Path, expected: int) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(code), str(store_root), str(expected)],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),  # so the tree's own package is not found first
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker on {code} failed:\n{done.stderr}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the commit whose pending() is timed against this tree's")
    parser.add_argument("--answers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--pending", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]), int(args.worker[2]))
        return
    if not args.before:
        parser.error("--before is required")
    with tempfile.TemporaryDirectory(prefix="raw-pending-") as tmp:
        codes = {"before": export(args.before, Path(tmp)), "after": ROOT}
        print(f"before = {args.before}, after = this tree; {args.pending} pending")
        for answers in args.answers:
            store_root = Path(tmp) / f"store-{answers}"
            started = time.perf_counter()
            fill(store_root, answers, args.pending)
            print(f"{answers:,} answers written in {time.perf_counter() - started:.1f} s")
            times: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(args.rounds):
                for side, code in codes.items():
                    times[side].append(time_one(code, store_root, args.pending))
            medians = {side: statistics.median(values) for side, values in times.items()}
            for side, values in times.items():
                runs = ", ".join(f"{v * 1000:.1f}" for v in values)
                print(f"  {side:6} pending(): median {medians[side] * 1000:8.1f} ms  ({runs})")
            print(f"  before / after: {medians['before'] / medians['after']:.1f}x")


if __name__ == "__main__":
    main()
