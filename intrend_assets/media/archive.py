"""Archiving the media of new fetches: fetch, check, store, and renew what expired.

For each profile, the media of its fetches not yet looked at (newest address per medium),
less those already archived, are fetched concurrently (the downloader bounds connections).
An address the CDN says has expired is renewed by refetching the profile (``renew``), at
most ``max_renewals`` times per profile and run; a medium the fresh answer does not list (an
older post, past the first page) or that expired again is recorded ``expired``, with why,
never left out silently. Every medium looked at gets a record.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from intrend_assets.instagram.client import InstagramClient
from intrend_assets.media.download import (
    DownloadConfig,
    Expired,
    Failed,
    MediaDownloader,
    Refused,
)
from intrend_assets.media.refs import MediaMode, MediaRef, media_refs, newest_by_key
from intrend_assets.media.store import ARCHIVED, MediaRecord, MediaStore
from intrend_assets.parsing.profile import decode_body
from intrend_assets.redaction import redact


@dataclass(frozen=True)
class MediaConfig:
    """What the media stage is configured with (built from the settings)."""

    mode: MediaMode
    download: DownloadConfig
    max_renewals: int = 1


Renew = Callable[[str], Awaitable[list[MediaRef]]]
"""Refetch a profile; the media its fresh answer lists (raises when it cannot)."""


@dataclass
class MediaReport:
    statuses: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    written: int = 0  # new files (the rest were already stored: the same picture)
    bytes_written: int = 0
    renewals: int = 0
    renewals_failed: int = 0
    profiles: int = 0
    requests: int = 0  # to the CDN, retries included

    @property
    def archived(self) -> int:
        return self.statuses[ARCHIVED]


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Archiver:
    """One run's archiving: a downloader, a store, and how to renew a profile's addresses."""

    def __init__(
        self,
        downloader: MediaDownloader,
        store: MediaStore,
        renew: Renew | None = None,
        *,
        max_renewals: int = 1,
        profiles_at_once: int = 16,
    ) -> None:
        self.downloader = downloader
        self.store = store
        self.renew = renew
        self.max_renewals = max_renewals
        self.report = MediaReport()
        self._profiles = asyncio.Semaphore(profiles_at_once)

    async def _one(self, ref: MediaRef) -> MediaRecord:
        base = {
            "username": ref.username,
            "post_id": ref.post_id,
            "kind": ref.kind,
            "position": ref.position,
            "url_expires_at": ref.expires_at,
        }
        try:
            got = await self.downloader.fetch(ref.url)
        except Expired as exc:
            return MediaRecord(**base, status="expired", fetched_at=_now(), reason=str(exc))
        except Refused as exc:
            return MediaRecord(**base, status="refused", fetched_at=_now(), reason=redact(str(exc)))
        except Failed as exc:
            return MediaRecord(**base, status="failed", fetched_at=_now(), reason=redact(str(exc)))
        # fsync waits for the disk: in a thread, so the other downloads go on meanwhile.
        digest, written = await asyncio.to_thread(self.store.put, got.body, got.inspected.extension)
        if written:
            self.report.written += 1
            self.report.bytes_written += len(got.body)
        i = got.inspected
        return MediaRecord(
            **base,
            status=ARCHIVED,
            fetched_at=_now(),
            sha256=digest,
            bytes=len(got.body),
            width=i.width,
            height=i.height,
            content_type=i.content_type,
        )

    async def _renewed(self, username: str, expired: list[MediaRecord]) -> list[MediaRecord]:
        """Expired media fetched again from fresh answers, at most ``max_renewals`` of them."""
        settled: list[MediaRecord] = []
        tries = self.max_renewals if self.renew is not None else 0
        for _ in range(tries):
            if not expired:
                break
            self.report.renewals += 1
            try:
                fresh = newest_by_key(await self.renew(username))  # type: ignore[misc]
            except Exception as exc:  # any refusal or network error: recorded, not raised
                self.report.renewals_failed += 1
                why = redact(f"renewal failed: {type(exc).__name__}: {exc}")
                return [*settled, *(_with(r, why) for r in expired)]
            settled += [
                _with(r, "not in the refetched answer") for r in expired if r.key not in fresh
            ]
            again = await asyncio.gather(
                *(self._one(fresh[r.key]) for r in expired if r.key in fresh)
            )
            settled += [r for r in again if r.status != "expired"]
            expired = [r for r in again if r.status == "expired"]
        why = f"still expired after {tries} renewal(s)" if tries else "expired; renewal is off"
        return [*settled, *(_with(r, why) for r in expired)]

    async def _profile(self, username: str, refs: Sequence[MediaRef]) -> None:
        async with self._profiles:
            settled = self.store.settled(username)
            todo = [r for r in newest_by_key(refs).values() if r.key not in settled]
            records = list(await asyncio.gather(*(self._one(r) for r in todo)))
            done = [r for r in records if r.status != "expired"]
            done += await self._renewed(username, [r for r in records if r.status == "expired"])
            self.store.append(username, done)
        self.report.profiles += 1
        for record in done:
            self.report.statuses[record.status] += 1
            if record.status == ARCHIVED:
                self.report.kinds[record.kind] += 1

    async def run(self, refs_by_user: Mapping[str, Sequence[MediaRef]]) -> MediaReport:
        """Archive every profile's media; the report counts what became of them."""
        await asyncio.gather(*(self._profile(u, refs) for u, refs in refs_by_user.items()))
        return self.report


def profile_renewer(client: InstagramClient, mode: MediaMode) -> Renew:
    """Renewal by refetching the profile's first page (web_profile_info) with ``client``."""

    async def renew(username: str) -> list[MediaRef]:
        answer = await client.get_profile(username)
        if answer.status != 200:
            raise RuntimeError(f"Instagram answered {answer.status}")
        return media_refs(username, decode_body(answer.body, username=username), mode)

    return renew


def _with(record: MediaRecord, reason: str) -> MediaRecord:
    return MediaRecord(**{**record.__dict__, "reason": reason})
