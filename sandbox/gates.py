"""What every request to the fake Instagram passes through, whatever the strategy.

In order: the closed doors (useragent mismatch, a strategy gone), a strategy throttled for
everyone, the misbehaving switches (5xx, slow), GraphQL's own rate limit, the burst rule and
the rate limit (per IP, or per logged-in session for profile lookups), GraphQL's transient
execution errors, then, once the profile is known, the odd 4xx of web_profile_info and the
login wall. Keeping them in one place is what makes every
strategy share one budget and obey every switch the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from sandbox.faults import gzip_bomb
from sandbox.field_rules import GRAPHQL_EXECUTION_ERROR_BODY, GRAPHQL_RATE_LIMIT_BODY
from sandbox.instagram_state import InstagramState
from sandbox.page_html import GONE_HTML
from sandbox.ratelimit import LIMITED_BODY

EGRESS_HEADER = "x-sandbox-egress-ip"
SESSION_COOKIE = "sessionid"
LOGIN_WALL_BODY: dict[str, Any] = {
    "message": "Please make sure you are logged in to see this profile.",
    "status": "fail",
}
USERAGENT_MISMATCH_BODY: dict[str, Any] = {"message": "useragent mismatch", "status": "fail"}
NOT_FOUND_BODY: dict[str, Any] = {"message": "User not found", "status": "fail"}

Drift = Callable[[str, dict[str, Any]], dict[str, Any]]


def client_ip(request: Request) -> str:
    """The public IP Instagram would see: the proxy's stamp, else the TCP peer."""
    stamped = request.headers.get(EGRESS_HEADER)
    if stamped:
        return stamped
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label


class Gates:
    """The shared checks and answer helpers of the fake Instagram's routes.

    Every answer is counted in ``state.stats`` under the client IP, its kind (``profile``,
    ``page``) and its strategy.
    """

    def __init__(self, state: InstagramState) -> None:
        self.state = state
        self.faults = state.faults
        self.doors = state.faults.doors
        self.cfg = state.content.cfg
        self.field = state.field

    # ---- answers -------------------------------------------------------------------------

    def answer(self, ip: str, kind: str, strategy: str, status: int, body: Any) -> Response:
        """A JSON answer, counted."""
        self.state.stats.record(ip, status, kind, strategy)
        return JSONResponse(body, status_code=status)

    def html(
        self,
        ip: str,
        kind: str,
        strategy: str,
        status: int,
        body: bytes | str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """An HTML answer, counted."""
        self.state.stats.record(ip, status, kind, strategy)
        return Response(body, status_code=status, media_type="text/html", headers=headers)

    def ok(
        self,
        ip: str,
        kind: str,
        strategy: str,
        key: str,
        body: dict[str, Any],
        drift: Drift | None = None,
    ) -> Response:
        """A 200 JSON answer about ``key`` (a username or user id), through the shape-drift
        (``drift`` renders it on the body's shape) and encoding switches; counted."""
        self.state.stats.record(ip, 200, kind, strategy)
        if self.faults.take("bomb"):  # hostile: a small gzip answer inflating to 1 GiB
            bomb = {"content-encoding": "gzip"}
            return Response(gzip_bomb(), 200, headers=bomb, media_type="application/json")
        raw = self.faults.encode(self.faults.drift(key, body, drift))
        return Response(raw, status_code=200, media_type="application/json")

    # ---- the gates, in the order a request meets them ------------------------------------

    def closed(
        self, request: Request, ip: str, kind: str, strategy: str, *, app_id_checked: bool
    ) -> Response | None:
        """401 useragent mismatch (the switch, or a missing ``x-ig-app-id`` where checked
        under ``require_app_id``), else the gone status of a removed strategy, else None."""
        switched = self.doors.useragent_mismatch()
        missing_app_id = (
            app_id_checked and self.cfg.require_app_id and not request.headers.get("x-ig-app-id")
        )
        if switched or missing_app_id:
            if switched:
                self.doors.count("useragent_mismatch")
            return self.answer(ip, kind, strategy, 401, USERAGENT_MISMATCH_BODY)
        status = self.doors.gone(strategy)
        if status is not None:
            self.doors.count("gone")
            return self.html(ip, kind, strategy, status, GONE_HTML)
        return None

    async def misbehave(self, ip: str, kind: str, strategy: str) -> Response | None:
        """A 5xx or a slow answer when a fault switch says so (before the rate limit)."""
        status = self.faults.status()
        if status is not None:
            return self.html(ip, kind, strategy, status, b"<html>upstream error</html>")
        if self.faults.take("slow"):
            await asyncio.sleep(self.faults.slow_seconds)
        return None

    def session(self, request: Request) -> str | None:
        """The logged-in session of ``request``: its ``sessionid`` cookie when that is one
        of ``session_ids``; an unknown value is anonymous."""
        value = request.cookies.get(SESSION_COOKIE)
        return value if value and value in self.cfg.session_ids else None

    def limited(self, request: Request, ip: str, kind: str, strategy: str) -> Response | None:
        """The rate-limit refusal when the budget is spent, else None (the request counts).

        Profile lookups of every strategy share one budget: the IP's, or the session's for a
        logged-in request. Timeline pages of every strategy share the IP's page budget. A
        profile lookup that breaks the burst rule is refused and spends budget all the same.
        """
        state = self.state
        if kind == "profile":
            session = self.session(request)
            key = session or ip
            limiter = state.session_limiter if session else state.profile_limiter
            if state.burst.over(key):
                limiter.spend(key)
                self.field.count("burst_refused")
                granted = False
            else:
                granted = limiter.hit(key)
        else:
            granted = state.page_limiter.hit(ip)
        if granted:
            return None
        return self.answer(ip, kind, strategy, state.refusals.status_for(ip), LIMITED_BODY)

    def field_refusal(self, ip: str, kind: str, strategy: str) -> Response | None:
        """A strategy throttled for everyone: 401 "Please wait a few minutes" whatever the IP
        (not counted against any budget)."""
        if self.field.throttled(strategy):
            return self.answer(ip, kind, strategy, 401, LIMITED_BODY)
        return None

    def graphql_limited(self, ip: str, kind: str, strategy: str) -> Response | None:
        """GraphQL's own rate limit (code 1675004, HTTP 200 or 429) once the IP's GraphQL
        budget is spent; before the profile budget, which it then does not spend."""
        status = self.field.graphql_limited(ip, strategy)
        if status is None:
            return None
        return self.answer(ip, kind, strategy, status, GRAPHQL_RATE_LIMIT_BODY)

    def graphql_error(self, ip: str, kind: str, strategy: str) -> Response | None:
        """A transient GraphQL execution error (HTTP 200) for ``graphql_error_share`` of the
        admitted GraphQL requests; they have spent their budget."""
        if self.field.graphql_error(ip, strategy):
            return self.answer(ip, kind, strategy, 200, GRAPHQL_EXECUTION_ERROR_BODY)
        return None

    def odd(self, ip: str, strategy: str, username: str) -> Response | None:
        """The odd 4xx web_profile_info answers a business or creator account with."""
        if self.state.content.kind(username) != "public":
            return None
        found = self.field.odd_4xx(strategy, username)
        if found is None:
            return None
        status, body = found
        return self.answer(ip, "profile", strategy, status, body)

    def walled(self, request: Request, strategy: str, username: str) -> bool:
        """True when this anonymous request meets the login wall for ``username``: only
        public profiles, only under the ``login_wall`` switch, never with a valid session."""
        if self.session(request) is not None:
            return False
        content = self.state.content
        if content.kind(username) != "public" or self.faults.profile_override(username):
            return False
        if not self.doors.walled(self.cfg.seed, strategy, username):
            return False
        self.doors.count("login_walled")
        return True

    async def admit(
        self, request: Request, ip: str, kind: str, strategy: str, *, app_id_checked: bool
    ) -> Response | None:
        """The refusal of the first gate that stops the request (closed doors, throttle,
        misbehaving switches, GraphQL limit, burst rule and rate limit, GraphQL execution
        error), or None: then the request has counted against its budget."""
        refused = self.closed(request, ip, kind, strategy, app_id_checked=app_id_checked)
        if refused is None:
            refused = self.field_refusal(ip, kind, strategy)
        if refused is None:
            refused = await self.misbehave(ip, kind, strategy)
        if refused is None:
            refused = self.graphql_limited(ip, kind, strategy)
        if refused is None:
            refused = self.limited(request, ip, kind, strategy)
        if refused is None:
            refused = self.graphql_error(ip, kind, strategy)
        return refused

    # ---- the world -------------------------------------------------------------------------

    def graph_profile(self, username: str) -> dict[str, Any] | None:
        """The web_profile_info body for ``username`` now, after the ``private``/``deleted``
        switches; None means "HTTP 404"."""
        override = self.faults.profile_override(username)
        body = self.state.content.profile_response(
            username, self.state.content.cfg.content_now(self.state.clock.now())
        )
        if body is None or override == "deleted":
            return None
        user = (body.get("data") or {}).get("user")
        if override == "private" and isinstance(user, dict):
            user["is_private"] = True
            media = user.get("edge_owner_to_timeline_media") or {}
            media["edges"] = []
            media["page_info"] = {"has_next_page": False, "end_cursor": None}
        return body


__all__ = [
    "EGRESS_HEADER",
    "LOGIN_WALL_BODY",
    "NOT_FOUND_BODY",
    "USERAGENT_MISMATCH_BODY",
    "Gates",
    "client_ip",
]
