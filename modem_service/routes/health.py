"""``GET /health`` (open, for probes) and ``GET /metrics`` (Prometheus text).

``/health`` answers 503 when there is no modem to rotate (the driver cannot be reached, or
it sees no modem): a probe or a load balancer must not take a box without a modem for a
working one. A modem that is there but not yet usable (disconnected, no public IP known,
the IP log not writable) is ``degraded`` with 200: rotations may still work.
"""

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from modem_service.deps import Protected, Services, ServicesDep
from modem_service.metrics import CONTENT_TYPE_LATEST

router = APIRouter(tags=["operations"])


@dataclass
class ModemHealth:
    """What the backend says about the modem, and what is wrong with it."""

    reachable: bool
    present: bool
    connected: bool
    detail: dict[str, str]
    problems: list[str] = field(default_factory=list)


async def modem_health(services: Services) -> ModemHealth:
    """Ask the backend for the modem's state and keep the ``modem_present`` gauges in step."""
    try:
        state = await services.backend.state()
    except Exception as exc:  # the service is alive even when the modem driver is not
        found = ModemHealth(False, False, False, {"error": type(exc).__name__})
        found.problems.append("backend unreachable")
    else:
        found = ModemHealth(True, state.present, state.connected, state.detail)
        if not state.present:
            found.problems.append("modem not present")
        elif not state.connected:
            found.problems.append("modem not connected")
    services.metrics.modem_state(present=found.present, connected=found.connected)
    return found


@router.get(
    "/health",
    responses={503: {"description": "No modem: the backend is unreachable or sees none."}},
)
async def health(services: ServicesDep) -> JSONResponse:
    """The modem's state. Needs no token, so it says nothing secret (not even the IP).

    ``status``: ``ok``; ``degraded`` (200) while the modem is not connected, no public IP is
    known yet, or the IP log cannot be written (``iplog`` says why and how many sightings
    wait in memory; each call retries the write first); ``down`` (503) when there is no
    modem. ``problems`` lists what is wrong.
    """
    history = services.history
    if history.unwritten:
        await history.flush()
    modem = await modem_health(services)
    problems = list(modem.problems)
    ip_known = history.current is not None
    if modem.present and not ip_known:
        problems.append("no public IP known yet")
    body: dict[str, Any] = {}
    if history.write_error is not None:
        problems.append("IP log not writable")
        body["iplog"] = {"error": history.write_error, "unwritten": history.unwritten}
    down = not modem.present
    status = "down" if down else "degraded" if problems else "ok"
    body.update(
        status=status,
        backend=services.backend.name,
        reachable=modem.reachable,
        present=modem.present,
        connected=modem.connected,
        ip_known=ip_known,
        detail=modem.detail,
        cooldown_remaining_seconds=round(services.rotator.cooldown_remaining(), 3),
        problems=problems,
    )
    return JSONResponse(body, status_code=503 if down else 200)


@router.get("/metrics", dependencies=Protected, response_class=Response)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus text; each scrape asks the backend, so ``modem_present`` is current."""
    await modem_health(services)
    return Response(services.metrics.render(), media_type=CONTENT_TYPE_LATEST)
