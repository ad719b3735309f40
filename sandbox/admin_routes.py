"""``/_sandbox/``: what tests and the CLI ask the sandbox (truth, stats, the clock) and the
switches they flip (faults, limits). Not part of Instagram; never counted or gated."""
# No "from __future__ import annotations": FastAPI reads the route annotations at runtime.

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from sandbox.instagram_state import InstagramState

router = APIRouter(prefix="/_sandbox")


def _state(request: Request) -> InstagramState:
    return request.app.state.sandbox


@router.get("/truth")
async def truth(request: Request) -> dict[str, Any]:
    return _state(request).content.truth()


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    return _state(request).stats.snapshot()


@router.get("/field")
async def field(request: Request) -> dict[str, Any]:
    """What the field behaviours did: throttled, burst_refused, odd_400/403,
    graphql_rate_limited, graphql_execution_error answers so far."""
    return _state(request).field.snapshot()


@router.post("/reset-limits")
async def reset_limits(request: Request) -> dict[str, str]:
    _state(request).reset_limits()
    return {"status": "ok"}


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return _state(request).faults.snapshot()


@router.post("/faults")
async def set_faults(request: Request) -> Response:
    try:
        switches = await request.json()
        if not isinstance(switches, dict):
            raise ValueError("send a JSON object of switches")
        return JSONResponse(_state(request).faults.set(**switches))
    except (ValueError, TypeError) as exc:
        return JSONResponse({"message": str(exc), "status": "fail"}, status_code=400)


@router.delete("/faults")
async def reset_faults(request: Request) -> dict[str, Any]:
    faults = _state(request).faults
    faults.reset()
    return faults.snapshot()


@router.get("/routes")
async def routes(request: Request) -> dict[str, Any]:
    """Each route's simulated modem: unplugged or not, and its public IP."""
    return {
        name: {"down": modem.down, "ip": modem.egress_ip()}
        for name, modem in _state(request).modems.items()
    }


@router.post("/routes/{name}")
async def set_route(request: Request, name: str, down: bool = Query(...)) -> Response:
    """Unplug (``down=true``) or plug back a route's modem: no egress, /rotate and /ip 503."""
    modem = _state(request).modems.get(name)
    if modem is None:
        return JSONResponse({"message": f"no route {name!r}", "status": "fail"}, status_code=404)
    modem.down = down
    return JSONResponse({"name": name, "down": modem.down})


@router.get("/clock")
async def clock(request: Request) -> dict[str, float]:
    c = _state(request).clock
    return {"now": c.now(), "anchor": c.anchor_ts, "speed": c.speed}


@router.post("/advance")
async def advance(request: Request, seconds: float = Query(..., ge=0)) -> dict[str, float]:
    return {"now": _state(request).clock.advance(seconds)}
