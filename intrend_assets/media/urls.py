"""Which media addresses may be fetched: Instagram's CDN hosts, or an origin named explicitly.

An address comes from an answer, which an attacker (or a drifted shape) may fill with
anything: ``http://169.254.169.254/``, ``http://localhost:8000/rotate``, a file URL. Only
``https`` on a CDN host name is fetched, never an IP literal nor a name with credentials or an
odd port. The one exception is an origin in ``allowed_origins`` (``scheme://host:port``,
exactly), which the sandbox sets for its loopback CDN.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

import httpx

CDN_HOST = re.compile(r"(?:[a-z0-9-]+\.)*(?:cdninstagram\.com|fbcdn\.net)")


class MediaUrlRefused(ValueError):
    """An address the downloader will not fetch; says why, without fetching anything."""


def origin_of(url: httpx.URL) -> str:
    """``scheme://host:port`` of ``url``, the port always written."""
    return f"{url.scheme}://{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"


def normal_origins(origins: Iterable[str]) -> frozenset[str]:
    """The allowed origins in :func:`origin_of`'s form (a trailing slash or path ignored)."""
    return frozenset(origin_of(httpx.URL(o.strip())) for o in origins if o.strip())


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def check_url(url: str, allowed_origins: frozenset[str] = frozenset()) -> httpx.URL:
    """``url`` parsed, if it may be fetched; else :class:`MediaUrlRefused`."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise MediaUrlRefused(f"not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise MediaUrlRefused(f"scheme {parsed.scheme!r} is not fetched")
    if parsed.userinfo:
        raise MediaUrlRefused("credentials in a media URL")
    if origin_of(parsed) in allowed_origins:
        return parsed
    host = parsed.host.lower()
    if _is_ip(host):
        raise MediaUrlRefused(f"an IP address ({host}) is not a CDN host")
    if parsed.scheme != "https" or parsed.port not in (None, 443):
        raise MediaUrlRefused("only https on port 443 reaches the CDN")
    if not CDN_HOST.fullmatch(host):
        raise MediaUrlRefused(f"{host} is not an Instagram CDN host")
    return parsed
