"""Celery execution, exercised: RabbitMQ, PostgreSQL, two dagster-celery workers, the sandbox.

Everything runs as deploy/celery/README.md says: the instance is deploy/celery/dagster.yaml
copied into DAGSTER_HOME, the workers start with deploy/celery/worker.yaml, the code location
gets ``INTREND_EXECUTOR=celery``; the values that differ come from the environment
(``DAGSTER_PG_*``, ``DAGSTER_CELERY_BROKER_URL``, the sandbox's ``INTREND_*``).

Two ranged ``profiles_job`` runs (half the profiles each) start at the same time, then the
``warehouse_job``, each run in a process of its own (``dagster job execute``). Checked: every
step ran in a worker's process, both workers took steps, no two steps of one pool ran at once
(the ``instagram`` pool across the two fetch runs, the ``warehouse`` pool, the one DuckDB
writer, across all three), and the warehouse equals the one an in-process run of the same
profiles builds. Broker, database, workers and sandbox stop on their own, also on failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.defs.profiles.jobs import PROFILE_ASSETS
from intrend_assets.defs.warehouse.jobs import WAREHOUSE_ASSETS
from intrend_assets.lib.instance import project_dir
from sandbox.celery_workers import run_backfill, running_workers, warehouse_content
from sandbox.pipeline import Stage, register_profiles, run_pipeline, sandbox_resources
from sandbox.postgres import Postgres, running_postgres
from sandbox.rabbitmq import RabbitMQ, running_rabbitmq
from sandbox.world import SandboxConfig, SandboxWorld, start_sandbox

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = project_dir(Path(__file__).parent)
PROFILES = 8
RUN_TIMEOUT = 300
POOLS = {"raw_profile": "instagram", "posts": "warehouse"} | {
    name: "warehouse"
    for name in ("hashtag_daily", "posts_wide", "fetch_log", "ip_log", "fetch_stats", "ip_ranges")
}


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def broker() -> Iterator[RabbitMQ]:
    with running_rabbitmq() as server:
        yield server


@pytest.fixture(scope="module")
def world() -> Iterator[SandboxWorld]:
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    config = SandboxConfig(
        profiles=PROFILES, seed=20, budget=40, speed=600.0, anchor=anchor, frozen_content=True
    )
    with start_sandbox(config) as started:
        yield started


def _celery_env(
    world: SandboxWorld, postgres: Postgres, broker: RabbitMQ, tmp_path: Path
) -> dict[str, str]:
    """The deployment's environment: instance file from deploy/celery/, the rest variables."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "celery" / "dagster.yaml", home / "dagster.yaml")
    return {
        **world.intrend_env(tmp_path / "celery-data"),
        **postgres.env,
        "DAGSTER_HOME": str(home),
        "DAGSTER_EVENT_BATCH_SIZE": "1000",
        "INTREND_EXECUTOR": "celery",
        "DAGSTER_CELERY_BROKER_URL": broker.url,
    }


def _step_records(instance: dg.DagsterInstance) -> list[dict[str, object]]:
    """Per step of every run: its key, run, the worker Celery named, the pid it ran in, and
    when it started and succeeded."""
    steps: dict[tuple[str, str], dict[str, object]] = {}
    for run in instance.get_runs():
        assert run.status == dg.DagsterRunStatus.SUCCESS, (run.job_name, run.status)
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            step = steps.setdefault((run.run_id, event.step_key), {"step": event.step_key})
            if event.event_type == dg.DagsterEventType.STEP_START:
                step |= {"start": entry.timestamp, "pid": event.pid}
            elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
                step["end"] = entry.timestamp
            elif event.is_engine_event and "Celery worker" in event.engine_event_data.metadata:
                step["worker"] = event.engine_event_data.metadata["Celery worker"].value
    return list(steps.values())


def _assert_pools_kept_steps_apart(steps: list[dict[str, object]]) -> None:
    for pool in ("instagram", "warehouse"):
        spans = sorted(
            (float(s["start"]), float(s["end"]), str(s["step"]))  # type: ignore[arg-type]
            for s in steps
            if POOLS.get(str(s["step"])) == pool
        )
        assert len(spans) >= (2 if pool == "instagram" else 8), (pool, spans)
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            assert end <= start, f"{first} and {second} ran at once in pool {pool}"


def _in_process_warehouse(world: SandboxWorld, keys: list[str], data: Path) -> Path:
    _, resources = sandbox_resources(world.intrend_env(data))
    with dg.DagsterInstance.ephemeral() as instance:
        register_profiles(instance, keys)
        stages = [Stage(tuple(PROFILE_ASSETS)), Stage(tuple(WAREHOUSE_ASSETS))]
        assert all(result.success for result in run_pipeline(resources, instance, stages=stages))
    return resources["warehouse"].path


def test_celery_workers_run_the_steps_and_build_the_same_warehouse(
    tmp_path: Path,
    postgres: Postgres,
    broker: RabbitMQ,
    world: SandboxWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = _celery_env(world, postgres, broker, tmp_path)
    for name in ("DAGSTER_HOME", *postgres.env):
        monkeypatch.setenv(name, env[name])
    keys = list(world.public_usernames())[:PROFILES]
    with dg.DagsterInstance.get() as instance:
        register_profiles(instance, keys)
    half = len(keys) // 2
    with running_workers(env, tmp_path / "workers", ROOT) as workers:
        run_backfill(env, ROOT, [keys[:half], keys[half:]], tmp_path / "runs", RUN_TIMEOUT)
        worker_pids = {pid for worker in workers for pid in worker.pids()}
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_runs()) == 3
        steps = _step_records(instance)

    # Every step ran in one of the two workers' processes, and both took some.
    names = {worker.name for worker in workers}
    assert {s["step"] for s in steps} >= set(POOLS) | {"trend_report"}
    assert all(s.get("worker") in names for s in steps), steps
    assert {s["worker"] for s in steps} == names
    assert all(s["pid"] in worker_pids and s["pid"] != os.getpid() for s in steps), steps
    _assert_pools_kept_steps_apart(steps)

    _, resources = sandbox_resources(env)
    celery_warehouse = resources["warehouse"].path
    in_process = _in_process_warehouse(world, keys, tmp_path / "in-process-data")
    celery_content = warehouse_content(celery_warehouse)
    assert all(celery_content.values()), {t: len(rows) for t, rows in celery_content.items()}
    assert celery_content == warehouse_content(in_process)


def test_the_broker_is_a_node_of_its_own_with_its_own_credentials(broker: RabbitMQ) -> None:
    """Not the machine's RabbitMQ: its own loopback port and user; a wrong password is
    refused, so the password in the URL is the one that counts."""
    import kombu

    assert broker.host == "127.0.0.1" and broker.port != 5672
    with kombu.Connection(broker.url, connect_timeout=10) as con:
        con.ensure_connection(max_retries=1)
    wrong = broker.url.replace(broker.password, "wrong")
    with kombu.Connection(wrong, connect_timeout=10) as con, pytest.raises(Exception):  # noqa: B017
        con.ensure_connection(max_retries=0)
