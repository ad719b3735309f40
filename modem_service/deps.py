"""FastAPI dependencies: the token check and typed access to what the lifespan opened."""

# No "from __future__ import annotations": FastAPI reads these annotations at runtime.

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from modem_service.backends.base import ModemBackend
from modem_service.current_ip import CurrentIp
from modem_service.ip_history import IpHistory
from modem_service.iplog import IpLog
from modem_service.metrics import ServiceMetrics
from modem_service.rotation import Rotator
from modem_service.settings import Settings


@dataclass
class Services:
    """Everything the lifespan opened, kept on ``app.state.services``."""

    settings: Settings
    backend: ModemBackend
    iplog: IpLog
    rotator: Rotator
    current_ip: CurrentIp
    metrics: ServiceMetrics
    history: IpHistory


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False)


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Constant-time bearer check. The 401 never repeats what was sent or expected."""
    expected: bytes = request.app.state.token
    if not expected:  # allow_open on loopback, checked at start
        return
    given = credentials.credentials.encode() if credentials else b""
    if not secrets.compare_digest(given, expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


Protected = [Depends(require_token)]
