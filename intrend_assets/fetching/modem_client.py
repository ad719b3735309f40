"""Async client of the modem service's HTTP API (rotate, current IP, IP log, ranges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from intrend_assets.instagram.errors import ConfigurationError
from intrend_assets.instagram.tls import verified_context
from intrend_assets.redaction import http_error_text, quotes_headers


class ModemUnavailable(Exception):
    """The modem service did not answer, or answered with an error."""


class ModemRejected(ConfigurationError):
    """The modem service refused our token (401/403): no retry or backoff helps, a human must
    set the right one. A configuration error, so the run stops rather than waiting out what
    looks like an outage while the requests on the limited IP keep being refused."""


@dataclass(frozen=True)
class Rotation:
    """The answer of ``POST /rotate``. ``coalesced``: the service did not rotate (one was
    running, or the last one is within its cooldown) and returned the last result again;
    ``retry_after_seconds``: how long until it will rotate again, when it says."""

    old_ip: str | None
    new_ip: str | None
    changed: bool
    took_ms: int
    attempts: int
    coalesced: bool = False
    retry_after_seconds: float | None = None


def _seconds(value: Any) -> float | None:
    """A positive number of seconds from the service, or None when it said nothing usable."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


class ModemClient:
    """Talks to ``modem_service``. The token is sent as a bearer header and never logged."""

    def __init__(self, base_url: str, token: str | None, timeout: float = 120.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Rotations can take minutes in the field (a redial, a reboot): the read timeout is long.
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=5.0),
            verify=verified_context(),
            trust_env=False,
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            # h11's message quotes a header it refuses ("Bearer <token>"): never copied, and
            # not chained either, since Dagster stores an error's cause with it.
            error = ModemUnavailable(f"{method} {path}: {http_error_text(exc)}")
            raise error from (None if quotes_headers(exc) else exc)
        if response.status_code in (401, 403):
            raise ModemRejected(
                f"modem service refused the token on {method} {path} (HTTP "
                f"{response.status_code}): check INTREND_MODEM_TOKEN",
                status=response.status_code,
            )
        if response.status_code >= 400:
            raise ModemUnavailable(f"{method} {path}: HTTP {response.status_code}")
        return response.json()

    async def rotate(self) -> Rotation:
        data = await self._call("POST", "/rotate")
        return Rotation(
            old_ip=data.get("old_ip"),
            new_ip=data.get("new_ip"),
            changed=bool(data.get("changed")),
            took_ms=int(data.get("took_ms") or 0),
            attempts=int(data.get("attempts") or 0),
            coalesced=bool(data.get("coalesced")),
            retry_after_seconds=_seconds(
                data.get("retry_after_seconds") or data.get("cooldown_remaining_seconds")
            ),
        )

    async def current_ip(self) -> str | None:
        return (await self._call("GET", "/ip")).get("ip")

    async def ips(self, limit: int = 1000) -> list[dict[str, Any]]:
        return (await self._call("GET", "/ips", params={"limit": limit}))["items"]

    async def aclose(self) -> None:
        await self._http.aclose()


@dataclass(frozen=True)
class ModemEndpoint:
    """Where the modem service is and how to authenticate; the token is never logged.

    ``timeout`` is long on purpose: a rotation can take minutes in the field (a redial, a
    reboot).
    """

    url: str
    token: str | None = field(repr=False)
    timeout: float

    def open_client(self) -> ModemClient:
        return ModemClient(self.url, self.token, timeout=self.timeout)
