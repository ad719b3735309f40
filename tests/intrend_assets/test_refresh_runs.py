"""A refresh looks up the due profiles and only those, in a bounded number of runs.

1,000 partitions, 100 of them due and scattered through the partition order: the requests
``new_posts_sensor`` makes are materialized with the deployment's resources, Instagram and
the modem faked, and what Instagram was asked is counted. On the instance the ``intrend``
commands set up (the batching event-log storage), as a deployment runs them: a ranged run
writes an event per partition of its range, skipped or not.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.defs.profiles.sensors import profile_sensors
from intrend_assets.defs.resources import build_resources, instagram_access
from intrend_assets.lib.ranged_runs import MAX_PROFILES_PER_RUN
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from tests.fakes import FakeInstagram, FakeModem
from tests.instances import project_instance

_, new_posts_sensor, *_ = profile_sensors(dg.DefaultSensorStatus.RUNNING)
NAMES = [f"p{i:04d}" for i in range(1000)]
DUE = set(random.Random(15).sample(NAMES, 100))


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    with project_instance(tmp_path, monkeypatch) as instance:
        instance.add_dynamic_partitions("profiles", NAMES)
        yield instance


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def test_a_refresh_looks_up_exactly_the_due_profiles(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    settings = IntrendSettings(data_dir=tmp_path, profiles_file=tmp_path / "profiles.txt")
    store = LocalRawStore(settings.resolved_raw_dir())
    now = datetime.now(UTC)
    for name in NAMES:  # fetched an hour ago, or two days ago for the due ones
        store.put(name, now - (timedelta(days=2) if name in DUE else timedelta(hours=1)), b"{}")
    resources = build_resources(settings)
    instagram = FakeInstagram.of(instagram_access(settings), {})
    tick = new_posts_sensor(dg.build_sensor_context(instance=instance, resources=resources))
    assert isinstance(tick, dg.SensorResult)
    # Bounded: no more runs than the daily schedule's ranges over the same partitions.
    assert 1 <= len(tick.run_requests) <= len(NAMES) // MAX_PROFILES_PER_RUN
    skipped = 0
    for request in tick.run_requests:
        assert request.tags["intrend/refresh"] == "due"
        result = dg.materialize(
            [raw_profile],
            resources={**resources, "instagram": instagram, "modem": FakeModem()},
            instance=instance,
            tags=request.tags,
            run_config={**request.run_config, **QUIET},
        )
        assert result.success
        event = result.asset_materializations_for_node("raw_profile")[0]
        assert event.metadata["failed"].value == 0
        skipped += event.metadata["skipped_not_due"].value
    # Lookups per refresh = due profiles: each due profile once, nothing else.
    looked_up = [name for _, name in instagram.requests]
    assert len(looked_up) == len(DUE) and set(looked_up) == DUE
    assert skipped > 0  # the ranges bridged profiles that were not due, and skipped them
    # The skipped ones keep their data as it was; the due ones got a second fetch.
    assert all(len(store.objects(n)) == (2 if n in DUE else 1) for n in NAMES)
    assert store.failures() == []
