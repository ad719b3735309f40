"""The FastAPI application factory. Routes are thin; the work lives in rotation and iplog."""
# No "from __future__ import annotations" here: FastAPI resolves the dependency annotations of
# the nested route functions at runtime, which postponed (string) annotations would break.

import asyncio
import ipaddress
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from modem_service.backends.base import ModemBackend
from modem_service.iplog import IpLog, make_engine
from modem_service.rotation import Rotator
from modem_service.settings import Settings


def build_backend(settings: Settings) -> ModemBackend:
    """The driver named by ``settings.backend``."""
    if settings.backend == "simulated":
        from modem_service.backends.simulated import SimulatedModem

        return SimulatedModem(
            settings.weighted_ranges(),
            rotation_seconds=settings.sim_rotation_seconds,
            unchanged_probability=settings.sim_unchanged_probability,
            seed=settings.sim_seed,
        )
    raise NotImplementedError(f"backend {settings.backend!r} is not available yet")


def _check_can_start(settings: Settings) -> None:
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


def create_app(settings: Settings, backend: ModemBackend | None = None) -> FastAPI:
    """Build the service. Nothing is opened until the lifespan starts.

    ``backend`` lets the sandbox share one simulated modem with its proxy host.
    """
    _check_can_start(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        modem = backend if backend is not None else build_backend(settings)
        engine = make_engine(settings.database_url)
        iplog = await asyncio.to_thread(IpLog, engine)

        async def record(ip: str, source: str) -> None:
            await asyncio.to_thread(iplog.record, ip, source)

        app.state.backend = modem
        app.state.iplog = iplog
        app.state.rotator = Rotator(
            modem,
            max_attempts=settings.max_attempts,
            cooldown_seconds=settings.cooldown_seconds,
            on_ip=record,
        )
        app.state.ip_cache = (float("-inf"), None)
        first_ip = await modem.public_ip()
        if first_ip is not None:
            await record(first_ip, "start")
        try:
            yield
        finally:
            await modem.aclose()
            engine.dispose()

    app = FastAPI(
        title="intrend modem service",
        description="Rotates the 4G modem's public IP and keeps the log of every IP it had.",
        lifespan=lifespan,
    )
    bearer = HTTPBearer(auto_error=False)
    expected = settings.token.get_secret_value().encode() if settings.token else b""

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if not expected:
            return
        given = credentials.credentials.encode() if credentials else b""
        if not secrets.compare_digest(given, expected):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing or wrong bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )

    protected = [Depends(require_token)]

    @app.get("/health")
    async def health(request: Request) -> dict[str, Any]:
        state = await request.app.state.backend.state()
        return {"status": "ok", "backend": request.app.state.backend.name, **state.__dict__}

    @app.post("/rotate", dependencies=protected)
    async def rotate(request: Request) -> dict[str, Any]:
        result = await request.app.state.rotator.rotate()
        request.app.state.ip_cache = (float("-inf"), None)
        return result.as_dict()

    @app.get("/ip", dependencies=protected)
    async def current_ip(request: Request) -> dict[str, Any]:
        cached_at, ip = request.app.state.ip_cache
        now = time.monotonic()
        if ip is None or now - cached_at > settings.ip_cache_seconds:
            ip = await request.app.state.backend.public_ip()
            request.app.state.ip_cache = (now, ip)
        if ip is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "modem is offline")
        return {"ip": ip}

    @app.get("/ips", dependencies=protected)
    async def ips(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
        since: datetime | None = None,
    ) -> dict[str, Any]:
        rows = await asyncio.to_thread(request.app.state.iplog.latest, limit, offset, since)
        return {"items": rows, "limit": limit, "offset": offset}

    return app
