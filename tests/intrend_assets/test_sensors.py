from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.defs.profiles.sensors import profile_sensors
from intrend_assets.lib.ranged_runs import covering_ranges
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.tracking.tracked_file import ProfilesFile

tracked_profiles_sensor, new_posts_sensor, failed_profiles_sensor = profile_sensors(
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
