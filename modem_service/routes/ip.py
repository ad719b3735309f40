"""``GET /ip``: the public IP as seen through the modem's own connection."""

from fastapi import APIRouter, HTTPException, status

from modem_service.deps import Protected, ServicesDep
from modem_service.echo import EchoError

router = APIRouter(tags=["ip"], dependencies=Protected)


@router.get("/ip", responses={503: {"description": "Modem offline or echo services disagree."}})
async def current_ip(services: ServicesDep) -> dict[str, str]:
    try:
        ip = await services.current_ip.get()
    except EchoError as exc:
        services.metrics.errors.labels("echo").inc()
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    if ip is None:
        services.metrics.errors.labels("offline").inc()
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "modem is offline")
    return {"ip": ip}
