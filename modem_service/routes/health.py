"""``GET /health`` (open, for liveness probes) and ``GET /metrics`` (Prometheus text)."""

from typing import Any

from fastapi import APIRouter, Response

from modem_service.deps import Protected, ServicesDep
from modem_service.metrics import CONTENT_TYPE_LATEST

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health(services: ServicesDep) -> dict[str, Any]:
    """Liveness plus the modem's state. Needs no token, so it says nothing secret.

    ``status`` is ``degraded`` while the IP log cannot be written (``iplog`` says why and
    how many sightings wait in memory); each call retries the write first.
    """
    cooldown = round(services.rotator.cooldown_remaining(), 3)
    history = services.history
    if history.unwritten:
        await history.flush()
    common: dict[str, Any] = {"status": "ok"}
    if history.write_error is not None:
        common = {
            "status": "degraded",
            "iplog": {"error": history.write_error, "unwritten": history.unwritten},
        }
    try:
        state = await services.backend.state()
    except Exception as exc:  # the service is alive even when the modem driver is not
        return {
            **common,
            "backend": services.backend.name,
            "present": False,
            "connected": False,
            "detail": {"error": type(exc).__name__},
            "cooldown_remaining_seconds": cooldown,
        }
    return {
        **common,
        "backend": services.backend.name,
        "present": state.present,
        "connected": state.connected,
        "detail": state.detail,
        "cooldown_remaining_seconds": cooldown,
    }


@router.get("/metrics", dependencies=Protected, response_class=Response)
async def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)
