"""The tracked-profiles file: one username per line, ``#`` starts a comment.

Pure: reading and validating the list is separate from the sensor that acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from intrend_assets.usernames import InvalidUsername, validate_username


@dataclass(frozen=True)
class TrackedProfiles:
    usernames: list[str] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason)


def parse_tracked(text: str) -> TrackedProfiles:
    """Valid usernames in file order (first occurrence wins) and the lines that were not."""
    seen: dict[str, None] = {}
    invalid: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            seen.setdefault(validate_username(entry), None)
        except InvalidUsername as exc:
            invalid.append((number, entry, exc.reason))
    return TrackedProfiles(list(seen), invalid)


def read_tracked(path: Path) -> TrackedProfiles | None:
    """None when the file does not exist (nothing tracked yet)."""
    try:
        return parse_tracked(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
