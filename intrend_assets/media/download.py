"""Fetching one medium through the API's egress, with the CDN's own limits and patience.

The client goes through the same proxy as the Instagram client (or the VPN route when there
is none), with its own connection pool (``max_connections``) and a pause between request
starts (``pacing_seconds``), so media never crowd out the API's connections. A CDN refusal
(429, 5xx) is waited out here with a backoff: it says nothing about the modem's IP standing
with Instagram's API, so nothing here rotates the modem. A body that is not a whole medium is
fetched again (``max_attempts`` in all), never stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from intrend_assets.instagram.tls import verified_context
from intrend_assets.media.content import Inspected, NotMedia, inspect
from intrend_assets.media.urls import MediaUrlRefused, check_url
from intrend_assets.redaction import http_error_text

EXPIRED_MARKER = b"signature expired"


@dataclass(frozen=True)
class DownloadConfig:
    proxy: httpx.Proxy | None
    allowed_origins: frozenset[str]
    max_connections: int = 4
    pacing_seconds: float = 0.0
    max_attempts: int = 3
    backoff_seconds: float = 0.5
    timeout_seconds: float = 30.0
    max_bytes: int = 50_000_000
    max_rate_limited: int = 10  # 429s per medium before it is given up for this run
    max_pause_seconds: float = 30.0
    user_agent: str = "Mozilla/5.0"


@dataclass(frozen=True)
class Fetched:
    body: bytes
    inspected: Inspected


class Expired(Exception):
    """The CDN says the address's signature expired: only a fresh address helps."""


class Refused(Exception):
    """Not fetched, and fetching again would not help (a hostile URL, a 404)."""


class Failed(Exception):
    """Every attempt failed (network, 429/5xx, bad bodies); a later fetch may succeed."""


class _Transient(Exception):
    """A refusal worth trying again after a backoff (5xx)."""


class _Limited(Exception):
    """The CDN's own rate limit (429): every request waits, not only this one."""


class MediaDownloader:
    """One pooled client; open inside the event loop that uses it, ``aclose()`` it there."""

    def __init__(
        self, config: DownloadConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        if transport is None:
            transport = httpx.AsyncHTTPTransport(
                proxy=config.proxy,
                limits=httpx.Limits(
                    max_connections=config.max_connections,
                    max_keepalive_connections=config.max_connections,
                ),
                verify=verified_context(),
                trust_env=False,
            )
        self._http = httpx.AsyncClient(
            transport=transport,
            headers={"user-agent": config.user_agent, "accept": "image/*,video/*"},
            timeout=httpx.Timeout(config.timeout_seconds, pool=None),
            trust_env=False,
            follow_redirects=False,
        )
        self._gate = asyncio.Semaphore(config.max_connections)
        self._pace_lock = asyncio.Lock()
        self._next_start = 0.0
        self._paused_until = 0.0
        self._limited_in_a_row = 0
        self.requests = 0
        self.rate_limited = 0

    def _pause(self) -> None:
        """A 429: hold every request back, longer for each 429 in a row."""
        self.rate_limited += 1
        self._limited_in_a_row += 1
        wait = self.config.backoff_seconds * 2 ** min(self._limited_in_a_row - 1, 10)
        wait = min(max(wait, 0.05), self.config.max_pause_seconds)
        self._paused_until = max(self._paused_until, time.monotonic() + wait)

    async def _paced(self) -> None:
        for _ in range(100):  # a pause may be extended while it is slept
            wait = self._paused_until - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        if self.config.pacing_seconds <= 0:
            return
        async with self._pace_lock:
            wait = self._next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = time.monotonic() + self.config.pacing_seconds

    async def _once(self, url: httpx.URL) -> Fetched:
        """One request; raises Expired, Refused, or an error to try again."""
        async with self._gate:
            await self._paced()
            self.requests += 1
            async with self._http.stream("GET", url) as response:
                length = response.headers.get("content-length")
                if length is not None and int(length) > self.config.max_bytes:
                    raise Refused(f"{length} bytes is more than a medium may be")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.config.max_bytes:
                        raise Refused("the body is larger than a medium may be")
                body = b"".join(chunks)
        status = response.status_code
        if status == 403 and EXPIRED_MARKER in body.lower():
            raise Expired(body[:100].decode("latin-1"))
        if status == 429:
            self._pause()
            raise _Limited("CDN answered 429")
        self._limited_in_a_row = 0
        if status >= 500:
            raise _Transient(f"CDN answered {status}")
        if status != 200:
            raise Refused(f"CDN answered {status}: {body[:100].decode('latin-1')!r}")
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        declared = int(length) if length and length.isdigit() and not encoded else None
        return Fetched(body, inspect(body, declared))

    async def fetch(self, url: str) -> Fetched:
        """The medium at ``url``, checked; raises Expired, Refused or Failed."""
        try:
            parsed = check_url(url, self.config.allowed_origins)
        except MediaUrlRefused as exc:
            raise Refused(f"hostile URL: {exc}") from None
        why = "no attempt"
        attempt = limited = 0
        while attempt < self.config.max_attempts and limited <= self.config.max_rate_limited:
            try:
                return await self._once(parsed)
            except _Limited as exc:
                limited += 1
                why = f"{exc} ({limited} times)"
                continue  # the pause is shared; a 429 is not a failed attempt
            except NotMedia as exc:
                why = f"not a whole medium: {exc}"
            except _Transient as exc:
                why = str(exc)
            except httpx.HTTPError as exc:
                why = http_error_text(exc)
            attempt += 1
            if attempt < self.config.max_attempts:
                await asyncio.sleep(self.config.backoff_seconds * 2 ** (attempt - 1))
        raise Failed(f"given up: {why}")

    async def aclose(self) -> None:
        await self._http.aclose()
