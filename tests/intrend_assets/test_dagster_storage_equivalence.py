"""The batching storage plugin against Dagster's stock SQLite storage, read through Dagster's
public instance API: the same runs, or the same ``store_event_batch``/``store_event`` calls,
must leave the same asset records, materialization and observation counts and partition
statuses. The plugin subclasses private Dagster classes; these tests are what says a Dagster
upgrade left it correct (intrend_assets/lib/storage/__init__.py).
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from intrend_assets.lib.instance import prepare_dagster_home, project_dir
from intrend_assets.lib.storage import BatchingSqliteEventLogStorage

PARTITIONS = dg.DynamicPartitionsDefinition(name="profiles")
KEYS = [f"user{i:03d}" for i in range(30)]


class Fail(dg.Config):
    from_key: str = "~"  # partitions from this key on fail to parse (none by default)


@dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
def fetched(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for key in context.partition_keys[::3]:  # observations in the same batch as the rest
        context.log_event(dg.AssetObservation(asset_key=context.asset_key, partition=key))
    return dg.MaterializeResult(metadata={"profiles": len(context.partition_keys)})


@dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(), deps=[fetched])
def parsed(context: dg.AssetExecutionContext, config: Fail) -> dg.MaterializeResult:
    if context.partition_keys[-1] >= config.from_key:
        raise RuntimeError("parser broke")
    return dg.MaterializeResult(metadata={"rows": len(context.partition_keys)})


def _range(first: str, last: str) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


@contextmanager
def prepared_instance(
    base: Path, monkeypatch: pytest.MonkeyPatch, storage: str
) -> Iterator[dg.DagsterInstance]:
    """An instance prepared as ``intrend`` prepares it, with the plugin or without."""
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", "")  # restored after prepare_dagster_home sets it
    monkeypatch.setenv("INTREND_DAGSTER_STORAGE", storage)
    home = prepare_dagster_home(base, project_dir(Path(__file__).parent))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        expected = BatchingSqliteEventLogStorage if storage == "batching" else SqliteEventLogStorage
        assert type(instance.event_log_storage) is expected
        instance.add_dynamic_partitions("profiles", KEYS)
        yield instance


def public_state(instance: dg.DagsterInstance, runs: list[str]) -> dict[str, Any]:
    """What the instance's public API says about both assets; run ids as their index in
    ``runs`` (the two instances make different ids for the same runs)."""
    order = {run_id: index for index, run_id in enumerate(runs)}
    state: dict[str, Any] = {}
    for asset in (fetched, parsed):
        key = asset.key
        records = instance.fetch_materializations(key, limit=10_000).records
        observations = instance.fetch_observations(key, limit=10_000).records
        (record,) = instance.get_asset_records([key])
        entry = record.asset_entry
        last = entry.last_materialization_record
        state[key.to_user_string()] = {
            "materialized": sorted(instance.get_materialized_partitions(key)),
            "materializations": Counter(r.partition_key for r in records),
            "observations": Counter(r.partition_key for r in observations),
            "status": instance.get_status_by_partition(key, KEYS, PARTITIONS),
            "last_partition": last.partition_key if last else None,
            "last_run": order.get(entry.last_run_id or ""),
            "last_is_newest": bool(last) and records[0].storage_id == last.storage_id,
            "last_planned_run": order.get(entry.last_planned_materialization_run_id or ""),
            "last_observed": (
                entry.last_observation_record.partition_key
                if entry.last_observation_record
                else None
            ),
        }
    return state


def _scenario(instance: dg.DagsterInstance) -> list[str]:
    """Two overlapping ranged runs, the second failing in ``parsed``, then one partition."""
    runs = []
    first = dg.materialize([fetched, parsed], instance=instance, tags=_range(KEYS[0], KEYS[19]))
    runs.append(first.run_id)
    second = dg.materialize(
        [fetched, parsed],
        instance=instance,
        tags=_range(KEYS[10], KEYS[29]),
        run_config={"ops": {"parsed": {"config": {"from_key": KEYS[25]}}}},
        raise_on_error=False,
    )
    assert not second.success
    runs.append(second.run_id)
    single = dg.materialize([fetched], instance=instance, partition_key=KEYS[5])
    runs.append(single.run_id)
    return runs


def test_the_same_runs_leave_the_same_state_as_dagsters_stock_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = {}
    for storage in ("stock", "batching"):
        with prepared_instance(tmp_path / storage, monkeypatch, storage) as instance:
            states[storage] = public_state(instance, _scenario(instance))
    assert states["batching"] == states["stock"]
    # The scenario reaches what it is meant to: partial failure and repeats.
    parsed_state = states["stock"]["parsed"]
    assert parsed_state["status"][KEYS[29]] == dg.AssetPartitionStatus.FAILED
    assert parsed_state["status"][KEYS[0]] == dg.AssetPartitionStatus.MATERIALIZED
    assert states["stock"]["fetched"]["materializations"][KEYS[15]] == 2
    assert states["stock"]["fetched"]["materializations"][KEYS[5]] == 2


def test_the_same_storage_calls_leave_the_same_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event of the scenario's runs, stored again under new run ids through the same
    ``store_event_batch`` / ``store_event`` calls (mixed batches, one-event batches, single
    events), gives both storages the same public state."""
    with prepared_instance(tmp_path / "source", monkeypatch, "stock") as source:
        runs = _scenario(source)
        logs = [[e.event_log_entry for e in source.get_records_for_run(i).records] for i in runs]
    states = {}
    for storage in ("stock", "batching"):
        with prepared_instance(tmp_path / storage, monkeypatch, storage) as instance:
            copies = []
            for index, events in enumerate(logs):
                run_id = f"{index:08d}-0000-0000-0000-{index:012d}"
                copies.append(run_id)
                events = [e._replace(run_id=run_id) for e in events]
                instance.event_log_storage.store_event_batch(events[: len(events) // 2])
                instance.event_log_storage.store_event_batch(events[len(events) // 2 : -2])
                instance.event_log_storage.store_event_batch(events[-2:-1])
                instance.event_log_storage.store_event(events[-1])
            state = public_state(instance, copies)
            for asset in state.values():
                asset.pop("status")  # needs the run records, which a replay does not make
            states[storage] = state
    assert states["batching"] == states["stock"]
    assert sum(states["stock"]["fetched"]["observations"].values()) > 10
