"""Dagster on PostgreSQL: a real server, a real materialization, the rows checked in the tables.

The instance is built the way ``intrend`` builds it: ``prepare_dagster_home`` copies
deploy/dagster/dagster.postgres.yaml into DAGSTER_HOME because DAGSTER_PG_HOST is set.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pytest
import yaml

from intrend_assets.lib.instance import POSTGRES_YAML, prepare_dagster_home, project_dir
from sandbox.pipeline import Stage, run_pipeline, sandbox_resources
from sandbox.postgres import Postgres, running_postgres
from sandbox.world import SandboxConfig, start_sandbox

pytestmark = pytest.mark.slow

PROFILES = 5


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def pg_env(postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> Postgres:
    for name, value in postgres.env.items():
        monkeypatch.setenv(name, value)
    # prepare_dagster_home sets DAGSTER_HOME; registering it here makes monkeypatch restore it.
    monkeypatch.setenv("DAGSTER_HOME", "")
    return postgres


def test_dagster_home_copies_the_postgres_config_when_dagster_pg_host_is_set(
    tmp_path: Path, pg_env: Postgres
) -> None:
    home = prepare_dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == (project_dir() / POSTGRES_YAML).read_text()


def test_stock_storage_on_postgres_is_dagster_postgres_own_event_log(
    tmp_path: Path, pg_env: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTREND_DAGSTER_STORAGE", "stock")
    home = prepare_dagster_home(tmp_path)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_dagster_home_keeps_sqlite_without_dagster_pg_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", "")
    home = prepare_dagster_home(tmp_path)
    written = yaml.safe_load((home / "dagster.yaml").read_text())
    assert written["event_log_storage"]["class"] == "BatchingSqliteEventLogStorage"
    assert (
        written["concurrency"]
        == yaml.safe_load((project_dir() / "dagster.yaml").read_text())["concurrency"]
    )


def test_dagster_home_names_the_missing_postgres_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_PG_HOST", "db.example")
    monkeypatch.delenv("DAGSTER_PG_USER", raising=False)
    monkeypatch.delenv("DAGSTER_PG_DB", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", "")
    with pytest.raises(SystemExit, match="DAGSTER_PG_USER, DAGSTER_PG_DB"):
        prepare_dagster_home(tmp_path)


def test_materialization_is_stored_in_postgres(tmp_path: Path, pg_env: Postgres) -> None:
    started = time.monotonic()
    home = prepare_dagster_home(tmp_path)
    config = SandboxConfig(profiles=PROFILES, seed=5, budget=40, speed=600.0)
    with (
        start_sandbox(config) as world,
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        storage = type(instance.run_storage).__name__
        assert storage == "PostgresRunStorage", storage
        # dagster-postgres' event log, batching planned events too (intrend_assets/lib/storage).
        assert type(instance.event_log_storage).__name__ == "BatchingPostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"

        usernames = list(world.public_usernames())[:PROFILES]
        instance.add_dynamic_partitions("profiles", usernames)
        _, resources = sandbox_resources(world.intrend_env(tmp_path / "data"))
        (result,) = run_pipeline(resources, instance, stages=[Stage(("raw_profile", "posts"))])
        assert result.success
        run_id = result.run_id

    # What Dagster wrote, read straight from PostgreSQL's tables, not through Dagster.
    con = pg_env.connect()
    try:
        with con.cursor() as cur:
            cur.execute("select status from runs where run_id = %s", (run_id,))
            assert cur.fetchall() == [("SUCCESS",)]
            cur.execute(
                "select dagster_event_type, count(*) from event_logs where run_id = %s"
                " group by dagster_event_type",
                (run_id,),
            )
            events = dict(cur.fetchall())
            cur.execute(
                "select distinct asset_key, partition from event_logs"
                " where run_id = %s and dagster_event_type = 'ASSET_MATERIALIZATION'",
                (run_id,),
            )
            materialized = cur.fetchall()
            cur.execute(
                "select partition from dynamic_partitions where partitions_def_name = 'profiles'"
            )
            partitions = {row[0] for row in cur.fetchall()}
    finally:
        con.close()
    # Dagster stores run events under their historical names (PIPELINE_*).
    assert events.get("PIPELINE_START") == 1, events
    assert events.get("PIPELINE_SUCCESS") == 1, events
    assert events.get("STEP_SUCCESS") == 2
    # Planned events, written as one batch at run creation: one per raw_profile partition,
    # one for posts (not partitioned: it loads every pending fetch).
    assert events.get("ASSET_MATERIALIZATION_PLANNED") == len(usernames) + 1, events
    assert partitions == set(usernames)
    # One materialization per profile partition of raw_profile, and one of posts.
    assert {(key, part) for key, part in materialized} == {
        ('["raw_profile"]', name) for name in usernames
    } | {('["posts"]', None)}
    print(f"PostgreSQL materialization test body: {time.monotonic() - started:.1f} s")
    shutil.rmtree(home, ignore_errors=True)


def test_a_pool_first_claimed_by_two_runs_at_once_keeps_one_slot(
    tmp_path: Path, pg_env: Postgres
) -> None:
    """Two runs that start together both find a pool missing and both create it with the
    default limit. Dagster's PostgreSQL storage then failed the second run: its insert hit the
    unique key and its fallback update ran in the aborted transaction (seen with two Celery
    runs, tests/infra/test_celery.py). The second creation must be a no-op: one slot."""
    home = prepare_dagster_home(tmp_path)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert storage.initialize_concurrency_limit_to_default("race")
        # The second run's view: its pool cache said "missing", the row is there meanwhile.
        assert storage.initialize_concurrency_limit_to_default("race")
        info = storage.get_concurrency_info("race")
        assert info.slot_count == 1
        assert info.limit == 1
        # Truly at once, from two threads (two connections): still one slot per pool.
        for i in range(5):
            gate = threading.Barrier(2)

            def create(pool: str = f"race-{i}", gate: threading.Barrier = gate) -> bool:
                gate.wait(timeout=30)
                return storage.initialize_concurrency_limit_to_default(pool)

            with ThreadPoolExecutor(2) as threads:
                assert all(threads.map(lambda _: create(), range(2)))
            assert storage.get_concurrency_info(f"race-{i}").slot_count == 1


def test_two_runs_claiming_a_one_slot_pool_at_once_never_both_get_it(
    tmp_path: Path, pg_env: Postgres
) -> None:
    """The ``instagram`` pool's one slot is what keeps two fetch runs off the modem at once.

    Dagster claims a slot in two autocommitted statements: it picks a free slot row
    ``FOR UPDATE SKIP LOCKED``, then writes its run into that row by id. The lock ends with
    the first statement, so two runs that pick together both write the same row and both
    run (seen with two Celery runs, tests/infra/test_celery.py). Exactly one must get it."""
    home = prepare_dagster_home(tmp_path)
    rounds = 40
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        doubled = []
        for i in range(rounds):
            pool = f"claim-{i}"
            assert storage.initialize_concurrency_limit_to_default(pool)
            gate = threading.Barrier(2)

            def claim(run: int, pool: str = pool, gate: threading.Barrier = gate) -> bool:
                gate.wait(timeout=30)
                status = storage.claim_concurrency_slot(pool, f"{pool}-run-{run}", "raw_profile")
                return status.is_claimed

            with ThreadPoolExecutor(2) as threads:
                claimed = sum(threads.map(claim, range(2)))
            if claimed > 1:
                doubled.append(pool)
            info = storage.get_concurrency_info(pool)
            assert info.slot_count == 1
        assert not doubled, f"{len(doubled)} of {rounds} pools gave their one slot to two runs"
