from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.defs.profiles.sensors import profile_sensors
from intrend_assets.lib.ranged_runs import covering_ranges
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.tracking.tracked_file import ProfilesFile

tracked_profiles_sensor, new_posts_sensor, failed_profiles_sensor, _ = profile_sensors(
    dg.DefaultSensorStatus.RUNNING
)


@pytest.fixture
def profiles_file(tmp_path: Path) -> Path:
    return tmp_path / "profiles.txt"


def _tracked(path: Path) -> dict[str, object]:
    return {"tracked_profiles": ProfilesFile(path)}


def test_new_profiles_become_partitions_and_one_ranged_run(profiles_file: Path) -> None:
    profiles_file.write_text("alice\nbob\nnot valid\n")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["alice"])
        result = tracked_profiles_sensor(
            dg.build_sensor_context(instance=instance, resources=_tracked(profiles_file))
        )
        assert isinstance(result, dg.SensorResult)
        (add,) = result.dynamic_partitions_requests
        assert list(add.partition_keys) == ["bob"]
        (run,) = result.run_requests
        assert run.tags["dagster/asset_partition_range_start"] == "bob"
        assert run.tags["dagster/asset_partition_range_end"] == "bob"
        # No state of its own: the same file asks for the same run key, which Dagster
        # launches once, however often the tick is evaluated.
        assert result.cursor is None
        again = tracked_profiles_sensor(
            dg.build_sensor_context(instance=instance, resources=_tracked(profiles_file))
        )
        assert isinstance(again, dg.SensorResult)
        assert [r.run_key for r in again.run_requests] == [run.run_key]


def test_nothing_new_skips_and_removed_profiles_are_kept(profiles_file: Path) -> None:
    profiles_file.write_text("alice\n")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["alice", "gone"])
        result = tracked_profiles_sensor(
            dg.build_sensor_context(instance=instance, resources=_tracked(profiles_file))
        )
        assert isinstance(result, dg.SensorResult)
        assert not result.run_requests and not result.dynamic_partitions_requests
        assert set(instance.get_dynamic_partitions("profiles")) == {"alice", "gone"}


def test_missing_file_skips(profiles_file: Path) -> None:
    with dg.instance_for_test() as instance:
        result = tracked_profiles_sensor(
            dg.build_sensor_context(instance=instance, resources=_tracked(profiles_file))
        )
        assert isinstance(result, dg.SkipReason)


def test_covering_ranges_merge_close_keys_and_split_far_ones() -> None:
    order = [f"p{i:03d}" for i in range(100)]
    wanted = {"p001", "p003", "p050", "p099"}
    ranges = covering_ranges(order, wanted, max_gap=5)
    assert ranges == [["p001", "p002", "p003"], ["p050"], ["p099"]]
    assert covering_ranges(order, set(order), max_len=40) == [
        order[0:40],
        order[40:80],
        order[80:100],
    ]
    assert covering_ranges(order, set()) == []


def test_new_posts_sensor_requests_due_profiles_once_per_slot(
    tmp_path: Path, profiles_file: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    store = LocalRawStore(tmp_path / "raw")
    now = datetime.now(UTC)
    store.put("fresh", now - timedelta(hours=1), b"{}")
    store.put("stale", now - timedelta(days=2), b"{}")
    store.put("busy", now - timedelta(hours=5), b"{}")
    store.write_cadence("busy", 6.0)  # six posts a day: due every 4 hours
    resources = {"raw_store": store, **_tracked(profiles_file)}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["fresh", "stale", "busy", "never"])
        context = dg.build_sensor_context(instance=instance, resources=resources)
        result = new_posts_sensor(context)
        assert isinstance(result, dg.SensorResult)
        (run,) = result.run_requests  # stale, busy, never are adjacent: one ranged run
        assert run.tags["dagster/asset_partition_range_start"] == "stale"
        assert run.tags["dagster/asset_partition_range_end"] == "never"
        again = new_posts_sensor(
            dg.build_sensor_context(instance=instance, resources=resources, cursor=result.cursor)
        )
        assert isinstance(again, dg.SensorResult) and not again.run_requests


def test_failed_run_records_its_profiles_for_retry(tmp_path: Path) -> None:
    @dg.asset(partitions_def=dg.DynamicPartitionsDefinition(name="profiles"))
    def exploding(context: dg.AssetExecutionContext) -> None:
        raise RuntimeError("proxy host unreachable")

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["alice", "bob"])
        result = dg.materialize(
            [exploding], instance=instance, partition_key="bob", raise_on_error=False
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = next(
            e
            for e in instance.all_logs(result.run_id)
            if e.dagster_event and e.dagster_event.is_run_failure
        ).dagster_event
        context = dg.build_run_status_sensor_context(
            sensor_name="failed_profiles_sensor",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run,
            resources={"raw_store": LocalRawStore(tmp_path)},
        ).for_run_failure()
        failed_profiles_sensor(context)
    (record,) = LocalRawStore(tmp_path).failures()
    assert record["username"] == "bob" and record["outcome"] == "run_failed"


def _due_run_names(result: object, order: list[str]) -> set[str]:
    """The profiles the requests fetch: their run config's ``only`` within their ranges."""
    assert isinstance(result, dg.SensorResult)
    names: set[str] = set()
    for request in result.run_requests:
        tags = request.tags
        span = order[
            order.index(tags["dagster/asset_partition_range_start"]) : order.index(
                tags["dagster/asset_partition_range_end"]
            )
            + 1
        ]
        only = request.run_config["ops"]["raw_profile"]["config"]["only"]
        assert set(only) <= set(span)
        names |= set(only)
    return names


ORDER = ["alice", "gone", "bob", "ghost", "carol"]


def _stale_store(tmp_path: Path) -> LocalRawStore:
    """Every profile last fetched two days ago (due); ghost parked as not found."""
    from datetime import UTC, datetime, timedelta

    store = LocalRawStore(tmp_path / "raw")
    for name in ORDER:
        store.put(name, datetime.now(UTC) - timedelta(days=2), b"{}")
    for _ in range(3):
        store.record_failure("ghost", "not_found", "404", 1)
    return store


def test_only_tracked_profiles_are_refreshed_and_parked_ones_are_not(
    tmp_path: Path, profiles_file: Path
) -> None:
    store = _stale_store(tmp_path)
    profiles_file.write_text("alice\nbob\nghost\ncarol\n")  # "gone" was taken out
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ORDER)
        context = dg.build_sensor_context(
            instance=instance, resources={"raw_store": store, **_tracked(profiles_file)}
        )
        assert _due_run_names(new_posts_sensor(context), ORDER) == {"alice", "bob", "carol"}
        # History kept: the removed profile's partition and data stay.
        assert "gone" in instance.get_dynamic_partitions("profiles")
    assert store.latest("gone") is not None
    assert store.cadence("ghost").parked  # still tracked: stays parked


def test_without_a_tracked_file_every_partition_is_refreshed(tmp_path: Path) -> None:
    store = _stale_store(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ORDER)
        context = dg.build_sensor_context(
            instance=instance, resources={"raw_store": store, **_tracked(tmp_path / "none.txt")}
        )
        assert _due_run_names(new_posts_sensor(context), ORDER) == set(ORDER) - {"ghost"}


def test_taking_a_parked_profile_out_of_the_file_and_back_rearms_it(
    tmp_path: Path, profiles_file: Path
) -> None:
    store = _stale_store(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ORDER)
        resources = {"raw_store": store, **_tracked(profiles_file)}
        profiles_file.write_text("alice\n")
        new_posts_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert store.cadence("ghost").failed_at is None  # re-armed
        profiles_file.write_text("alice\nghost\n")
        result = new_posts_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert "ghost" in _due_run_names(result, ORDER)


def test_the_daily_schedule_skips_untracked_and_parked_profiles(
    tmp_path: Path, profiles_file: Path
) -> None:
    from datetime import UTC, datetime

    from intrend_assets.defs.profiles.schedules import profile_schedules

    (daily_profile_refresh,) = profile_schedules(dg.DefaultScheduleStatus.RUNNING)

    store = _stale_store(tmp_path)
    profiles_file.write_text("alice\nghost\ncarol\n")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ORDER)
        # A schedule context with resources must be closed: left open it leaves Dagster's
        # current state storage pointing at a disposed instance, which fails later tests.
        with dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 12, 1, 3, tzinfo=UTC),
            resources={"raw_store": store, **_tracked(profiles_file)},
        ) as context:
            requests = daily_profile_refresh.evaluate_tick(context).run_requests or []
    result = dg.SensorResult(run_requests=requests)
    assert _due_run_names(result, ORDER) == {"alice", "carol"}
    assert all(r.tags["intrend/refresh"] == "daily" for r in requests)


def test_a_failed_refresh_run_records_only_the_profiles_it_was_to_fetch(tmp_path: Path) -> None:
    """A refresh run skips the profiles of its range that are not due: when it fails, they
    did not fail (recording them would put them on the failure backoff for nothing)."""
    from intrend_assets.defs.profiles.partitions import profiles_backfill_policy
    from intrend_assets.defs.profiles.selection import ProfileSelection, only_config

    @dg.asset(
        name="raw_profile",
        partitions_def=dg.DynamicPartitionsDefinition(name="profiles"),
        backfill_policy=profiles_backfill_policy,
    )
    def exploding(context: dg.AssetExecutionContext, config: ProfileSelection) -> None:
        raise RuntimeError("proxy host unreachable")

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["alice", "bob", "carol"])
        result = dg.materialize(
            [exploding],
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "alice",
                "dagster/asset_partition_range_end": "carol",
            },
            run_config=dict(only_config(["bob"])),
            raise_on_error=False,
        )
        assert not result.success
        failure = next(
            e
            for e in instance.all_logs(result.run_id)
            if e.dagster_event and e.dagster_event.is_run_failure
        ).dagster_event
        context = dg.build_run_status_sensor_context(
            sensor_name="failed_profiles_sensor",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            resources={"raw_store": LocalRawStore(tmp_path)},
        ).for_run_failure()
        failed_profiles_sensor(context)
    assert [r["username"] for r in LocalRawStore(tmp_path).failures()] == ["bob"]
