"""With the raw store in a bucket (``INTREND_RAW_URL=s3://...``) the media go there too:
fetched, archived, loaded and drawn in the report's contact sheet with nothing on the
local disk but the warehouse. The bucket is moto's S3 server on loopback (tests/infra/s3.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.media.contact_sheet import report_sheet
from intrend_assets.media.store import OBJECTS, MediaStore
from intrend_assets.raw_store.store import RawStore
from sandbox.pipeline import sandbox_resources
from sandbox.world import SandboxConfig, start_sandbox
from tests.infra.s3 import S3Server
from tests.intrend_assets.media.world import fetch_then_archive
from warehouse.db import connect

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_media_are_archived_in_the_bucket(s3_server: S3Server, tmp_path: Path) -> None:
    url = f"s3://{s3_server.bucket()}/deploy/raw"
    config = SandboxConfig(profiles=10, seed=5, budget=1000, rotation_seconds=0.0)
    with start_sandbox(config) as world, dg.instance_for_test() as instance:
        names = world.public_usernames()[:3]
        env = {**world.intrend_env(tmp_path), "INTREND_FIRST_FETCH_DAYS": "0"}
        settings, resources = sandbox_resources(env, raw_url=url, raw_endpoint=s3_server.endpoint)
        media = fetch_then_archive(
            resources, instance, names, ("raw_profile", "posts", "posts_wide")
        )
    raw: RawStore = resources["raw_store"]
    assert raw.url == url
    store = MediaStore(raw.blobs)
    archived = media.asset_materializations_for_node("archived_media")[0].metadata
    assert archived["archived"].value > 3 * 3
    objects = raw.blobs.list(OBJECTS)
    assert len(objects) == archived["files_written"].value > 0
    for entry in objects[:10]:  # whole, and named by their content
        sha, ext = entry.key.rsplit("/", 1)[1].split(".")
        assert hashlib.sha256(store.get(sha, ext) or b"").hexdigest() == sha
    assert sorted(store.usernames()) == sorted(names)
    assert all(store.cursor(n) for n in names)
    assert not (tmp_path / "raw").exists()  # the media are the bucket's alone
    with connect(settings.resolved_warehouse_path(), read_only=True) as con:
        (rows,) = con.execute(
            "SELECT count(*) FROM post_media WHERE status = 'archived'"
        ).fetchone()
        assert rows == archived["archived"].value
        (tag,) = con.execute(
            "SELECT t FROM (SELECT unnest(tags) AS t FROM posts_wide) GROUP BY t "
            "ORDER BY count(*) DESC, t LIMIT 1"
        ).fetchone()
        sheet = report_sheet(con, store, [tag], "thumbnails")
    assert sheet.jpeg is not None  # drawn from the bucket's thumbnails
