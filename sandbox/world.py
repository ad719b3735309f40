"""The whole offline world in one call: fake Instagram, its CDN, proxy host and modem service.

``start_sandbox(cfg)`` starts the three servers on free 127.0.0.1 ports (uvicorn, each in its
own thread) around one shared :class:`SimulatedModem` and one :class:`SandboxClock`, and
stops them on exit whatever happens inside the ``with`` block.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
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

__all__ = ["SandboxConfig", "SandboxWorld", "build_modem", "modem_settings", "start_sandbox"]


def build_modem(cfg: SandboxConfig, clock: SandboxClock | None = None) -> FieldModem:
    """The simulated modem for ``cfg``: a reconnect takes ``rotation_seconds`` sandbox time (up
    to ``rotation_max_seconds``); the carrier moves it every ``carrier_change_seconds`` of
    ``clock`` (never without a clock)."""
    return FieldModem(
        parse_weighted_ranges(cfg.carrier_ranges),
        rotation_seconds=cfg.rotation_seconds,
        rotation_max_seconds=cfg.rotation_max_seconds,
        carrier_change_seconds=cfg.carrier_change_seconds,
        speed=cfg.speed,
        clock=clock.now if clock is not None else None,
        unchanged_probability=cfg.unchanged_probability,
        seed=cfg.seed,
    )


def modem_settings(cfg: SandboxConfig, token: str) -> Settings:
    """The modem service's settings for ``cfg``. The service counts real seconds, so sandbox
    durations (cooldown, rotation time) are divided by ``speed``."""
    return Settings(
        backend="simulated",
        token=token,
        cooldown_seconds=cfg.modem_cooldown_seconds / cfg.speed,
        sim_ranges=cfg.carrier_ranges,
        sim_rotation_seconds=cfg.rotation_seconds / cfg.speed,
        sim_unchanged_probability=cfg.unchanged_probability,
        sim_seed=cfg.seed,
    )


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
        self.modem.down = False
        self.modem.stuck_rotations = 0
        self.modem.failing_steps = 0
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
        return {
            "instagram_url": self.instagram_url,
            "proxy_url": self.proxy_url,
            "modem_url": self.modem_url,
            "cdn_url": self.cdn_url,
        }

    def intrend_env(self, data_dir: Path) -> dict[str, str]:
        """The ``INTREND_*`` environment that points the code location at this sandbox, with
        its raw store and warehouse in ``data_dir`` (see ``sandbox.pipeline.intrend_env``)."""
        from sandbox.pipeline import intrend_env

        return intrend_env(self.addresses(), self.modem_token, data_dir)


@contextmanager
def start_sandbox(cfg: SandboxConfig | None = None) -> Iterator[SandboxWorld]:
    """Start the sandbox's three servers; stop them all when the block exits."""
    cfg = (cfg or SandboxConfig()).resolved()
    content = SandboxContent(cfg)
    clock = SandboxClock(cfg.anchor_ts, cfg.speed)
    modem = build_modem(cfg, clock)
    token = cfg.modem_token or secrets.token_urlsafe(24)
    ig_state = InstagramState(content, clock)
    proxy_state = ProxyState(modem.egress_ip)
    proxy_state.faults = ig_state.faults
    world = SandboxWorld(cfg, content, clock, modem, ig_state, proxy_state, token)

    servers = [
        # First, so its origin is in every answer the fake Instagram gives.
        *([("cdn", ServerThread(create_cdn_app(world.cdn), "cdn"))] if cfg.cdn else []),
        ("instagram", ServerThread(create_instagram_app(ig_state), "instagram")),
        (
            "proxy",
            ServerThread(
                ForwardProxy(proxy_state),
                "proxy",
                http=refusing_protocol(
                    counting_protocol(proxy_state.connections), ig_state.faults, "proxy"
                ),
                lifespan="on",
            ),
        ),
        (
            "modem",
            ServerThread(
                create_app(modem_settings(cfg, token), backend=modem),
                "modem",
                http=refusing_protocol(H11Protocol, ig_state.faults, "modem"),
                lifespan="on",
            ),
        ),
    ]
    started: list[ServerThread] = []
    try:
        for name, server in servers:
            server.start()
            started.append(server)
            setattr(world, f"{name}_url", server.url)
            if name == "cdn":
                content.posts.cdn.origin = server.url
        yield world
    finally:
        stop_all(started)
