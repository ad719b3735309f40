"""The tracked-profiles file.

Plain text: one username per line, ``#`` starts a comment. YAML (``.yaml``/``.yml``) when
profiles need their own refresh interval::

    default_refresh: 1d
    profiles:
      - nasa
      - username: natgeo
        refresh: 6h

Pure: reading and validating the list is separate from the sensors that act on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml

from intrend_assets.tracking.refresh import DEFAULT_INTERVAL, parse_duration
from intrend_assets.tracking.usernames import InvalidUsername, validate_username


@dataclass(frozen=True)
class TrackedProfiles:
    usernames: list[str] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (entry, text, reason)
    intervals: dict[str, timedelta] = field(default_factory=dict)
    default_interval: timedelta = DEFAULT_INTERVAL


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


def parse_tracked_yaml(text: str) -> TrackedProfiles:
    """The YAML form; entries are numbered from 1 in the ``profiles`` list."""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not isinstance(data.get("profiles", []), list):
        raise ValueError("expected a mapping with a 'profiles' list")
    default = parse_duration(data.get("default_refresh", "1d"))
    seen: dict[str, None] = {}
    intervals: dict[str, timedelta] = {}
    invalid: list[tuple[int, str, str]] = []
    for number, entry in enumerate(data.get("profiles") or [], start=1):
        raw = entry.get("username") if isinstance(entry, dict) else entry
        try:
            name = validate_username(raw)
            if isinstance(entry, dict) and "refresh" in entry:
                intervals[name] = parse_duration(entry["refresh"])
        except (InvalidUsername, ValueError) as exc:
            invalid.append((number, str(raw), getattr(exc, "reason", str(exc))))
            continue
        seen.setdefault(name, None)
    return TrackedProfiles(list(seen), invalid, intervals, default)


def read_tracked(path: Path) -> TrackedProfiles | None:
    """None when the file does not exist (nothing tracked yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if path.suffix in (".yaml", ".yml"):
        return parse_tracked_yaml(text)
    return parse_tracked(text)


@dataclass(frozen=True)
class ProfilesFile:
    """The tracked-profiles file a deployment names (``INTREND_PROFILES_FILE``)."""

    path: Path

    def read(self) -> TrackedProfiles | None:
        """The file's profiles, or None when there is no such file (nothing tracked yet)."""
        return read_tracked(self.path)
