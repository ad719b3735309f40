"""Pure classification of an Instagram answer into ok / private or one FetchError.

Kept free of httpx so it is tested on status codes and bodies alone.
"""

from __future__ import annotations

import json
from typing import Any

from intrend_assets.instagram.errors import (
    ConfigurationError,
    LoginWall,
    ProfileNotFound,
    RateLimited,
    UpstreamError,
)

_RATE_LIMIT_PHRASES = ("please wait a few minutes", "checkpoint_required", "rate limit")


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def classify_profile_answer(status: int, body: bytes) -> str:
    """Return ``"ok"`` or ``"private"`` for a usable profile body, else raise a FetchError."""
    payload = _decode(body)
    message = ""
    if isinstance(payload, dict):
        message = str(payload.get("message") or "").lower()
    text = message or body[:512].decode("utf-8", "replace").lower()

    if status == 401 and "useragent mismatch" in text:
        raise ConfigurationError(
            "Instagram rejected our headers: useragent mismatch", status=status
        )
    if status in (401, 429) or (isinstance(payload, dict) and payload.get("require_login")):
        raise RateLimited(message or f"HTTP {status}", status=status)
    if any(phrase in text for phrase in _RATE_LIMIT_PHRASES):
        raise RateLimited(message or text[:120], status=status)
    if status == 400 and "logged in" in text:
        raise LoginWall(message or "login required for this profile", status=status)
    if status == 404:
        raise ProfileNotFound("profile not found", status=status)
    if status >= 500 or status != 200:
        raise UpstreamError(f"HTTP {status}: {text[:120]}", status=status)
    if not isinstance(payload, dict):
        raise UpstreamError("body is not a JSON object", status=status)
    data = payload.get("data")
    if not isinstance(data, dict) or "user" not in data:
        raise UpstreamError("body has no data.user", status=status)
    user = data["user"]
    if user is None:
        raise ProfileNotFound("user is null", status=status)
    if not isinstance(user, dict):
        raise UpstreamError("data.user is not an object", status=status)
    return "private" if user.get("is_private") else "ok"


def classify_page_answer(status: int, body: bytes) -> str:
    """Like :func:`classify_profile_answer`, for a timeline (pagination) page: ``"ok"``."""
    if status == 200:
        payload = _decode(body)
        user = payload.get("data", {}).get("user") if isinstance(payload, dict) else None
        if isinstance(user, dict) and isinstance(user.get("edge_owner_to_timeline_media"), dict):
            return "ok"
    kind = classify_profile_answer(status, body)  # raises for every refusal it knows
    raise UpstreamError(f"a {kind} answer without a timeline", status=status)
