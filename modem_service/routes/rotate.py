"""``POST /rotate``: walk the rotation ladder (or share a running / recent walk)."""

import math
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from modem_service.deps import Protected, ServicesDep

router = APIRouter(tags=["rotation"], dependencies=Protected)


@router.post(
    "/rotate",
    responses={503: {"description": "The modem is offline: no public IP after the ladder."}},
)
async def rotate(services: ServicesDep) -> Any:
    """Rotate the public IP and verify it changed.

    Concurrent callers share one rotation; within the cooldown no rotation runs and the
    answer is ``coalesced: true``, ``changed: false``, with ``retry_after_seconds`` (and a
    ``Retry-After`` header) saying when a call would rotate again. ``changed: false`` with
    ``steps`` and ``errors`` on an answer that is not coalesced says what was tried when the
    carrier kept the IP.
    """
    result = await services.rotator.rotate()
    services.current_ip.invalidate()
    headers = {}
    if result.retry_after_seconds:
        headers["Retry-After"] = str(math.ceil(result.retry_after_seconds))
    status = 503 if result.new_ip is None else 200
    return JSONResponse(result.as_dict(), status_code=status, headers=headers)
