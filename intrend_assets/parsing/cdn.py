"""Instagram CDN URLs: when their signature expires.

Media URLs carry ``oe=<hex Unix time>``; after that instant the CDN answers "URL signature
expired", so anything that needs the media must fetch it before then. Old URLs (2017) carry
no ``oe`` and never expire as far as we know: they give ``None``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_OE_RE = re.compile(r"[?&]oe=([0-9A-Fa-f]{1,16})(?:&|#|$)")


def url_expiry_epoch(url: str | None) -> int | None:
    """Unix seconds of the ``oe`` parameter, or ``None`` when absent or malformed.

    The first match of ``_OE_RE``, found from each ``oe=`` (a plain substring search) rather
    than by trying the pattern at every character of a 300-character URL.
    """
    if not url:
        return None
    at = url.find("oe=", 1)
    while at != -1:
        if url[at - 1] in "?&" and (match := _OE_RE.match(url, at - 1)) is not None:
            return int(match.group(1), 16)
        at = url.find("oe=", at + 1)
    return None


def url_expires_at(url: str | None) -> datetime | None:
    """The ``oe`` expiry as an aware UTC datetime, or ``None``.

    :func:`url_expiry_epoch` written out: this runs once per post of every load, and the
    call, like a time zone passed by keyword to ``fromtimestamp``, cost as much as the work.
    """
    if not url:
        return None
    at = url.find("oe=", 1)
    while at != -1:
        if url[at - 1] in "?&" and (match := _OE_RE.match(url, at - 1)) is not None:
            try:
                return datetime.fromtimestamp(int(match.group(1), 16), UTC)
            except (OverflowError, OSError, ValueError):
                return None
        at = url.find("oe=", at + 1)
    return None
