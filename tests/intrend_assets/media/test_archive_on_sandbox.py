"""The media stage against the sandbox CDN: archived once, renewed, recorded, never rotating."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from intrend_assets.media.store import ARCHIVED, OBJECTS
from intrend_assets.raw_store.blobs import LocalBlobs
from sandbox.world import SandboxConfig, start_sandbox
from tests.intrend_assets.media.world import archive, fetch, settings

pytestmark = pytest.mark.timeout(120)

BASE = {"profiles": 30, "seed": 11, "budget": 1000, "rotation_seconds": 0.0, "odd_4xx_share": 0.0}


def test_every_post_and_slide_and_profile_picture_is_archived_once(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(**BASE)) as world:
        s = settings(world, tmp_path)
        names = world.public_usernames()[:10]
        fetch(world, names, s)
        report, todo, store = archive(s)
        served = world.cdn.snapshot()["served"]
        again, _, _ = archive(s)  # nothing new: nothing fetched
    refs = [r for refs in todo.refs.values() for r in refs]
    keys = {(r.username, *r.key) for r in refs}
    assert report.archived == len(keys) > 10 * 3
    assert {"thumbnail", "child", "profile_pic"} <= set(report.kinds)
    assert served == report.requests == len(keys)
    assert again.requests == 0 and again.archived == 0
    records = [r for n in names for r in store.records(n)]
    assert {r.status for r in records} == {ARCHIVED}
    for record in records[:20]:  # each file is whole and named by its content
        body = store.get(record.sha256, "jpg")
        assert body is not None and hashlib.sha256(body).hexdigest() == record.sha256
        assert Image.open(io.BytesIO(body)).size == (record.width, record.height)
    files = [e.key for e in store.blobs.list(OBJECTS) if e.key.endswith(".jpg")]
    assert len(files) == len({r.sha256 for r in records}) == len(records)


def test_the_same_picture_twice_is_stored_once(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(**BASE)) as world:
        s = settings(world, tmp_path)
        name = world.public_usernames()[0]
        fetch(world, [name], s)
        first, _, _ = archive(s)
        world.clock.advance(3600)  # a new fetch: new URLs (new expiry), same pictures
        fetch(world, [name], s)
        # Forget what was archived: everything is fetched again.
        for folder in ("media/records", "media/settled"):
            LocalBlobs(s.resolved_raw_dir()).delete_folder(folder)
        second, _, _ = archive(s)
    assert second.archived == first.archived > 0
    assert first.written == first.archived and second.written == 0


def test_expired_urls_are_renewed_by_refetching_the_profile(tmp_path: Path) -> None:
    cfg = SandboxConfig(**BASE, cdn_expiry_seconds=600, cdn_expiry_jitter_seconds=0)
    with start_sandbox(cfg) as world:
        s = settings(world, tmp_path, max_posts=24)  # a timeline page past the profile's 12
        names = world.public_usernames()[:5]
        fetch(world, names, s)
        world.clock.advance(700)  # the media stage starts after the expiry
        report, todo, store = archive(s)
        limited_cdn = world.cdn.snapshot().get("limited", 0)
    keys = {(r.username, *r.key) for refs in todo.refs.values() for r in refs}
    records = {(r.username, *r.key): r for n in names for r in store.records(n)}
    assert set(records) == keys  # none silently missing
    assert report.renewals == len(names) and report.archived > 0
    expired = [r for r in records.values() if r.status == "expired"]
    assert expired and all(r.reason == "not in the refetched answer" for r in expired)
    assert report.archived + len(expired) == len(keys)
    assert limited_cdn == 0


def test_without_renewals_expired_media_are_recorded(tmp_path: Path) -> None:
    cfg = SandboxConfig(**BASE, cdn_expiry_seconds=600, cdn_expiry_jitter_seconds=0)
    with start_sandbox(cfg) as world:
        s = settings(world, tmp_path, media_renewals=0)
        name = world.public_usernames()[0]
        fetch(world, [name], s)
        world.clock.advance(700)
        report, todo, store = archive(s)
    assert report.archived == 0 and report.renewals == 0
    assert {r.status for r in store.records(name)} == {"expired"}
    assert len(store.records(name)) == len({r.key for r in todo.refs[name]})


def test_off_mode_fetches_nothing(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(**BASE)) as world:
        s = settings(world, tmp_path, media_mode="off")
        fetch(world, world.public_usernames()[:2], s)
        report, todo, _ = archive(s)
        served = world.cdn.snapshot()
    assert report.requests == 0 and todo.refs == {} and served == {}


def test_full_mode_adds_display_images_and_videos(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(**BASE)) as world:
        s = settings(world, tmp_path, media_mode="full")
        fetch(world, world.public_usernames()[:4], s)
        report, _, _ = archive(s)
    assert {"display", "video", "thumbnail", "profile_pic"} <= set(report.kinds)


def test_cdn_refusals_are_waited_out_and_never_rotate_the_modem(tmp_path: Path) -> None:
    cfg = SandboxConfig(**{**BASE, "cdn_budget": 10, "cdn_window_seconds": 1.0})
    with start_sandbox(cfg) as world:
        s = settings(world, tmp_path, backoff_seconds=0.1)
        fetch(world, world.public_usernames()[:3], s)
        steps = list(world.modem.steps_run)
        report, todo, _ = archive(s)
        limited = world.cdn.snapshot().get("limited", 0)
        assert world.modem.steps_run == steps
    assert limited > 0
    assert report.archived == sum(len({r.key for r in refs}) for refs in todo.refs.values())
