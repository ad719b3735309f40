"""The batching SQLite event log (intrend_assets/lib/storage/) and its configuration.

A ranged run over many profile partitions must cost a few SQLite transactions per batch of
asset events, not several per event, and leave exactly what Dagster's own storage leaves:
the same events, materialized partitions, asset records and live notifications.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from intrend_assets.lib.instance import instance_yaml, project_dir
from intrend_assets.lib.storage import (
    EVENT_BATCH_SIZE,
    BatchingSqliteEventLogStorage,
    KeptConnectionSqliteRunStorage,
    engines,
)
from intrend_assets.lib.storage.bulk import _bulk_key

ROOT = project_dir(Path(__file__).parent)
PARTITIONS = dg.DynamicPartitionsDefinition(name="profiles")
KEYS = [f"user{i:03d}" for i in range(25)]


@dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
def fetched(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"profiles": len(context.partition_keys)})


@dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(), deps=[fetched])
def parsed(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3 * len(context.partition_keys)})


RANGE = {
    "dagster/asset_partition_range_start": KEYS[0],
    "dagster/asset_partition_range_end": KEYS[-1],
}


@contextmanager
def project_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml: Path | None = None
) -> Iterator[dg.DagsterInstance]:
    """An instance from the config `intrend` writes (or ``yaml``), as `intrend` sets it up."""
    home = tmp_path / "home"
    home.mkdir(parents=True)
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.delenv("INTREND_DAGSTER_STORAGE", raising=False)
    (home / "dagster.yaml").write_text(yaml.read_text() if yaml else instance_yaml(ROOT))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("profiles", KEYS)
        yield instance


def _connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every SQLite event-log connection (one per transaction) by shard."""
    opened: list[str] = []
    original = BatchingSqliteEventLogStorage._connect

    @contextmanager
    def counting(self: SqliteEventLogStorage, shard: str):  # type: ignore[no-untyped-def]
        opened.append(shard)
        with original(self, shard) as conn:  # type: ignore[arg-type]
            yield conn

    monkeypatch.setattr(BatchingSqliteEventLogStorage, "_connect", counting)
    return opened


def test_project_instance_uses_the_batching_storage_in_the_default_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with project_instance(tmp_path, monkeypatch) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, BatchingSqliteEventLogStorage)
        # Where Dagster's default SQLite storage keeps event logs: history survives a switch.
        assert (tmp_path / "home" / "history" / "runs" / "index.db").is_file()


def test_ranged_run_writes_its_partition_events_in_a_few_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with project_instance(tmp_path, monkeypatch) as instance:
        opened = _connections(monkeypatch)
        result = dg.materialize([fetched, parsed], instance=instance, tags=RANGE)
        assert result.success
        # 2 assets x 25 partitions: 50 planned and 50 materialization events ...
        planned = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        assert len(planned) == 2 * len(KEYS)
        assert len(result.get_asset_materialization_events()) == 2 * len(KEYS)
    # ... in one batch each (planned, fetched, parsed), two transactions per batch; the rest
    # are the run's ~20 other events. One event at a time this was over 500 connections.
    assert len(opened) < 100, len(opened)


def test_a_run_builds_one_engine_per_database_not_one_per_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dagster's SQLite storage built (and threw away) a SQLAlchemy engine for every
    transaction: dozens per step. Now: the run's shard and the index, once each."""
    built: list[str] = []
    real = engines.create_engine

    def counting(url: str, **kwargs):  # type: ignore[no-untyped-def]
        built.append(url)
        return real(url, **kwargs)

    with project_instance(tmp_path, monkeypatch) as instance:
        opened = _connections(monkeypatch)
        monkeypatch.setattr(engines, "create_engine", counting)
        result = dg.materialize([fetched, parsed], instance=instance, partition_key=KEYS[0])
        assert result.success
    assert len(opened) > 20  # every event still has its own short transaction ...
    shards = sorted(url.rsplit("/", 1)[-1] for url in built)
    # ... on at most one engine per database (the index's may predate the run).
    assert f"{result.run_id}.db" in shards and len(shards) == len(set(shards)), shards
    assert set(shards) <= {f"{result.run_id}.db", "index.db"}, shards


def test_after_a_wipe_the_databases_are_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept engine must not outlive the database it was made for."""
    with project_instance(tmp_path, monkeypatch) as instance:
        assert dg.materialize([fetched], instance=instance, partition_key=KEYS[0]).success
        instance.wipe()
        instance.add_dynamic_partitions("profiles", KEYS)
        result = dg.materialize([fetched], instance=instance, partition_key=KEYS[1])
        assert result.success
        assert instance.get_materialized_partitions(fetched.key) == {KEYS[1]}
        assert instance.get_records_for_run(result.run_id).records


def test_batched_storage_leaves_what_dagsters_own_storage_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def state(instance: dg.DagsterInstance) -> dict[str, object]:
        out: dict[str, object] = {}
        for key in (fetched.key, parsed.key):
            out[f"{key}/materialized"] = sorted(instance.get_materialized_partitions(key))
            record = instance.get_asset_records([key])[0]
            entry = record.asset_entry
            last = entry.last_materialization_record
            assert last is not None
            out[f"{key}/last_partition"] = last.event_log_entry.dagster_event.partition
            out[f"{key}/last_run_is_this_run"] = entry.last_run_id == last.run_id
            events = instance.fetch_materializations(key, limit=1000).records
            out[f"{key}/events"] = sorted(e.partition_key for e in events)
            out[f"{key}/latest_is_last"] = events[0].storage_id == last.storage_id
        return out

    with project_instance(tmp_path / "batched", monkeypatch) as instance:
        assert dg.materialize([fetched, parsed], instance=instance, tags=RANGE).success
        batched = state(instance)
    # Dagster's own SQLite storage, one event at a time.
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE")
    home = tmp_path / "plain"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        instance.add_dynamic_partitions("profiles", KEYS)
        assert dg.materialize([fetched, parsed], instance=instance, tags=RANGE).success
        assert state(instance) == batched
    assert batched[f"{fetched.key}/materialized"] == KEYS
    assert batched[f"{parsed.key}/last_partition"] in KEYS


def test_watchers_are_told_about_every_event_of_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The UI follows a run's log through the storage's watch; batched events reach it."""
    with project_instance(tmp_path, monkeypatch) as instance:
        result = dg.materialize([fetched, parsed], instance=instance, tags=RANGE)
        storage = instance.event_log_storage
        assert isinstance(storage, BatchingSqliteEventLogStorage)
        events = [r.event_log_entry for r in instance.get_records_for_run(result.run_id).records]
        materializations = [
            e
            for e in events
            if e.is_dagster_event
            and e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        ]
        run_id = "0" * 8 + "-0000-0000-0000-" + "0" * 12
        copies = [e._replace(run_id=run_id) for e in materializations]
        seen: list[object] = []
        done = threading.Event()

        def callback(event: object, _cursor: str) -> None:
            seen.append(event)
            if len(seen) >= len(copies):
                done.set()

        storage.watch(run_id, None, callback)
        try:
            storage.store_event_batch(copies)
            assert done.wait(30), f"watcher saw {len(seen)} of {len(copies)} events"
        finally:
            storage.end_watch(run_id, callback)
        assert len(storage.get_logs_for_run(run_id)) == len(copies)


def test_unbatchable_events_in_a_batch_are_stored_one_by_one_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch mixing run events and asset events keeps its order; only runs of asset
    events of one type go in bulk."""
    with project_instance(tmp_path, monkeypatch) as instance:
        result = dg.materialize([fetched], instance=instance, tags=RANGE)
        storage = instance.event_log_storage
        events = [r.event_log_entry for r in instance.get_records_for_run(result.run_id).records]
        run_id = "1" * 8 + "-0000-0000-0000-" + "1" * 12
        copies = [e._replace(run_id=run_id) for e in events]
        one_by_one: list[object] = []
        original = SqliteEventLogStorage.store_event

        def store_event(self: SqliteEventLogStorage, event: object) -> None:
            one_by_one.append(event)
            original(self, event)  # type: ignore[arg-type]

        monkeypatch.setattr(BatchingSqliteEventLogStorage, "store_event", store_event)
        storage.store_event_batch(copies)
        stored = [r.event_log_entry for r in instance.get_records_for_run(run_id).records]
        assert [(e.message, e.timestamp) for e in stored] == [
            (e.message, e.timestamp) for e in copies
        ]
        bulk = [e for e in copies if _bulk_key(e)]
        assert len(bulk) == 2 * len(KEYS)  # planned + materializations of 25 partitions
        assert len(one_by_one) == len(copies) - len(bulk)


@contextmanager
def _new_sqlite_connections() -> Iterator[list[str]]:
    """The database file of every SQLite connection opened (not every checkout) meanwhile."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    opened: list[str] = []

    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        (_, _, path) = dbapi_connection.execute("PRAGMA database_list").fetchone()
        opened.append(Path(path).name)

    event.listen(Pool, "connect", on_connect)
    try:
        yield opened
    finally:
        event.remove(Pool, "connect", on_connect)


def test_index_and_runs_databases_stay_open_run_shards_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reopening a WAL database per transaction checkpointed it and deleted its WAL each
    time. The index and runs.db now keep a connection; a run's own database still opens
    per transaction, because the webserver follows a run's log by watching that file."""
    with project_instance(tmp_path, monkeypatch) as instance:
        assert isinstance(instance.run_storage, KeptConnectionSqliteRunStorage)
        assert (tmp_path / "home" / "history" / "runs.db").is_file()
        with _new_sqlite_connections() as opened:
            result = dg.materialize([fetched, parsed], instance=instance, tags=RANGE)
            assert result.success
            assert instance.get_materialized_partitions(parsed.key) == set(KEYS)
    assert opened.count("index.db") <= 1, opened
    assert opened.count("runs.db") <= 1, opened
    assert opened.count(f"{result.run_id}.db") > 5, opened


def test_a_forked_process_does_not_reuse_its_parents_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with project_instance(tmp_path, monkeypatch) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, BatchingSqliteEventLogStorage)
        storage.get_dynamic_partitions("profiles")
        inherited = dict(storage._engines)
        storage._engines_pid = -1  # as a child of fork sees it
        assert storage.get_dynamic_partitions("profiles") == KEYS
        assert all(
            storage._engines[k] is not e for k, e in inherited.items() if k in storage._engines
        )
