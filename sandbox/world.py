"""The whole offline world in one call: fake Instagram, its CDN, proxy host and modem service.

``start_sandbox(cfg)`` starts the three servers on free 127.0.0.1 ports (uvicorn, each in its
own thread) around one shared :class:`SimulatedModem` and one :class:`SandboxClock`, and
stops them on exit whatever happens inside the ``with`` block. With ``cfg.routes`` above one,
every further route gets its own simulated modem (its own carrier blocks), proxy host and
modem service: the fake Instagram sees each proxy's requests from its modem's public IP.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from modem_service import Settings, create_app
from modem_service.settings import parse_weighted_ranges
from sandbox.cdn import CdnState, create_cdn_app
from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from sandbox.faults import SandboxFaults, refusing_protocol
from sandbox.instagram import InstagramState, create_instagram_app
from sandbox.modem import FieldModem
from sandbox.proxy import ForwardProxy, ProxyState, counting_protocol
from sandbox.servers import ServerThread, stop_all

__all__ = [
    "SandboxConfig",
    "SandboxRoute",
    "SandboxWorld",
    "build_modem",
    "modem_settings",
    "route_ranges",
    "start_sandbox",
]


def route_ranges(carrier_ranges: str, route: int) -> list[tuple[str, float]]:
    """The carrier blocks of route ``route`` (1-based): ``carrier_ranges`` for the first,
    moved by ``route - 1`` in the second octet for the others (another carrier's /16)."""
    ranges = parse_weighted_ranges(carrier_ranges)
    if route <= 1:
        return ranges
    moved = []
    for cidr, weight in ranges:
        network = ipaddress.ip_network(cidr)
        if network.version != 4:
            moved.append((cidr, weight))
            continue
        shift = ((route - 1) % 200) << 16
        address = ipaddress.IPv4Address((int(network.network_address) + shift) % 2**32)
        moved.append((f"{address}/{network.prefixlen}", weight))
    return moved


def build_modem(
    cfg: SandboxConfig, clock: SandboxClock | None = None, route: int = 1
) -> FieldModem:
    """The simulated modem of route ``route`` for ``cfg``: a reconnect takes
    ``rotation_seconds`` sandbox time (up to ``rotation_max_seconds``); the carrier moves it
    every ``carrier_change_seconds`` of ``clock`` (never without a clock)."""
    return FieldModem(
        route_ranges(cfg.carrier_ranges, route),
        rotation_seconds=cfg.rotation_seconds,
        rotation_max_seconds=cfg.rotation_max_seconds,
        carrier_change_seconds=cfg.carrier_change_seconds,
        speed=cfg.speed,
        clock=clock.now if clock is not None else None,
        unchanged_probability=cfg.unchanged_probability,
        seed=cfg.seed + route - 1,
    )


def modem_settings(cfg: SandboxConfig, token: str, route_name: str | None = None) -> Settings:
    """The modem service's settings for ``cfg``. The service counts real seconds, so sandbox
    durations (cooldown, rotation time) are divided by ``speed``."""
    return Settings(
        route_name=route_name,
        backend="simulated",
        token=token,
        cooldown_seconds=cfg.modem_cooldown_seconds / cfg.speed,
        sim_ranges=cfg.carrier_ranges,
        sim_rotation_seconds=cfg.rotation_seconds / cfg.speed,
        sim_unchanged_probability=cfg.unchanged_probability,
        sim_seed=cfg.seed,
    )


@dataclass
class SandboxRoute:
    """One egress route of the sandbox: a simulated modem, its proxy host and modem service."""

    name: str
    modem: FieldModem
    proxy: ProxyState
    proxy_url: str = ""
    modem_url: str = ""


def route_name(cfg: SandboxConfig, route: int) -> str | None:
    """A route's name: none with a single route (the code location's default one)."""
    return None if cfg.routes == 1 else f"modem-{route}"


class SandboxWorld:
    """Handles on a running sandbox: URLs, the shared modem, clock, truth and counters."""

    def __init__(
        self,
        cfg: SandboxConfig,
        content: SandboxContent,
        clock: SandboxClock,
        modem: FieldModem,
        instagram: InstagramState,
        proxy: ProxyState,
        modem_token: str,
    ) -> None:
        self.cfg = cfg
        self.content = content
        self.clock = clock
        self.modem = modem
        self.instagram = instagram
        self.proxy = proxy
        self.modem_token = modem_token
        self.faults: SandboxFaults = instagram.faults
        self.instagram_url = ""
        self.proxy_url = ""
        self.modem_url = ""
        self.routes: list[SandboxRoute] = []  # every route, the first one's modem is ``modem``
        self.cdn: CdnState = CdnState(cfg, clock)
        self.cdn_url = ""

    def usernames(self) -> list[str]:
        """All known usernames, public and private, in a fixed order."""
        return self.content.usernames()

    def public_usernames(self) -> list[str]:
        return self.content.public_usernames()

    def private_usernames(self) -> list[str]:
        return self.content.private_usernames()

    def unknown_usernames(self) -> list[str]:
        """Valid-looking names that answer 404 or ``user: null``."""
        return self.content.unknown_usernames()

    def planted_trends(self) -> list[str]:
        """Trend hashtags without '#', as they appear in captions."""
        return list(self.content.trends)

    def truth(self) -> dict[str, Any]:
        return self.content.truth()

    def stats(self) -> dict[str, Any]:
        """Requests per client IP, as ``GET /_sandbox/stats`` reports them."""
        return self.instagram.stats.snapshot()

    def field_stats(self) -> dict[str, int]:
        """What the field behaviours did, as ``GET /_sandbox/field`` reports it; the modem's
        own (carrier changes, slow rotations) are on ``world.modem``."""
        return {
            **self.instagram.field.snapshot(),
            "carrier_changes": len(self.modem.carrier_changes),
        }

    def reset_limits(self) -> None:
        self.instagram.reset_limits()

    def reset_faults(self) -> None:
        """Every fault switch off (sandbox and simulated modem), rate limits and peaks reset."""
        self.faults.reset()
        for route in self.routes or [SandboxRoute("", self.modem, self.proxy)]:
            route.modem.down = False
            route.modem.stuck_rotations = 0
            route.modem.failing_steps = 0
            route.proxy.connections.reset_peak()
            route.proxy.requests.reset_peak()
        self.instagram.reset_limits()
        self.cdn.switches.reset()
        self.proxy.connections.reset_peak()
        self.proxy.requests.reset_peak()

    def now(self) -> float:
        """Sandbox time now (Unix seconds)."""
        return self.clock.now()

    @property
    def peak_proxy_connections(self) -> int:
        """Most client connections the proxy host had open at once."""
        return self.proxy.connections.peak

    @property
    def peak_proxy_requests(self) -> int:
        """Most requests the proxy host was forwarding at once."""
        return self.proxy.requests.peak

    def addresses(self) -> dict[str, str]:
        """Where the servers are; ``routes`` (JSON, as ``INTREND_ROUTES`` takes it) with
        more than one route."""
        addresses = {
            "instagram_url": self.instagram_url,
            "proxy_url": self.proxy_url,
            "modem_url": self.modem_url,
            "cdn_url": self.cdn_url,
        }
        if len(self.routes) > 1:
            addresses["routes"] = json.dumps(
                [
                    {"name": r.name, "modem_url": r.modem_url, "proxy_url": r.proxy_url}
                    for r in self.routes
                ]
            )
        return addresses

    def intrend_env(self, data_dir: Path) -> dict[str, str]:
        """The ``INTREND_*`` environment that points the code location at this sandbox, with
        its raw store and warehouse in ``data_dir`` (see ``sandbox.pipeline.intrend_env``)."""
        from sandbox.pipeline import intrend_env

        return intrend_env(self.addresses(), self.modem_token, data_dir)


def _route_servers(
    cfg: SandboxConfig, route: SandboxRoute, token: str, faults: SandboxFaults
) -> list[tuple[str, ServerThread]]:
    """The proxy host and modem service of one route (``proxy``/``modem`` for the first)."""
    suffix = "" if not route.name or route.name == "modem-1" else f"-{route.name}"
    return [
        (
            "proxy",
            ServerThread(
                ForwardProxy(route.proxy),
                f"proxy{suffix}",
                http=refusing_protocol(counting_protocol(route.proxy.connections), faults, "proxy"),
                lifespan="on",
            ),
        ),
        (
            "modem",
            ServerThread(
                create_app(modem_settings(cfg, token, route.name or None), backend=route.modem),
                f"modem{suffix}",
                http=refusing_protocol(H11Protocol, faults, "modem"),
                lifespan="on",
            ),
        ),
    ]


@contextmanager
def start_sandbox(cfg: SandboxConfig | None = None) -> Iterator[SandboxWorld]:
    """Start the sandbox's servers (three, and two more per further route); stop them all
    when the block exits."""
    cfg = (cfg or SandboxConfig()).resolved()
    content = SandboxContent(cfg)
    clock = SandboxClock(cfg.anchor_ts, cfg.speed)
    token = cfg.modem_token or secrets.token_urlsafe(24)
    ig_state = InstagramState(content, clock)
    routes = []
    for k in range(1, cfg.routes + 1):
        modem = build_modem(cfg, clock, k)
        proxy_state = ProxyState(modem.egress_ip)
        proxy_state.faults = ig_state.faults
        routes.append(SandboxRoute(route_name(cfg, k) or "", modem, proxy_state))
    world = SandboxWorld(cfg, content, clock, routes[0].modem, ig_state, routes[0].proxy, token)
    world.routes = routes
    ig_state.modems = {route.name or "modem": route.modem for route in routes}
    # The CDN first, so its origin is in every answer the fake Instagram gives.
    cdn = ServerThread(create_cdn_app(world.cdn), "cdn") if cfg.cdn else None
    instagram = ServerThread(create_instagram_app(ig_state), "instagram")
    started: list[ServerThread] = []
    try:
        for name, server in ([("cdn", cdn)] if cdn else []) + [("instagram", instagram)]:
            server.start()
            started.append(server)
            setattr(world, f"{name}_url", server.url)
            if name == "cdn":
                content.posts.cdn.origin = server.url
        for route in routes:
            for kind, server in _route_servers(cfg, route, token, ig_state.faults):
                server.start()
                started.append(server)
                setattr(route, f"{kind}_url", server.url)
        world.proxy_url, world.modem_url = routes[0].proxy_url, routes[0].modem_url
        yield world
    finally:
        stop_all(started)
