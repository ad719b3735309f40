"""The command line: the sandbox, every row in a fresh folder, the table, the exit status."""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import benchmarks.faults
from benchmarks.faults.children import child_main
from benchmarks.faults.common import (
    MAX_CONNECTIONS,
    ROTATION_REAL_SECONDS,
    SPEED,
    Result,
    reasons_text,
)
from benchmarks.faults.matrix import FAULTS, run_fault


def print_table(results: list[Result]) -> None:
    header = [
        "fault",
        "stored",
        "failed (reasons)",
        "lost",
        "dup posts",
        "posts lost",
        "rerun",
        "peak conns",
        "seconds",
    ]
    rows = [
        [
            r.fault + (f" [{r.note}]" if r.note else ""),
            str(r.stored),
            f"{r.failed} ({reasons_text(r.reasons)})" if r.failed else "0",
            str(len(r.lost)) + (f" {r.lost[:3]}" if r.lost else ""),
            str(r.dup_posts),
            str(r.posts_lost),
            r.rerun + ("" if r.runs_ok else " (a run FAILED)"),
            f"{r.peak_connections}/{MAX_CONNECTIONS}",
            f"{r.seconds:.1f}",
        ]
        for r in results
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |", flush=True)


def main(argv: list[str] | None = None) -> int:
    summary = (benchmarks.faults.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=summary)
    parser.add_argument("--profiles", type=int, default=200, help="sandbox profiles per run")
    parser.add_argument("--budget", type=int, default=30, help="profile lookups per IP")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", action="append", default=[], help="run faults whose name starts with this"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child)

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    from sandbox.world import SandboxConfig, start_sandbox

    faults = [f for f in FAULTS if not args.only or any(f.name.startswith(o) for o in args.only)]
    config = SandboxConfig(
        profiles=args.profiles + 10,
        seed=args.seed,
        budget=args.budget,
        speed=SPEED,
        rotation_seconds=ROTATION_REAL_SECONDS * SPEED,
    )
    results: list[Result] = []
    total = time.monotonic()
    print(
        f"fault matrix: {args.profiles} profiles (+2 unknown), budget {args.budget}/IP, "
        f"max {MAX_CONNECTIONS} connections",
        flush=True,
    )
    with start_sandbox(config) as world, tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        names = list(world.usernames())[: args.profiles] + list(world.unknown_usernames())[:2]
        for number, fault in enumerate(faults):
            base = Path(tmp) / f"fault-{number:02d}"
            base.mkdir()
            result = run_fault(fault, world, names, base)
            results.append(result)
            print(
                f"  {'ok ' if result.ok else 'BAD'} {fault.name}: {result.stored} stored, "
                f"{result.failed} failed, {len(result.lost)} lost, {result.dup_posts} dup, "
                f"rerun {result.rerun}, {result.seconds:.1f} s",
                flush=True,
            )
    print()
    print_table(results)
    print()
    bad = [r for r in results if not r.ok]
    print(
        f"{len(results) - len(bad)}/{len(results)} faults passed in "
        f"{time.monotonic() - total:.0f} s",
        flush=True,
    )
    return 1 if bad else 0
