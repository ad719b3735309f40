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

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response

from sandbox import admin_routes, strategy_routes
from sandbox.gates import EGRESS_HEADER, LOGIN_WALL_BODY, NOT_FOUND_BODY, Gates, client_ip
from sandbox.instagram_state import InstagramState
from sandbox.strategies import GRAPHQL_QUERY_HASH, profile_info_strategy

__all__ = ["EGRESS_HEADER", "InstagramState", "client_ip", "create_instagram_app"]


router = APIRouter()


def _gates(request: Request) -> Gates:
    return request.app.state.gates


@router.get("/api/v1/users/web_profile_info/")
async def web_profile_info(request: Request, username: str = "") -> Response:
    gates = _gates(request)
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


@router.get("/graphql/query/")
async def graphql_query_hash(
    request: Request, query_hash: str = "", variables: str = Query("{}")
) -> Response:
    gates = _gates(request)
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
    state = gates.state
    content = state.content
    try:
        body = content.timeline_page(
            user_id, first, after, content.cfg.content_now(state.clock.now())
        )
    except ValueError as exc:
        return gates.answer(ip, "page", strategy, 400, {"message": str(exc), "status": "fail"})
    index = content.index_of_id(user_id)
    if index is not None and gates.walled(request, strategy, content.username(index)):
        return gates.answer(ip, "page", strategy, 400, LOGIN_WALL_BODY)
    return gates.ok(ip, "page", strategy, user_id, body)


def create_instagram_app(state: InstagramState) -> FastAPI:
    """Build the fake Instagram around ``state``; nothing runs until a server serves it."""
    app = FastAPI(title="intrend sandbox: fake Instagram", docs_url=None, redoc_url=None)
    app.state.sandbox = state
    app.state.gates = Gates(state)
    app.include_router(router)
    app.include_router(admin_routes.router)
    # Last, so every fixed path above is matched before the embedded page's /{username}/.
    app.include_router(strategy_routes.router)
    return app
