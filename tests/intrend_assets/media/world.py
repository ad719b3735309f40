"""Fetch sandbox profiles into a raw store, then archive their media, with plain code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from benchmarks.media import fetch as fetch_plain
from intrend_assets.definitions import ASSETS
from intrend_assets.fetching.report import FetchReport
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.media.archive import MediaReport
from intrend_assets.media.pending import NewFetches
from intrend_assets.media.run import archive_new_fetches
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.pipeline import range_tags
from sandbox.world import SandboxWorld


def settings(world: SandboxWorld, root: Path, **changes: object) -> IntrendSettings:
    """The sandbox's settings; a first fetch is one page (first-fetch history would page back
    35 days: several times the media, past the CDN budget the tests size against)."""
    env = world.intrend_env(root)
    fields = {k.removeprefix("INTREND_").lower(): v for k, v in env.items()}
    return IntrendSettings(
        **{**fields, "backoff_seconds": 0.01, "first_fetch_days": 0.0, **changes}
    )


def fetch(world: SandboxWorld, names: list[str], s: IntrendSettings) -> FetchReport:
    return fetch_plain(world.modem_url, world.modem_token, names, s)


def archive(s: IntrendSettings) -> tuple[MediaReport, NewFetches, MediaStore]:
    """One media run, as the ``archived_media`` asset does it."""
    raw = LocalRawStore(s.resolved_raw_dir())
    config = s.client_config()
    report, todo = archive_new_fetches(raw, s.media_config(), lambda: InstagramClient(config))
    return report, todo, MediaStore(raw.blobs)


def fetch_then_archive(
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    names: list[str],
    fetch_assets: tuple[str, ...] = ("raw_profile", "posts"),
) -> dg.ExecuteInProcessResult:
    """One ranged fetch run of ``names`` (``fetch_assets``), then archived_media and
    post_media, as Dagster runs them; the media run's result."""
    instance.add_dynamic_partitions("profiles", names)
    fetched = dg.materialize(
        ASSETS,
        selection=list(fetch_assets),
        resources=resources,
        instance=instance,
        tags=range_tags(names),
    )
    assert fetched.success
    media = dg.materialize(
        ASSETS, selection=["archived_media", "post_media"], resources=resources, instance=instance
    )
    assert media.success
    return media
