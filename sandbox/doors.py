"""Door switches: Instagram closing or moving the ways in, one strategy at a time.

Where the other fault switches make answers fail, these change what Instagram *is*: a share
of profiles behind the login wall on one strategy, new doc_ids, headers no longer accepted,
an endpoint removed. They are part of :class:`~sandbox.faults.SandboxFaults` (same
``POST /_sandbox/faults``, same reset) and, like every fault switch, end by themselves at
``MAX_FAULT_SECONDS`` after they were set.

Each switch replaces its previous value as a whole (``{"login_wall": {}}`` opens every door
again):

- ``login_wall``: ``{"<strategy>": share}``; that share (0..1) of public profiles, chosen by a
  stable hash of (seed, strategy, username), meet the login wall on that strategy.
- ``gone``: ``{"<strategy>": 404 | 410}``; that strategy answers that status, HTML body.
- ``doc_ids``: ``{"profile": "...", "timeline": "..."}``; the doc_ids accepted from now on
  (either key may be left out: it keeps the configured one).
- ``useragent_mismatch``: ``true``; every Instagram request answers 401 useragent mismatch.
- ``throttle``: ``["<strategy>", ...]``; those strategies answer every IP 401 "Please wait a
  few minutes" (``require_login``) while the others work, as in instaloader #2501.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.rng import stable_unit
from sandbox.strategies import STRATEGIES

DOOR_SWITCHES = ("login_wall", "gone", "doc_ids", "useragent_mismatch", "throttle")
DOC_ID_KINDS = ("profile", "timeline")
GONE_STATUSES = (404, 410)
_OFF: dict[str, Any] = {"useragent_mismatch": False, "throttle": ()}


def _strategy_map(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be an object keyed by strategy name")
    unknown = sorted(set(value) - set(STRATEGIES))
    if unknown:
        known = ", ".join(STRATEGIES)
        raise ValueError(f"{name}: unknown strategy {unknown[0]!r}; known: {known}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_door(name: str, value: Any) -> Any:
    """The validated value of door switch ``name``; ValueError says what is wrong."""
    if name == "login_wall":
        shares = _strategy_map(name, value)
        for strategy, share in shares.items():
            if not _is_number(share) or not 0.0 <= float(share) <= 1.0:
                raise ValueError(f"login_wall[{strategy!r}] must be a share between 0 and 1")
        return {s: float(v) for s, v in shares.items()}
    if name == "gone":
        statuses = _strategy_map(name, value)
        for strategy, status in statuses.items():
            if status not in GONE_STATUSES or isinstance(status, bool):
                raise ValueError(f"gone[{strategy!r}] must be 404 or 410")
        return {s: int(v) for s, v in statuses.items()}
    if name == "doc_ids":
        if not isinstance(value, Mapping):
            raise ValueError("doc_ids must be an object like {'profile': '...', 'timeline': '...'}")
        unknown = sorted(set(value) - set(DOC_ID_KINDS))
        if unknown:
            raise ValueError(f"doc_ids: unknown key {unknown[0]!r}; known: profile, timeline")
        for kind, doc_id in value.items():
            if not isinstance(doc_id, str | int) or isinstance(doc_id, bool) or not str(doc_id):
                raise ValueError(f"doc_ids[{kind!r}] must be a non-empty string")
        return {k: str(v) for k, v in value.items()}
    if name == "useragent_mismatch":
        if not isinstance(value, bool):
            raise ValueError("useragent_mismatch must be true or false")
        return value
    if name == "throttle":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("throttle must be a list of strategy names")
        _strategy_map(name, dict.fromkeys(value))
        return tuple(value)
    raise ValueError(f"unknown door switch {name!r}")


class Doors:
    """Thread-safe door switches, each bounded to ``max_seconds`` on ``clock``."""

    def __init__(self, clock: Callable[[], float], max_seconds: float) -> None:
        self._clock = clock
        self._max_seconds = max_seconds
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._values: dict[str, Any] = {
                "login_wall": {},
                "gone": {},
                "doc_ids": {},
                "useragent_mismatch": False,
                "throttle": (),
            }
            self._until = dict.fromkeys(DOOR_SWITCHES, 0.0)
            self.used = {"login_walled": 0, "gone": 0, "stale_doc_id": 0, "useragent_mismatch": 0}

    def set(self, values: Mapping[str, Any]) -> None:
        """Validate every switch in ``values`` first, then set them all (all or nothing)."""
        parsed = {name: parse_door(name, value) for name, value in values.items()}
        until = self._clock() + self._max_seconds
        with self._lock:
            for name, value in parsed.items():
                self._values[name] = value
                self._until[name] = until

    def _get(self, name: str) -> Any:
        with self._lock:
            if self._clock() >= self._until[name]:
                return _OFF.get(name, {})
            return self._values[name]

    def snapshot(self) -> dict[str, Any]:
        now = self._clock()
        values = {name: self._get(name) for name in DOOR_SWITCHES}
        with self._lock:
            values["doors_seconds"] = {
                name: round(max(0.0, until - now), 3) for name, until in self._until.items()
            }
        return values

    def count(self, what: str) -> None:
        """Count one answer a door switch shaped (shown under ``used``)."""
        with self._lock:
            self.used[what] += 1

    # What the fake Instagram asks ----------------------------------------------------------

    def walled(self, seed: int, strategy: str, username: str) -> bool:
        """True when ``username`` (a public profile) meets the login wall on ``strategy``."""
        share = self._get("login_wall").get(strategy, 0.0)
        if share <= 0.0:
            return False
        return stable_unit(seed, "login-wall", strategy, username.lower()) < share

    def gone(self, strategy: str) -> int | None:
        """The 404/410 status ``strategy`` answers while it is gone, else None."""
        return self._get("gone").get(strategy)

    def doc_id(self, kind: str, configured: str) -> str:
        """The doc_id accepted for ``kind`` ("profile" or "timeline") now."""
        return self._get("doc_ids").get(kind, configured)

    def useragent_mismatch(self) -> bool:
        return bool(self._get("useragent_mismatch"))

    def throttled(self, strategy: str) -> bool:
        """True while ``strategy`` is throttled for everyone by the ``throttle`` switch."""
        return strategy in self._get("throttle")


__all__ = ["DOC_ID_KINDS", "DOOR_SWITCHES", "GONE_STATUSES", "Doors", "parse_door"]
