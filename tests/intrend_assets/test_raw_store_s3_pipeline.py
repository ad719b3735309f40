"""The deployment's raw store in a bucket (``INTREND_RAW_URL=s3://...``): a ranged
``raw_profile`` run, then ``posts`` and ``fetch_log``, with nothing of the raw store on the
local disk. The bucket is on moto's S3 server on loopback (tests/infra/s3.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from intrend_assets.definitions import ASSETS
from intrend_assets.defs.resources import build_resources, instagram_access
from intrend_assets.lib.ranged_runs import range_run_requests
from intrend_assets.raw_store.store import RawStore
from intrend_assets.settings import IntrendSettings
from tests.fakes import UNKNOWN, FakeInstagram, FakeModem
from tests.infra.s3 import S3Server

NAMES = ["alice", "bob", "carol", "ghost"]


def test_a_ranged_run_and_its_loads_go_through_the_bucket(
    s3_server: S3Server, tmp_path: Path
) -> None:
    url = f"s3://{s3_server.bucket()}/deploy/raw"
    settings = IntrendSettings(data_dir=tmp_path, raw_url=url, raw_endpoint=s3_server.endpoint)
    resources = build_resources(settings)
    store = resources["raw_store"]
    assert isinstance(store, RawStore) and store.url == url
    instagram = FakeInstagram.of(instagram_access(settings), {"ghost": UNKNOWN})
    resources = {**resources, "instagram": instagram, "modem": FakeModem()}
    (request,) = range_run_requests(NAMES)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", NAMES)
        fetched = dg.materialize(
            ASSETS,
            selection=["raw_profile"],
            resources=resources,
            instance=instance,
            tags=request.tags,
        )
        assert fetched.success
        assert sorted(store.usernames()) == ["alice", "bob", "carol"]
        assert {o.username for o in store.pending()} == {"alice", "bob", "carol"}
        assert [f["username"] for f in store.failures()] == ["ghost"]
        loaded = dg.materialize(
            ASSETS, selection=["posts", "fetch_log"], resources=resources, instance=instance
        )
        assert loaded.success
    assert store.pending() == []
    assert not (tmp_path / "raw").exists()  # the raw store is the bucket's alone
    with duckdb.connect(str(settings.resolved_warehouse_path()), read_only=True) as con:
        profiles = con.execute("SELECT count(DISTINCT username) FROM profiles").fetchone()
        requests = con.execute("SELECT count(*) FROM fetch_log").fetchone()
    assert profiles == (3,)
    assert requests == (len(instagram.requests),)
