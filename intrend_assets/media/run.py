"""One media run: the new fetches' media archived, renewals through a fresh API client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from intrend_assets.instagram.client import InstagramClient
from intrend_assets.media.archive import Archiver, MediaConfig, MediaReport, profile_renewer
from intrend_assets.media.download import MediaDownloader
from intrend_assets.media.pending import NewFetches, new_fetches
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.store import RawStore


async def _archive(
    todo: NewFetches,
    media: MediaConfig,
    store: MediaStore,
    open_client: Callable[[], InstagramClient],
) -> MediaReport:
    downloader = MediaDownloader(media.download)
    client = open_client()
    try:
        renew = profile_renewer(client, media.mode)
        archiver = Archiver(downloader, store, renew, max_renewals=media.max_renewals)
        report = await archiver.run(todo.refs)
        report.requests = downloader.requests
        return report
    finally:
        await downloader.aclose()
        await client.aclose()


def archive_new_fetches(
    raw: RawStore, media: MediaConfig, open_client: Callable[[], InstagramClient]
) -> tuple[MediaReport, NewFetches]:
    """Archive the media of every fetch not looked at yet, then move the cursors past them
    (a run that dies first looks at the same fetches again; archived media are skipped)."""
    store = MediaStore(raw.blobs)
    todo = new_fetches(raw, store, media.mode)
    report = asyncio.run(_archive(todo, media, store, open_client))
    for username, key in todo.cursors.items():
        store.set_cursor(username, key)
    return report, todo
