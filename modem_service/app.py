"""The FastAPI application factory. Routes are thin; the work lives in rotation and iplog.

Nothing connects at import or in :func:`create_app`: the backend, the database engine and
the echo HTTP clients are opened in the lifespan and kept on ``app.state``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from modem_service.backends.base import ModemBackend
from modem_service.current_ip import CurrentIp
from modem_service.deps import Services
from modem_service.echo import EchoChecker
from modem_service.ip_history import IpHistory
from modem_service.ip_watch import IpWatch
from modem_service.iplog import IpLog, make_engine
from modem_service.metrics import ServiceMetrics
from modem_service.rotation import Rotator
from modem_service.routes import health, ip, ips, rotate
from modem_service.routes.docs import add_docs
from modem_service.settings import Settings

log = logging.getLogger("modem_service")


def build_backend(settings: Settings) -> ModemBackend:
    """The driver named by ``settings.backend``."""
    if settings.backend == "simulated":
        from modem_service.backends.simulated import SimulatedModem

        return SimulatedModem(
            settings.weighted_ranges(),
            rotation_seconds=settings.sim_rotation_seconds,
            unchanged_probability=settings.sim_unchanged_probability,
            seed=settings.sim_seed,
            speed=settings.sim_speed,
            carrier_change_seconds=settings.sim_carrier_change_seconds,
        )
    echo = EchoChecker(
        settings.echo_url_list(),
        interface=settings.echo_interface,
        timeout=settings.echo_timeout,
        min_agree=settings.echo_min_agree,
    )
    if settings.backend == "mmcli":
        from modem_service.backends.mmcli import MmcliModem

        return MmcliModem(
            echo,
            mmcli=settings.mmcli_path,
            nmcli=settings.nmcli_path,
            nm_connection=settings.nm_connection,
            apn=settings.apn,
            power_cycle_command=settings.power_cycle_command,
            command_timeout=settings.command_timeout,
            reappear_timeout=settings.reappear_timeout,
            bind_address=settings.echo_bind_address,
        )
    if settings.backend == "hilink":
        from modem_service.backends.hilink import HilinkModem

        return HilinkModem(
            echo,
            url=settings.hilink_url,
            username=settings.hilink_username,
            password=(
                settings.hilink_password.get_secret_value() if settings.hilink_password else None
            ),
            timeout=settings.hilink_timeout,
            bind_address=settings.echo_bind_address,
        )
    raise ValueError(f"unknown backend {settings.backend!r}")


def check_can_start(settings: Settings) -> None:
    """Refuse to run without a token, unless told to run open on a loopback address."""
    if settings.token is not None and settings.token.get_secret_value():
        return
    if not settings.allow_open:
        raise RuntimeError(
            "MODEM_TOKEN is not set. Set a token, or set MODEM_ALLOW_OPEN=true to run "
            "without one on a loopback address."
        )
    try:
        loopback = ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        loopback = settings.host == "localhost"
    if not loopback:
        raise RuntimeError("MODEM_ALLOW_OPEN is only honoured on a loopback address")


def cooldown_seconds(settings: Settings) -> float:
    """The cooldown in real seconds: a simulated modem's time runs ``sim_speed`` times faster."""
    speed = settings.sim_speed if settings.backend == "simulated" else 1.0
    return settings.cooldown_seconds / speed


async def open_services(settings: Settings, modem: ModemBackend, engine: Engine) -> Services:
    """The log, the rotator and the IP history around ``modem``, wired to each other."""
    iplog = await asyncio.to_thread(IpLog, engine)
    metrics = ServiceMetrics()
    rotator: Rotator | None = None
    history = IpHistory(
        iplog,
        metrics,
        rotating=lambda: rotator is not None and rotator.busy,
        buffer=settings.iplog_buffer,
    )
    await history.open()
    rotator = Rotator(
        modem,
        max_attempts=settings.max_attempts,
        cooldown_seconds=cooldown_seconds(settings),
        on_ip=history.seen,
        on_result=metrics.rotation_done,
        last_known_ip=lambda: history.current,
    )
    return Services(
        settings=settings,
        backend=modem,
        iplog=iplog,
        rotator=rotator,
        current_ip=CurrentIp(modem, settings.ip_cache_seconds, on_check=history.checked),
        metrics=metrics,
        history=history,
    )


def create_app(settings: Settings, backend: ModemBackend | None = None) -> FastAPI:
    """Build the service. Nothing is opened until the lifespan starts.

    ``backend`` lets the sandbox share one simulated modem with its proxy host; the service
    then closes it on shutdown like one it built.
    """
    check_can_start(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        modem = backend if backend is not None else build_backend(settings)
        engine = make_engine(settings.database_url)
        watch: IpWatch | None = None
        try:
            services = await open_services(settings, modem, engine)
            app.state.services = services
            try:
                first_ip = await modem.public_ip()
            except Exception as exc:  # the service must start to report a broken modem
                log.warning("public IP check at start failed: %s", exc)
                first_ip = None
            if first_ip is not None:
                await services.history.seen(first_ip, "start")
            watch = IpWatch(modem, services.rotator, services.history, settings.ip_check_seconds)
            watch.start()
            yield
        finally:
            if watch is not None:
                await watch.stop()
            await modem.aclose()
            engine.dispose()

    app = FastAPI(
        title="intrend modem service",
        description="Rotates the 4G modem's public IP and keeps the log of every IP it had. "
        "Every endpoint but /health needs `Authorization: Bearer <MODEM_TOKEN>`.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from a CDN and answer without the token
        redoc_url=None,
        openapi_url=None,
    )
    app.state.token = settings.token.get_secret_value().encode() if settings.token else b""
    for module in (rotate, ip, ips, health):
        app.include_router(module.router)
    add_docs(app, settings.docs)
    return app
