"""``POST /rotate``: walk the rotation ladder (or share a running / recent walk)."""

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

    Concurrent callers share one rotation; within the cooldown the last result is returned
    with ``coalesced: true``. ``changed: false`` with ``steps`` and ``errors`` says what was
    tried when the carrier kept the IP.
    """
    result = await services.rotator.rotate()
    services.current_ip.invalidate()
    body = result.as_dict()
    if result.new_ip is None:
        return JSONResponse(body, status_code=503)
    return body
