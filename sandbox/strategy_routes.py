"""The routes of the newer ways in: ``POST /graphql/query`` (graphql_doc_id) and the
embedded profile page (``GET /{username}/``), with the login page the wall redirects to.

They render the same world as web_profile_info (:meth:`Gates.graph_profile`) in the v1 shapes
(:mod:`sandbox.shapes_v1`) or as HTML (:mod:`sandbox.page_html`), so a post is the same row
whichever way it was fetched.
"""
# No "from __future__ import annotations": FastAPI reads the route annotations at runtime.

import json
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.drift_v1 import apply_drift_v1
from sandbox.gates import LOGIN_WALL_BODY, Gates, client_ip
from sandbox.page_html import login_page, not_found_page, page_result, preloader, profile_page
from sandbox.shapes_v1 import v1_timeline_body, v1_user_body
from sandbox.strategies import EMBEDDED_PAGE, GRAPHQL_DOC_ID

STALE_DOC_ID_BODY: dict[str, Any] = {
    "data": None,
    "errors": [
        {
            "message": "PersistedQueryNotFound",
            "code": 1675030,
            "summary": "Query not found",
            "severity": "CRITICAL",
        }
    ],
    "status": "ok",
}
INVALID_VARIABLES: dict[str, Any] = {"message": "invalid variables", "status": "fail"}


async def _form(request: Request) -> dict[str, str]:
    """The form fields of a POST (``application/x-www-form-urlencoded``), over the query
    string's: Instagram's web client sends ``doc_id`` and ``variables`` in the body."""
    fields = dict(request.query_params)
    body = (await request.body()).decode("utf-8", "replace")
    fields.update(parse_qsl(body, keep_blank_values=True))
    return fields


def _variables(text: str, *, timeline: bool) -> tuple[str, int, str | None]:
    """``(username, first, after)`` from the ``variables`` JSON; ValueError when malformed."""
    try:
        parsed = json.loads(text or "{}")
        username = parsed["username"]
        first = int(parsed.get("first", 12)) if timeline else 0
        after = parsed.get("after") if timeline else None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError("invalid variables") from exc
    if not isinstance(username, str) or not username:
        raise ValueError("invalid variables")
    if after is not None and not isinstance(after, str):
        raise ValueError("invalid variables")
    return username, first, after


router = APIRouter()


def _doc_kind(gates: Gates, doc_id: str) -> str:
    """Which query a doc_id names: ``profile``, ``page``, or ``stale_doc_id`` (counted under
    its own label, not as a lookup or page)."""
    cfg, doors = gates.cfg, gates.doors
    if doc_id == doors.doc_id("profile", cfg.profile_doc_id):
        return "profile"
    if doc_id == doors.doc_id("timeline", cfg.timeline_doc_id):
        return "page"
    return "stale_doc_id"


async def graphql_doc_id(request: Request) -> Response:
    gates: Gates = request.app.state.gates
    ip = client_ip(request)
    form = await _form(request)
    kind = _doc_kind(gates, form.get("doc_id", ""))
    refused = gates.closed(request, ip, kind, GRAPHQL_DOC_ID, app_id_checked=True)
    if refused is not None:
        return refused
    if kind == "stale_doc_id":
        gates.doors.count("stale_doc_id")
        return gates.answer(ip, kind, GRAPHQL_DOC_ID, 200, STALE_DOC_ID_BODY)
    try:
        username, first, after = _variables(form.get("variables", ""), timeline=kind == "page")
    except ValueError:
        return gates.answer(ip, kind, GRAPHQL_DOC_ID, 400, INVALID_VARIABLES)
    refused = await gates.admit(request, ip, kind, GRAPHQL_DOC_ID, app_id_checked=True)
    if refused is not None:
        return refused
    if kind == "profile":
        body = v1_user_body(gates.graph_profile(username) or {"data": {"user": None}})
    else:
        state = gates.state
        try:
            media = state.content.profile_timeline(
                username, first, after, state.content.cfg.content_now(state.clock.now())
            )
        except ValueError as exc:
            failed = {"message": str(exc), "status": "fail"}
            return gates.answer(ip, kind, GRAPHQL_DOC_ID, 400, failed)
        body = v1_timeline_body(media)
    if gates.walled(request, GRAPHQL_DOC_ID, username):
        return gates.answer(ip, kind, GRAPHQL_DOC_ID, 400, LOGIN_WALL_BODY)
    return gates.ok(ip, kind, GRAPHQL_DOC_ID, username, body, apply_drift_v1)


# Both spellings: Instagram's web client posts to /graphql/query, others to the slash form
# (which GET /graphql/query/ already holds for graphql_query_hash).
for _path in ("/graphql/query", "/graphql/query/"):
    router.add_api_route(_path, graphql_doc_id, methods=["POST"], name=f"graphql_doc_id {_path}")


@router.get("/accounts/login/")
async def login(next: str = "/") -> Response:
    """Where the embedded page's login wall points; not a strategy, not counted."""
    return Response(login_page(next), media_type="text/html")


@router.get("/{username}/")
async def embedded_page(request: Request, username: str) -> Response:
    gates: Gates = request.app.state.gates
    cfg = gates.cfg
    ip = client_ip(request)
    strategy = EMBEDDED_PAGE
    refused = await gates.admit(request, ip, "profile", strategy, app_id_checked=False)
    if refused is not None:
        return refused
    graph = gates.graph_profile(username)
    user = ((graph or {}).get("data") or {}).get("user")
    if graph is None or not isinstance(user, dict):
        page = not_found_page(username, cfg.page_shape)
        return gates.html(ip, "profile", strategy, 404, page)
    if gates.walled(request, strategy, username):
        target = f"/accounts/login/?next=/{quote(username, safe='')}/"
        return gates.html(ip, "profile", strategy, 302, b"", headers={"location": target})
    drifted = gates.faults.drift(username, graph)
    result = page_result((drifted.get("data") or {}).get("user"), cfg.page_shape)
    gates.state.stats.record(ip, 200, "profile", strategy)
    raw = gates.faults.encode(preloader(result))
    page = profile_page(user["username"], raw, user.get("full_name") or "")
    return Response(page, status_code=200, media_type="text/html")


__all__ = ["STALE_DOC_ID_BODY", "router"]
