"""Test helper: :func:`parse_profile` that insists the answer is a timeline page.

Production code tells a page from a full answer by ``ParsedProfile.kind``; the tests want a
parse that fails loudly when a body they built as a page is read as a profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from intrend_assets.parsing.profile import ParsedProfile, ProfileParseError, parse_profile


def parse_timeline_page(
    payload: bytes | bytearray | memoryview | str | Mapping[str, Any],
    *,
    fetched_at: datetime | float | str | None = None,
    username: str | None = None,
) -> ParsedProfile:
    """A pagination page (same post code as :func:`parse_profile`); refuses a full profile."""
    parsed = parse_profile(payload, fetched_at=fetched_at, username=username)
    if parsed.kind != "timeline_page":
        raise ProfileParseError(username, "expected a timeline page, got a full profile answer")
    return parsed
