"""Egress routes: the ways out to Instagram, each a modem service and the proxy through its modem.

One modem is the ceiling of a fetch: about one rotation per IP budget of lookups. Several
routes carry the work side by side, each with its own public IP and so its own rate limits,
and each with everything that follows one IP in a run: its single-flight rotation gate, its
burst pacing, its learnt IP budget (one :class:`~.run.FetchRun` per route).

A route whose modem is down (its service does not answer) or stuck (a rotation found no new
IP) is benched for a while: its profiles in flight stop and go back to the queue for the
other routes, rather than spending their attempts on a dead link. A lone route is never
benched: with nowhere else to go it behaves as a single modem always has (waits, retries,
records what failed).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, field_validator

from intrend_assets.fetching.modem_client import ModemEndpoint, ModemUnavailable

DEFAULT_ROUTE = "modem"  # the name of the one route the single-modem settings describe


@dataclass(frozen=True)
class EgressRoute:
    """One way out: the modem service that rotates it and the proxy through its modem
    (None when a VPN route carries Instagram's hosts)."""

    name: str
    modem: ModemEndpoint
    proxy_url: str | None


@dataclass(frozen=True)
class ModemPool(ModemEndpoint):
    """The modem resource of a deployment: its own address is the first route's (what the
    single-modem code, the IP check, reads), ``routes`` every route (at least that one)."""

    routes: tuple[EgressRoute, ...] = ()
    bench_seconds: float = 300.0  # a route whose modem is down or stuck rests this long


def egress_routes(modem: ModemEndpoint, proxy_url: str | None = None) -> tuple[EgressRoute, ...]:
    """The routes of ``modem``: a :class:`ModemPool`'s when it has several, else the one of
    ``modem`` itself and ``proxy_url`` (a test's fake modem is a single route too). A single
    route's requests go out as the Instagram access is configured, whatever ``proxy_url``."""
    if isinstance(modem, ModemPool) and len(modem.routes) > 1:
        return modem.routes
    name = modem.routes[0].name if isinstance(modem, ModemPool) and modem.routes else DEFAULT_ROUTE
    return (EgressRoute(name, modem, proxy_url),)


class RouteSpec(BaseModel):
    """One route as ``INTREND_ROUTES`` names it (a JSON list of these). The modem token is
    ``INTREND_MODEM_TOKEN`` for every route and the proxy password ``INTREND_PROXY_PASSWORD``:
    secrets stay out of this list."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    modem_url: str
    proxy_url: str | None = None

    @field_validator("proxy_url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value and urlsplit(value).password:
            raise ValueError("a route's proxy URL holds a password: set PROXY_PASSWORD instead")
        return value


def _json_text(value: object) -> object:
    """JSON text given to the settings' constructor too (the environment's is decoded)."""
    return json.loads(value) if isinstance(value, str) else value


def _distinct(specs: list[RouteSpec]) -> list[RouteSpec]:
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError("two routes have the same name")
    return specs


RouteList = Annotated[list[RouteSpec], BeforeValidator(_json_text), AfterValidator(_distinct)]


def bench_seconds(modem: ModemEndpoint) -> float:
    return modem.bench_seconds if isinstance(modem, ModemPool) else ModemPool.bench_seconds


def build_routes(
    specs: Sequence[RouteSpec], token: str | None, timeout: float
) -> tuple[EgressRoute, ...]:
    """The routes of ``specs``, every modem service reached with ``token``."""
    return tuple(
        EgressRoute(s.name, ModemEndpoint(s.modem_url, token, timeout), s.proxy_url) for s in specs
    )


class RouteDown(Exception):
    """The route this request went out on is benched: the profile goes back to the queue."""


class RouteHealth:
    """Whether a route may take work; benched for ``bench_seconds`` once its modem is down
    or stuck. Asking the modem is single-flight: many failing requests, one question."""

    def __init__(
        self,
        name: str,
        current_ip: Callable[[], Awaitable[str | None]],
        bench_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._current_ip = current_ip
        self.bench_seconds = bench_seconds
        self._clock = clock
        self._until = 0.0
        self._asking = asyncio.Lock()
        self.benches = 0
        self.why = ""

    @property
    def benched(self) -> bool:
        return self._clock() < self._until

    def bench(self, why: str) -> None:
        if not self.benched:
            self.benches += 1
        self.why = why
        self._until = self._clock() + self.bench_seconds

    async def modem_down(self) -> bool:
        """After a network error on the route: whether its modem is down (then benched).

        An answer from the modem service with an IP means the link is alive and the error
        was Instagram's or the path's: the caller retries as before."""
        async with self._asking:
            if self.benched:
                return True
            try:
                ip = await self._current_ip()
            except ModemUnavailable as exc:
                self.bench(f"modem down: {exc}")
                return True
            if ip is None:
                self.bench("modem offline")
                return True
            return False
