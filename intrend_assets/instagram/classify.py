"""Pure classification of an Instagram answer into ok / private or one FetchError.

Kept free of httpx so it is tested on status codes and bodies alone. Refusals are shared by
every strategy (:func:`classify_refusal`); what a *good* answer looks like depends on its shape
(:func:`json_user`, :func:`embedded_user`, :func:`v1_timeline_page`,
:func:`graph_timeline_page`), which each strategy record in :mod:`.strategies` names. An answer
of the wrong shape means the strategy has changed (:class:`StrategyGone`), not that the profile
is bad.
"""

from __future__ import annotations

import json
from typing import Any

from intrend_assets.instagram.errors import (
    ConfigurationError,
    LoginWall,
    ProfileNotFound,
    ProfileRefused,
    RateLimited,
    StrategyGone,
    UpstreamError,
)
from intrend_assets.instagram.http import Answer
from intrend_assets.parsing.shapes import (
    V1_TIMELINE,
    detect_shape,
    extract_embedded,
    graphql_errors,
)

_RATE_LIMIT_PHRASES = ("please wait a few minutes", "checkpoint_required", "rate limit")
_LOGIN_PATHS = ("/accounts/login",)
_GRAPHQL_RATE_LIMIT_CODES = frozenset({1675004})
_CHALLENGE_PATHS = ("/challenge", "/checkpoint")


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _is_html(body: bytes) -> bool:
    return body.lstrip()[:1] == b"<"


def classify_refusal(
    status: int, body: bytes, location: str | None = None, *, missing_is_html: bool = False
) -> None:
    """Raise the FetchError a non-200 (or GraphQL error) answer means; return on a 200.

    ``missing_is_html``: for the HTML profile page, Instagram's full 404 page (with its script
    blocks) is how a missing profile looks; a bare HTML 404, and any HTML 404 from a JSON
    strategy, means the strategy itself is gone.
    """
    payload = _decode(body)
    message = ""
    if isinstance(payload, dict):
        message = str(payload.get("message") or "").lower()
    text = message or body[:512].decode("utf-8", "replace").lower()

    errors = graphql_errors(payload)
    if errors:
        _graphql_refusal(payload, errors, status)
    if 300 <= status < 400:
        target = (location or "").lower()
        if any(p in target for p in _LOGIN_PATHS):
            raise LoginWall("redirected to the login page", status=status)
        if any(p in target for p in _CHALLENGE_PATHS):
            raise RateLimited(f"redirected to a challenge ({target[:80]})", status=status)
        raise StrategyGone(f"HTTP {status} redirect to {target[:80] or 'nowhere'}", status=status)
    if status == 401 and "useragent mismatch" in text:
        raise ConfigurationError(
            "Instagram rejected our headers: useragent mismatch (check INTREND_USER_AGENT and "
            "INTREND_APP_ID)",
            status=status,
        )
    if status == 400 and "logged in" in text:
        raise LoginWall(message or "login required for this profile", status=status)
    if status in (401, 429) or (isinstance(payload, dict) and payload.get("require_login")):
        raise RateLimited(message or f"HTTP {status}", status=status)
    if any(phrase in text for phrase in _RATE_LIMIT_PHRASES):
        raise RateLimited(message or text[:120], status=status)
    if status == 404 and not _is_html(body):
        raise ProfileNotFound("profile not found", status=status)
    if status == 404 and missing_is_html and b"data-sjs" in body:
        # Instagram's own "Sorry, this page isn't available" page, not a bare error page.
        raise ProfileNotFound("profile not found", status=status)
    if status in (404, 410):
        raise StrategyGone(f"HTTP {status}: its URL answers {text[:60]!r}", status=status)
    if 400 <= status < 500:
        # A 4xx no rule above knows (a deleted business-category asset, 403,
        # feedback_required): about this profile on this strategy; retrying cannot help.
        raise ProfileRefused(f"HTTP {status}: {text[:160]}", status=status)
    if status != 200:
        raise UpstreamError(f"HTTP {status}: {text[:120]}", status=status)


def _graphql_refusal(payload: Any, messages: list[str], status: int) -> None:
    """Raise what a GraphQL error answer means: its own rate limit (rotate, whatever the HTTP
    status), an execution error (transient: a few percent of answers there), or a query the
    server no longer knows (the strategy may be gone)."""
    codes = {e.get("code") for e in payload.get("errors", []) if isinstance(e, dict)}
    lowered = [m.lower() for m in messages]
    shown = "; ".join(message[:120] for message in messages[:3])
    if _GRAPHQL_RATE_LIMIT_CODES & codes or any("rate limit" in m for m in lowered):
        raise RateLimited(f"GraphQL rate limit: {shown}", status=status)
    if any("execution error" in m for m in lowered):
        raise UpstreamError(f"GraphQL execution error: {shown}", status=status)
    raise StrategyGone(f"GraphQL refused the query: {shown}", status=status)


def _user_kind(user: Any, status: int, what: str) -> str:
    if user is None:
        raise ProfileNotFound("user is null", status=status)
    if not isinstance(user, dict) or not (user.get("username") or user.get("id")):
        raise StrategyGone(f"{what} has no usable user object: the answer changed", status=status)
    return "private" if user.get("is_private") else "ok"


def json_user(answer: Answer) -> str:
    """A JSON answer carrying ``data.user`` (web_profile_info, the GraphQL profile query)."""
    status, body = answer.status, answer.body
    classify_refusal(status, body, answer.location)
    payload = _decode(body)
    if payload is None and not _is_html(body):  # cut short or garbled on the way: transient
        raise UpstreamError("the answer is not valid JSON", status=status)
    if not isinstance(payload, dict):
        raise StrategyGone("the answer is not a JSON object: the strategy changed", status=status)
    data = payload.get("data")
    if not isinstance(data, dict) or "user" not in data:
        raise StrategyGone("the answer has no data.user: the strategy changed", status=status)
    return _user_kind(data["user"], status, "data.user")


def embedded_user(answer: Answer) -> str:
    """The HTML profile page, the user JSON embedded in one of its script blocks."""
    classify_refusal(answer.status, answer.body, answer.location, missing_is_html=True)
    try:
        found = extract_embedded(answer.body.decode("utf-8", "replace"))
    except ValueError as exc:
        raise StrategyGone(f"the profile page carries no profile JSON ({exc})") from None
    return _user_kind((found.get("data") or {}).get("user"), answer.status, "the profile page")


def _timeline_payload(answer: Answer) -> Any:
    classify_refusal(answer.status, answer.body, answer.location)
    payload = _decode(answer.body)
    if payload is None and not _is_html(answer.body):
        raise UpstreamError("the page is not valid JSON", status=answer.status)
    return payload


def v1_timeline_page(answer: Answer) -> str:
    """A page of the v1 timeline connection (the GraphQL doc_id timeline)."""
    if detect_shape(_timeline_payload(answer)) == V1_TIMELINE:
        return "ok"
    raise StrategyGone("a v1 page without a timeline: the answer changed", status=answer.status)


def graph_timeline_page(answer: Answer) -> str:
    """A page of ``data.user.edge_owner_to_timeline_media`` (the query_hash timeline)."""
    payload = _timeline_payload(answer)
    data = payload.get("data") if isinstance(payload, dict) else None
    user = data.get("user") if isinstance(data, dict) else None
    if isinstance(user, dict) and isinstance(user.get("edge_owner_to_timeline_media"), dict):
        return "ok"
    raise StrategyGone("a graph page without a timeline: the answer changed", status=answer.status)
