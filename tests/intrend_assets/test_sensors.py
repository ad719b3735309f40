from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.sensors import tracked_profiles_sensor


@pytest.fixture
def profiles_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "profiles.txt"
    monkeypatch.setenv("INTREND_PROFILES_FILE", str(path))
    return path


def test_new_profiles_become_partitions_and_one_ranged_run(profiles_file: Path) -> None:
    profiles_file.write_text("alice\nbob\nnot valid\n")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["alice"])
        result = tracked_profiles_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SensorResult)
        (add,) = result.dynamic_partitions_requests
        assert list(add.partition_keys) == ["bob"]
        (run,) = result.run_requests
        assert run.tags["dagster/asset_partition_range_start"] == "bob"
        assert run.tags["dagster/asset_partition_range_end"] == "bob"


def test_nothing_new_skips_and_removed_profiles_are_kept(profiles_file: Path) -> None:
    profiles_file.write_text("alice\n")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["alice", "gone"])
        result = tracked_profiles_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SensorResult)
        assert not result.run_requests and not result.dynamic_partitions_requests
        assert set(instance.get_dynamic_partitions("profiles")) == {"alice", "gone"}


def test_missing_file_skips(profiles_file: Path) -> None:
    with dg.instance_for_test() as instance:
        result = tracked_profiles_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SkipReason)
