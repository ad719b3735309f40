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
    """Unix seconds of the ``oe`` parameter, or ``None`` when absent or malformed."""
    if not url:
        return None
    match = _OE_RE.search(url)
    return int(match.group(1), 16) if match else None


def url_expires_at(url: str | None) -> datetime | None:
    """The ``oe`` expiry as an aware UTC datetime, or ``None``."""
    epoch = url_expiry_epoch(url)
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
