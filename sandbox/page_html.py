"""The HTML the embedded_page strategy sees: profile pages, the not-found page, the login page.

The graph user rides inside a ``<script type="application/json" data-sjs>`` block, nested as
Instagram's Relay preloader nests it (``docs/instagram-strategies.md``, "Embedded page"), among
other JSON blocks that carry no user, so a parser must search rather than index.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

PRELOADER = "adp_PolarisProfilePageContentQueryRelayPreloader_0"
GONE_HTML = (
    '<!DOCTYPE html><html lang="en"><head><title>Page Not Found &bull; Instagram</title>'
    "</head><body><h1>Page Not Found</h1></body></html>"
)


def page_result(user: dict[str, Any] | None, shape: str = "data_user") -> dict[str, Any]:
    """The preloader's result for ``user`` (None: not found) in the page shape ``shape``:
    ``data.user`` (older pages) or ``data.xig_user_by_username`` (today's, as instaloader 4.16
    reads it)."""
    key = "xig_user_by_username" if shape == "xig_user_by_username" else "user"
    return {"data": {key: user}, "extensions": {}}


def preloader(result: Any) -> dict[str, Any]:
    """``result`` (:func:`page_result`) wrapped as the Relay preloader wraps it."""
    cache = ["RelayPrefetchedStreamCache", "next", [], [PRELOADER, {"__bbox": {"result": result}}]]
    return {"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"require": [cache]}}]]]}


def script_json(raw: bytes) -> bytes:
    """JSON bytes made safe inside a ``<script>``: no ``<`` can close the block early."""
    return raw.replace(b"<", b"\\u003c")


def _block(raw: bytes) -> bytes:
    head = f'<script type="application/json" data-content-len="{len(raw)}" data-sjs>'
    return head.encode() + raw + b"</script>"


def _config_block(username: str) -> bytes:
    """A block without any user, as the real page carries dozens of them."""
    config = {
        "require": [
            ["ScheduledServerJS", "handle", None, [{"__bbox": {"define": [
                ["PolarisSiteData", [], {"country_code": "CA", "username": None}, 1],
                ["CurrentUserInitialData", [], {"ACCOUNT_ID": "0", "USER_ID": "0"}, 2],
                ["PolarisPathContext", [], {"path": f"/{username}/"}, 3],
            ]}}]],
        ]
    }  # fmt: skip
    return script_json(json.dumps(config, separators=(",", ":")).encode())


def _page(title: str, username: str, blocks: list[bytes], body_text: str = "") -> bytes:
    head = (
        '<!DOCTYPE html><html lang="en" class="_9dls"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<link rel="manifest" href="/data/manifest.json"></head><body>'
    )
    tail = f'<div id="mount_0_0_xY">{escape(body_text)}</div></body></html>'
    return head.encode() + _block(_config_block(username)) + b"".join(blocks) + tail.encode()


def profile_page(username: str, preloader_json: bytes, full_name: str = "") -> bytes:
    """The profile page; ``preloader_json`` is :func:`preloader` serialized (possibly spoiled
    by the encoding fault switches, as a JSON answer would be)."""
    title = f"{full_name} (@{username}) • Instagram photos and videos"
    return _page(title, username, [_block(script_json(preloader_json))])


def not_found_page(username: str, shape: str = "data_user") -> bytes:
    """An unknown user's page (HTTP 404). Unlike :data:`GONE_HTML` it is a full Instagram page
    whose preloader answers a null user, the contract's "profile not found"."""
    empty = json.dumps(preloader(page_result(None, shape))).encode()
    text = "Sorry, this page isn't available."
    return _page("Instagram", username, [_block(script_json(empty))], text)


def login_page(next_path: str) -> bytes:
    """Where the login wall's 302 points: a login form and no profile."""
    return _page("Login • Instagram", "accounts/login", [], f"Log in to continue to {next_path}")


__all__ = ["GONE_HTML", "login_page", "not_found_page", "page_result", "preloader", "profile_page"]
