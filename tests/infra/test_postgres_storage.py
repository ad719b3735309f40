"""Dagster on PostgreSQL: a real server, a real materialization, the rows checked in the tables.

The instance is built the way ``intrend`` builds it: ``_dagster_home`` copies
deploy/dagster/dagster.postgres.yaml into DAGSTER_HOME because DAGSTER_PG_HOST is set.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets import cli
from intrend_assets.definitions import ASSETS, build_resources
from intrend_assets.settings import IntrendSettings
from sandbox.world import SandboxConfig, start_sandbox
from tests.infra.postgres import Postgres, running_postgres

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
    # _dagster_home sets DAGSTER_HOME; registering it here makes monkeypatch restore it.
    monkeypatch.setenv("DAGSTER_HOME", "")
    return postgres


def test_dagster_home_copies_the_postgres_config_when_dagster_pg_host_is_set(
    tmp_path: Path, pg_env: Postgres
) -> None:
    home = cli._dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == cli.POSTGRES_INSTANCE_YAML.read_text()


def test_dagster_home_keeps_sqlite_without_dagster_pg_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", "")
    home = cli._dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == (cli.PROJECT_ROOT / "dagster.yaml").read_text()


def test_dagster_home_names_the_missing_postgres_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_PG_HOST", "db.example")
    monkeypatch.delenv("DAGSTER_PG_USER", raising=False)
    monkeypatch.delenv("DAGSTER_PG_DB", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", "")
    with pytest.raises(SystemExit, match="DAGSTER_PG_USER, DAGSTER_PG_DB"):
        cli._dagster_home(tmp_path)


def test_materialization_is_stored_in_postgres(tmp_path: Path, pg_env: Postgres) -> None:
    started = time.monotonic()
    home = cli._dagster_home(tmp_path)
    config = SandboxConfig(profiles=PROFILES, seed=5, budget=40, speed=600.0)
    with (
        start_sandbox(config) as world,
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        storage = type(instance.run_storage).__name__
        assert storage == "PostgresRunStorage", storage
        # dagster-postgres' event log, batching planned events too (intrend_assets/dagster_storage).
        assert type(instance.event_log_storage).__name__ == "BatchingPostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"

        usernames = list(world.public_usernames())[:PROFILES]
        instance.add_dynamic_partitions("profiles", usernames)
        settings = IntrendSettings(
            data_dir=tmp_path / "data",
            instagram_base_url=world.instagram_url,
            proxy_url=world.proxy_url,
            modem_url=world.modem_url,
        )
        result = dg.materialize(
            ASSETS,
            selection=["raw_profile", "posts"],
            resources=build_resources(settings, modem_token=world.modem_token),
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": usernames[0],
                "dagster/asset_partition_range_end": usernames[-1],
            },
        )
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
