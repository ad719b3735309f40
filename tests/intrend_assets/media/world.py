"""Fetch sandbox profiles into a raw store, then archive their media, with plain code."""

from __future__ import annotations

from pathlib import Path

from benchmarks.media import fetch as fetch_plain
from intrend_assets.fetching.report import FetchReport
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.media.archive import MediaReport
from intrend_assets.media.pending import NewFetches
from intrend_assets.media.run import archive_new_fetches
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
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
