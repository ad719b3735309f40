"""The fake Instagram: web_profile_info, the timeline graphql page, and /_sandbox/ admin.

Rate limits apply per client IP, taken from the header the proxy host stamps
(:data:`EGRESS_HEADER`) or, without it, from the TCP peer (a "data-center IP").
Profile lookups and timeline pages have separate budgets, as in the field notes.
"""
# No "from __future__ import annotations": FastAPI reads the route annotations at runtime.

import asyncio
import json
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from sandbox.clock import SandboxClock
from sandbox.content import SandboxContent
from sandbox.faults import SandboxFaults
from sandbox.ratelimit import LIMITED_BODY, RefusalPicker, RequestStats, SlidingWindowLimiter

EGRESS_HEADER = "x-sandbox-egress-ip"


class InstagramState:
    """The mutable side of the fake Instagram: clock, limiters, refusal dice, counters."""

    def __init__(self, content: SandboxContent, clock: SandboxClock) -> None:
        cfg = content.cfg
        self.content = content
        self.clock = clock
        self.profile_limiter = SlidingWindowLimiter(cfg.budget, cfg.window_seconds, clock.now)
        self.page_limiter = SlidingWindowLimiter(
            cfg.page_budget, cfg.page_window_seconds, clock.now
        )
        self.refusals = RefusalPicker(cfg.seed, cfg.share_429)
        self.stats = RequestStats()
        self.faults = SandboxFaults()  # off until set (POST /_sandbox/faults)

    def reset_limits(self) -> None:
        self.profile_limiter.reset()
        self.page_limiter.reset()


def client_ip(request: Request) -> str:
    """The public IP Instagram would see: the proxy's stamp, else the TCP peer."""
    stamped = request.headers.get(EGRESS_HEADER)
    if stamped:
        return stamped
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label


def _fail(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "status": "fail"}, status_code=status)


def create_instagram_app(state: InstagramState) -> FastAPI:
    """Build the fake Instagram around ``state``; nothing runs until a server serves it."""
    app = FastAPI(title="intrend sandbox: fake Instagram", docs_url=None, redoc_url=None)
    app.state.sandbox = state

    def answer(ip: str, endpoint: str, status: int, body: Any) -> Response:
        state.stats.record(ip, status, endpoint)
        if body is None:
            return Response(b"", status_code=status, media_type="text/html")
        return JSONResponse(body, status_code=status)

    faults = state.faults

    async def misbehave(ip: str, endpoint: str) -> Response | None:
        """A 5xx or a slow answer when a fault switch says so (before the rate limit)."""
        status = faults.status()
        if status is not None:
            state.stats.record(ip, status, endpoint)
            return Response(b"<html>upstream error</html>", status, media_type="text/html")
        if faults.take("slow"):
            await asyncio.sleep(faults.slow_seconds)
        return None

    def answer_ok(ip: str, endpoint: str, key: str, body: dict[str, Any]) -> Response:
        """A 200 body, through the shape-drift and encoding fault switches."""
        state.stats.record(ip, 200, endpoint)
        raw = faults.encode(faults.drift(key, body))
        return Response(raw, status_code=200, media_type="application/json")

    @app.get("/api/v1/users/web_profile_info/")
    async def web_profile_info(request: Request, username: str = "") -> Response:
        ip = client_ip(request)
        if not username:
            return answer(ip, "profile", 400, {"message": "username required", "status": "fail"})
        if state.content.cfg.require_app_id and not request.headers.get("x-ig-app-id"):
            return answer(ip, "profile", 401, {"message": "useragent mismatch", "status": "fail"})
        spoiled = await misbehave(ip, "profile")
        if spoiled is not None:
            return spoiled
        if not state.profile_limiter.hit(ip):
            return answer(ip, "profile", state.refusals.status_for(ip), LIMITED_BODY)
        override = faults.profile_override(username)
        body = state.content.profile_response(username, state.clock.now())
        if body is None or override == "deleted":
            return answer(ip, "profile", 404, None)
        user = (body.get("data") or {}).get("user")
        if override == "private" and isinstance(user, dict):
            user["is_private"] = True
            media = user.get("edge_owner_to_timeline_media") or {}
            media["edges"] = []
            media["page_info"] = {"has_next_page": False, "end_cursor": None}
        return answer_ok(ip, "profile", username, body)

    @app.get("/graphql/query/")
    async def graphql_query(
        request: Request, query_hash: str = "", variables: str = Query("{}")
    ) -> Response:
        ip = client_ip(request)
        try:
            parsed = json.loads(variables)
            user_id = str(parsed["id"])
            first = int(parsed.get("first", 12))
            after = parsed.get("after")
        except (ValueError, KeyError, TypeError):
            return answer(ip, "page", 400, {"message": "invalid variables", "status": "fail"})
        spoiled = await misbehave(ip, "page")
        if spoiled is not None:
            return spoiled
        if not state.page_limiter.hit(ip):
            return answer(ip, "page", state.refusals.status_for(ip), LIMITED_BODY)
        try:
            body = state.content.timeline_page(user_id, first, after, state.clock.now())
        except ValueError as exc:
            return answer(ip, "page", 400, {"message": str(exc), "status": "fail"})
        return answer_ok(ip, "page", user_id, body)

    @app.get("/_sandbox/truth")
    async def truth() -> dict[str, Any]:
        return state.content.truth()

    @app.get("/_sandbox/stats")
    async def stats() -> dict[str, Any]:
        return state.stats.snapshot()

    @app.post("/_sandbox/reset-limits")
    async def reset_limits() -> dict[str, str]:
        state.reset_limits()
        return {"status": "ok"}

    @app.get("/_sandbox/faults")
    async def get_faults() -> dict[str, Any]:
        return faults.snapshot()

    @app.post("/_sandbox/faults")
    async def set_faults(request: Request) -> Response:
        try:
            switches = await request.json()
            if not isinstance(switches, dict):
                raise ValueError("send a JSON object of switches")
            return JSONResponse(faults.set(**switches))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"message": str(exc), "status": "fail"}, status_code=400)

    @app.delete("/_sandbox/faults")
    async def reset_faults() -> dict[str, Any]:
        faults.reset()
        return faults.snapshot()

    @app.get("/_sandbox/clock")
    async def clock() -> dict[str, float]:
        c = state.clock
        return {"now": c.now(), "anchor": c.anchor_ts, "speed": c.speed}

    @app.post("/_sandbox/advance")
    async def advance(seconds: float = Query(..., ge=0)) -> dict[str, float]:
        return {"now": state.clock.advance(seconds)}

    return app
