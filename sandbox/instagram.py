"""The fake Instagram: every strategy of the wire contract, and /_sandbox/ admin.

One address serves all of ``docs/instagram-strategies.md``: web_profile_info (web and iPad
app ids), the graph timeline page (``graphql_query_hash``, here), the ``graphql_doc_id`` POSTs
and the embedded profile page (:mod:`sandbox.strategy_routes`), all from the same
deterministic world. Every request passes the same gates (:mod:`sandbox.gates`).

Rate limits apply per client IP, taken from the header the proxy host stamps
(:data:`EGRESS_HEADER`) or, without it, from the TCP peer (a "data-center IP").
Profile lookups and timeline pages have separate budgets, as in the field notes.
"""
# No "from __future__ import annotations": FastAPI reads the route annotations at runtime.

import json
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from sandbox.gates import EGRESS_HEADER, LOGIN_WALL_BODY, NOT_FOUND_BODY, Gates, client_ip
from sandbox.instagram_state import InstagramState
from sandbox.strategies import GRAPHQL_QUERY_HASH, profile_info_strategy
from sandbox.strategy_routes import add_strategy_routes

__all__ = ["EGRESS_HEADER", "InstagramState", "client_ip", "create_instagram_app"]


def create_instagram_app(state: InstagramState) -> FastAPI:
    """Build the fake Instagram around ``state``; nothing runs until a server serves it."""
    app = FastAPI(title="intrend sandbox: fake Instagram", docs_url=None, redoc_url=None)
    app.state.sandbox = state
    gates = Gates(state)
    faults = state.faults

    @app.get("/api/v1/users/web_profile_info/")
    async def web_profile_info(request: Request, username: str = "") -> Response:
        ip = client_ip(request)
        strategy = profile_info_strategy(request.headers.get("x-ig-app-id"))
        if not username:
            body = {"message": "username required", "status": "fail"}
            return gates.answer(ip, "profile", strategy, 400, body)
        refused = await gates.admit(request, ip, "profile", strategy, app_id_checked=True)
        if refused is not None:
            return refused
        body = gates.graph_profile(username)
        if body is None:
            return gates.answer(ip, "profile", strategy, 404, NOT_FOUND_BODY)
        odd = gates.odd(ip, strategy, username)
        if odd is not None:
            return odd
        if gates.walled(request, strategy, username):
            return gates.answer(ip, "profile", strategy, 400, LOGIN_WALL_BODY)
        return gates.ok(ip, "profile", strategy, username, body)

    @app.get("/graphql/query/")
    async def graphql_query_hash(
        request: Request, query_hash: str = "", variables: str = Query("{}")
    ) -> Response:
        ip = client_ip(request)
        strategy = GRAPHQL_QUERY_HASH
        try:
            parsed = json.loads(variables)
            user_id = str(parsed["id"])
            first = int(parsed.get("first", 12))
            after = parsed.get("after")
        except (ValueError, KeyError, TypeError):
            body = {"message": "invalid variables", "status": "fail"}
            return gates.answer(ip, "page", strategy, 400, body)
        refused = await gates.admit(request, ip, "page", strategy, app_id_checked=False)
        if refused is not None:
            return refused
        content = state.content
        try:
            body = content.timeline_page(user_id, first, after, state.clock.now())
        except ValueError as exc:
            return gates.answer(ip, "page", strategy, 400, {"message": str(exc), "status": "fail"})
        index = content.index_of_id(user_id)
        if index is not None and gates.walled(request, strategy, content.username(index)):
            return gates.answer(ip, "page", strategy, 400, LOGIN_WALL_BODY)
        return gates.ok(ip, "page", strategy, user_id, body)

    @app.get("/_sandbox/truth")
    async def truth() -> dict[str, Any]:
        return state.content.truth()

    @app.get("/_sandbox/stats")
    async def stats() -> dict[str, Any]:
        return state.stats.snapshot()

    @app.get("/_sandbox/field")
    async def field() -> dict[str, Any]:
        """What the field behaviours did: throttled, burst_refused, odd_400/403,
        graphql_rate_limited, graphql_execution_error answers so far."""
        return state.field.snapshot()

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

    # Last, so every fixed path above is matched before the embedded page's /{username}/.
    add_strategy_routes(app, gates)
    return app
