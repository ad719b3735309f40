"""Usernames Instagram never issues, given to the pipeline: recorded as failed, never a crash.

Found by the fault matrix (fault 11): a hostile partition key crashed the whole ``posts``
step (then partitioned by profile), and names refused by the fetcher were in no failures
list ("lost").
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.defs.warehouse.posts import posts
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.client import Answer
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted

HOSTILE = ["../etc", "a b", "'; drop table posts; --", "x" * 31, "", "..", "/abs", "%2e%2e"]


def _body(username: str) -> bytes:
    user = {"id": "7", "username": username, "is_private": False}
    return json.dumps({"data": {"user": user}, "status": "ok"}).encode()


def _files(root: Path) -> set[Path]:
    return {p for p in root.parent.rglob("*") if p.is_file()}


def test_fetch_records_every_hostile_name_as_failed_inside_the_store(tmp_path: Path) -> None:
    root = tmp_path / "store" / "raw"
    requested: list[str] = []

    async def get_profile(username: str) -> Answer:
        requested.append(username)
        return Answer(200, _body(username), 1.0)

    async def rotate() -> Rotation:
        return Rotation("1.1.1.1", "1.1.1.2", True, 1, 1)

    async def go() -> None:
        gate = RotationGate(rotate, current_ip="1.1.1.1")
        await fetch_profiles(
            ["good_one", *HOSTILE],
            scripted.bound(get_profile),
            gate,
            LocalRawStore(root),
            defaults.policy(concurrency=4),
        )

    asyncio.run(go())
    store = LocalRawStore(root)
    assert requested == ["good_one"]  # no hostile name reached a URL
    assert list(store.usernames()) == ["good_one"]
    recorded = {str(f["username"]): f for f in store.failures()}
    for name in HOSTILE:
        assert name in recorded, f"{name!r} is in no failures list"
        assert recorded[name]["outcome"] == "invalid" and recorded[name]["reason"]
    # Nothing was written outside the raw store's folders.
    assert all(root in p.parents for p in _files(root))


def test_posts_step_survives_hostile_names_in_the_pending_queue(tmp_path: Path) -> None:
    """``posts`` takes no partition keys now; what it reads is the raw store's pending queue,
    whose file names carry usernames. Markers planted with hostile names are passed over."""
    root = tmp_path / "store" / "raw"
    store = LocalRawStore(root)
    from datetime import UTC, datetime

    store.mark_pending(store.put("good_one", datetime.now(UTC), _body("good_one")))
    stamp = next((root / "pending").iterdir()).name.split("~")[0]
    for name in HOSTILE:
        if "/" not in name and name not in ("", ".", ".."):
            (root / "pending" / f"{stamp}~{name}").write_text("profiles/x")
    (root / "pending" / "not-a-marker").write_text("")
    assert [o.username for o in store.pending()] == ["good_one"]
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [posts],
            resources={
                "raw_store": LocalRawStore(Path(str(root))),
                "warehouse": WarehouseFile(Path(str(tmp_path / "w.duckdb"))),
                "metrics": MetricsGateway(None),
            },
            instance=instance,
            raise_on_error=False,
        )
    assert result.success, "a hostile name in the pending queue crashed the posts step"
    (materialization,) = result.asset_materializations_for_node("posts")
    assert materialization.metadata["fetches_loaded"].value == 1
    assert store.pending() == []
    assert all(root in p.parents for p in _files(root))


@pytest.mark.parametrize("name", HOSTILE)
def test_failure_record_of_a_hostile_name_stays_in_the_failures_folder(
    tmp_path: Path, name: str
) -> None:
    store = LocalRawStore(tmp_path / "raw")
    store.record_failure(name, "invalid", "not a username", 0)
    (path,) = (tmp_path / "raw" / "failures").iterdir()
    assert path.parent == tmp_path / "raw" / "failures"
    assert store.failures()[0]["username"] == name
    store.clear_failure(name)
    assert store.failures() == []
