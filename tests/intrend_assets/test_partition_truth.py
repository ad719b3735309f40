"""Per-profile truth: a ranged run materializes only the partitions it stored.

On the instance the ``intrend`` commands write (the batching storage), a ranged run over a
profile that does not exist and one that does leaves the first missing, with an observation
saying why, and the second materialized; the retry job then fetches only the failed one; a
name added by hand that the tracked file would refuse is flagged on its partition.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.partitions.context import partition_loading_context
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.defs.profiles.retry import retry_failed_profiles_job
from intrend_assets.defs.profiles.sensors import invalid_partition_names
from intrend_assets.defs.resources import build_resources, instagram_access
from intrend_assets.lib.ranged_runs import range_run_requests
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from tests.fakes import UNKNOWN, FakeInstagram, FakeModem
from tests.instances import project_instance

RAW = dg.AssetKey("raw_profile")
NAMES = ["alice", "ghost"]
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    """The instance config ``intrend`` writes, so the batched events go through the plugin."""
    with project_instance(tmp_path, monkeypatch) as instance:
        yield instance


def _status(instance: dg.DagsterInstance) -> tuple[set[str], set[str]]:
    """(materialized, failed) partitions of raw_profile, as the UI's partition view reads them."""
    with partition_loading_context(dynamic_partitions_store=instance):
        value = get_and_update_asset_status_cache_value(instance, RAW, profiles_partitions)
        assert value is not None
        materialized = value.deserialize_materialized_partition_subsets(profiles_partitions)
        failed = value.deserialize_failed_partition_subsets(profiles_partitions)
        return set(materialized.get_partition_keys()), set(failed.get_partition_keys())


def _observations(instance: dg.DagsterInstance) -> dict[str, dict[str, object]]:
    """The latest observation's metadata per raw_profile partition."""
    records = instance.fetch_observations(dg.AssetRecordsFilter(asset_key=RAW), limit=100)
    latest: dict[str, dict[str, object]] = {}
    for record in reversed(records.records):  # oldest first: the newest wins
        observation = record.asset_observation
        assert observation is not None and observation.partition is not None
        latest[observation.partition] = {k: v.value for k, v in observation.metadata.items()}
    return latest


def _fetch_range(
    settings: IntrendSettings, instance: dg.DagsterInstance, instagram: FakeInstagram
) -> dg.ExecuteInProcessResult:
    order = instance.get_dynamic_partitions("profiles")
    (request,) = range_run_requests(order)
    return dg.materialize(
        [raw_profile],
        resources={**build_resources(settings), "instagram": instagram, "modem": FakeModem()},
        instance=instance,
        tags=request.tags,
        run_config=QUIET,
    )


def test_a_ranged_run_materializes_the_stored_profile_only_and_the_retry_fetches_the_failed(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    instance.add_dynamic_partitions("profiles", NAMES)
    settings = IntrendSettings(data_dir=tmp_path / "data")
    access = instagram_access(settings)
    result = _fetch_range(settings, instance, FakeInstagram.of(access, {"ghost": UNKNOWN}))
    assert result.success

    # The partition view: ghost is not a success, alice is.
    materialized, failed = _status(instance)
    assert materialized == {"alice"}
    assert "ghost" not in materialized  # missing (Dagster marks partitions failed only in
    assert failed == set()  # failed runs; the run itself succeeded, as it should)
    # The reason, one click away: the observation on ghost's partition.
    ghost = _observations(instance)["ghost"]
    assert ghost["outcome"] == "not_found"
    assert ghost["parked"] is False
    assert set(_observations(instance)) == {"ghost"}

    # The retry job: ghost exists now; only ghost is looked up, and it is materialized.
    instagram = FakeInstagram.of(access, {})
    retried = retry_failed_profiles_job.execute_in_process(
        instance=instance,
        resources={**build_resources(settings), "instagram": instagram, "modem": FakeModem()},
        run_config=QUIET,
    )
    assert retried.success
    assert {name for _, name in instagram.requests} == {"ghost"}
    assert _status(instance)[0] == {"alice", "ghost"}

    # Nothing failed any more: a second retry looks nothing up.
    again = FakeInstagram.of(access, {})
    retry_failed_profiles_job.execute_in_process(
        instance=instance,
        resources={**build_resources(settings), "instagram": again, "modem": FakeModem()},
        run_config=QUIET,
    )
    assert again.requests == []


def test_names_added_by_hand_are_flagged_at_once_and_never_looked_up(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    bad = ["Bad Name!", "../../etc", "NASA"]
    instance.add_dynamic_partitions("profiles", ["alice", *bad])
    tick = invalid_partition_names(dg.build_sensor_context(instance=instance))
    assert isinstance(tick, dg.SensorResult)
    flagged = {event.partition: event for event in tick.asset_events}
    assert set(flagged) == set(bad)
    assert "'nasa'" in str(flagged["NASA"].metadata["reason"].value)
    # Flagged once: the next tick, with the cursor, says nothing new.
    second = invalid_partition_names(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
    assert isinstance(second, dg.SensorResult) and second.asset_events == []

    # A run over the range looks up alice only, and says why the others were not.
    settings = IntrendSettings(data_dir=tmp_path / "data")
    instagram = FakeInstagram.of(instagram_access(settings), {})
    assert _fetch_range(settings, instance, instagram).success
    assert {name for _, name in instagram.requests} == {"alice"}
    assert _status(instance)[0] == {"alice"}
    observed = _observations(instance)
    assert {key for key, meta in observed.items() if meta["outcome"] == "invalid"} == set(bad)
    # Filed as failed, as the tracked file's invalid lines are never lost; NASA's record would
    # be nasa's, so it has none.
    store = LocalRawStore(settings.resolved_raw_dir())
    assert {r["username"] for r in store.failures()} == {"Bad Name!", "../../etc"}


def test_posts_still_follow_in_the_same_run_and_no_range_is_materialized_whole(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    """raw_profile still produces its output (or Dagster would skip ``posts`` after it in
    ``profiles_job``), but that output adds no materialization of the whole range."""
    from intrend_assets.definitions import ASSETS

    instance.add_dynamic_partitions("profiles", NAMES)
    settings = IntrendSettings(data_dir=tmp_path / "data")
    instagram = FakeInstagram.of(instagram_access(settings), {"ghost": UNKNOWN})
    (request,) = range_run_requests(NAMES)
    result = dg.materialize(
        ASSETS,
        selection=["raw_profile", "posts"],
        resources={**build_resources(settings), "instagram": instagram, "modem": FakeModem()},
        instance=instance,
        tags=request.tags,
        run_config=QUIET,
    )
    assert result.success
    assert [m.partition for m in result.asset_materializations_for_node("raw_profile")] == ["alice"]
    (loaded,) = result.asset_materializations_for_node("posts")
    assert loaded.metadata["fetches_loaded"].value == 1
    assert _status(instance)[0] == {"alice"}
