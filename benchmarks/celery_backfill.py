"""Celery vs in process: one backfill of N profiles through two dagster-celery workers, and
the same backfill with the steps in the run's own process (issue 20, target <= 1.5x).

A backfill is what the backfill daemon launches: ranged ``profiles_job`` runs of at most 500
profiles, two at once (the instance's ``dagster/backfill`` limit), then ``warehouse_job``.
Each run is its own process (``dagster job execute``), on Dagster storage in a PostgreSQL of
its own per backfill, with deploy/celery/dagster.yaml as the instance config for both modes:
the only difference is ``INTREND_EXECUTOR`` (``in_process`` or ``celery``). The Celery mode
runs on a RabbitMQ node with two workers started before the clock starts (workers are
long-lived in a deployment); the broker and every worker are their own processes. The
sandbox (its own process, frozen content) serves both.

The modes alternate (in process, Celery, Celery, in process, ...); printed: each backfill's
wall time, the medians and their ratio, and whether every backfill built the same warehouse
(posts, post_hashtags, hashtag_daily, without the fetch-time columns) as the first.

Run:  .venv/bin/python benchmarks/celery_backfill.py --profiles 1000 --reps 1
      .venv/bin/python benchmarks/celery_backfill.py --profiles 200 --reps 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from intrend_assets.lib.instance import project_dir
from intrend_assets.lib.ranged_runs import MAX_PROFILES_PER_RUN
from sandbox.celery_workers import run_backfill, running_workers, warehouse_content
from sandbox.pipeline import intrend_env, register_profiles, sandbox_resources
from sandbox.postgres import running_postgres
from sandbox.process import sandbox_process
from sandbox.rabbitmq import RabbitMQ, running_rabbitmq

ROOT = project_dir(Path(__file__).parents[1])
RUN_TIMEOUT = 1800.0


@contextmanager
def _deployment(
    mode: str, info: dict[str, Any], broker: RabbitMQ, folder: Path
) -> Iterator[dict[str, str]]:
    """The environment of one backfill: its own PostgreSQL, DAGSTER_HOME and data folder;
    for ``celery`` two workers on it, ready before this yields."""
    with ExitStack() as stack:
        postgres = stack.enter_context(running_postgres())
        home = folder / "dagster_home"
        home.mkdir(parents=True)
        shutil.copyfile(ROOT / "deploy" / "celery" / "dagster.yaml", home / "dagster.yaml")
        env = {
            **intrend_env(info, info["modem_token"], folder / "data"),
            **postgres.env,
            "DAGSTER_HOME": str(home),
            "DAGSTER_EVENT_BATCH_SIZE": "1000",
            "INTREND_EXECUTOR": mode,
            "DAGSTER_CELERY_BROKER_URL": broker.url,
        }
        if mode == "celery":
            stack.enter_context(running_workers(env, folder / "workers", ROOT))
        yield env


def _register(env: dict[str, str], names: list[str]) -> None:
    """Add the profile partitions, in this process, on the backfill's instance (whose file
    reads the ``DAGSTER_PG_*`` variables from this process's environment meanwhile)."""
    saved = {k: os.environ.get(k) for k in env if k.startswith("DAGSTER_PG_")}
    os.environ.update({k: env[k] for k in saved})
    try:
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            register_profiles(instance, names)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _backfill(
    mode: str, names: list[str], info: dict[str, Any], broker: RabbitMQ, folder: Path
) -> tuple[float, dict[str, list[tuple]]]:
    """Wall time of one backfill of ``names`` in ``mode``, and the warehouse it built."""
    with _deployment(mode, info, broker, folder) as env:
        _register(env, names)
        ranges = [
            names[i : i + MAX_PROFILES_PER_RUN] for i in range(0, len(names), MAX_PROFILES_PER_RUN)
        ]
        started = time.monotonic()
        run_backfill(env, ROOT, ranges, folder / "runs", RUN_TIMEOUT)
        wall = time.monotonic() - started
        _, resources = sandbox_resources(env)
        return wall, warehouse_content(resources["warehouse"].path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=1, help="backfills per mode")
    parser.add_argument("--speed", type=float, default=60.0, help="sandbox clock speed-up")
    parser.add_argument("--rotation-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    anchor = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    print(
        f"profiles {args.profiles} in ranged runs of <= {MAX_PROFILES_PER_RUN}, two at once, "
        f"then the warehouse; {args.reps} backfill(s) per mode, interleaved"
    )
    walls: dict[str, list[float]] = {"in_process": [], "celery": []}
    first: dict[str, list[tuple]] | None = None
    same = True
    with (
        sandbox_process(
            f"--profiles={args.profiles * 11 // 10 + 20}",
            "--budget=50",
            f"--speed={args.speed}",
            f"--rotation-seconds={args.rotation_seconds}",
            "--private-share=0.02",
            f"--anchor={anchor}",
            "--frozen-content",
            "--duration=7200",
        ) as info,
        running_rabbitmq() as broker,
        tempfile.TemporaryDirectory(prefix="intrend-celery-bench-") as tmp,
    ):
        names = info["truth"]["public_usernames"][: args.profiles]
        if len(names) < args.profiles:
            raise SystemExit(f"the sandbox made only {len(names)} public profiles")
        for rep in range(args.reps):
            order = ("in_process", "celery") if rep % 2 == 0 else ("celery", "in_process")
            for mode in order:
                folder = Path(tmp) / f"{rep}-{mode}"
                wall, content = _backfill(mode, names, info, broker, folder)
                walls[mode].append(wall)
                first = first or content
                same = same and content == first
                rows = ", ".join(f"{t} {len(r)}" for t, r in content.items())
                print(f"rep {rep + 1} {mode:<10} {wall:7.1f} s   ({rows})", flush=True)
                shutil.rmtree(folder, ignore_errors=True)
    inproc, celery = statistics.median(walls["in_process"]), statistics.median(walls["celery"])
    print(f"median in process   {inproc:7.1f} s")
    print(f"median Celery       {celery:7.1f} s   (two workers)")
    print(f"ratio Celery / in process  {celery / inproc:.2f}  (target <= 1.5)")
    print(f"same warehouse in every backfill: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
