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

    The first match of ``_OE_RE``, searched from the first ``oe=`` (a plain substring
    search) rather than tried at every character of a 300-character URL: no match can
    start before it.
    """
    if not url or (at := url.find("oe=", 1)) == -1:
        return None
    match = _OE_RE.search(url, at - 1)
    return None if match is None else int(match[1], 16)


def url_expires_at(url: str | None) -> datetime | None:
    """The ``oe`` expiry as an aware UTC datetime, or ``None``.

    :func:`url_expiry_epoch` written out: this runs once per post of every load, and the
    call, like a time zone passed by keyword to ``fromtimestamp``, cost as much as the work.
    """
    if not url or (at := url.find("oe=", 1)) == -1:
        return None
    match = _OE_RE.search(url, at - 1)
    if match is None:
        return None
    try:
        return datetime.fromtimestamp(int(match[1], 16), UTC)
    except (OverflowError, OSError, ValueError):
        return None
