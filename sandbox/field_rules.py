"""The fake Instagram's field behaviours: what Instagram did to scrapers in 2025-2026.

Each is off unless its :class:`~sandbox.config.SandboxConfig` field (or, for the throttle,
the ``throttle`` door switch) turns it on; ``sandbox/README.md`` ("Field mode") gives the
sources. :class:`FieldRules` answers the gates' questions and counts what it did (``used``,
``GET /_sandbox/field``).

Every dice roll is a stable hash of (seed, key, n-th request of that key), so a run is
reproducible whatever the thread timing, like the 401/429 mix of the rate limit.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.doors import Doors
from sandbox.ratelimit import SlidingWindowLimiter
from sandbox.rng import stable_unit
from sandbox.strategies import GRAPHQL_DOC_ID, GRAPHQL_QUERY_HASH, WEB_PROFILE_INFO_STRATEGIES

GRAPHQL_STRATEGIES = (GRAPHQL_DOC_ID, GRAPHQL_QUERY_HASH)

ASSET_DELETED_BODY: dict[str, Any] = {
    "message": "Asset asset://laser.provider/ig_business_category_subvertical has been "
    "deleted. You cannot use this schema",
    "status": "fail",
}
FORBIDDEN_BODY: dict[str, Any] = {"message": "", "status": "fail"}
FEEDBACK_REQUIRED_BODY: dict[str, Any] = {
    "message": "feedback_required",
    "spam": True,
    "feedback_title": "Try Again Later",
    "feedback_message": "We limit how often you can do certain things on Instagram to protect "
    "our community. Tell us if you think we made a mistake.",
    "feedback_url": "repute/report_problem/scraping/",
    "feedback_action": "report_problem",
    "status": "fail",
}
# (share of the odd profiles, status, body): most are the asset error of instaloader #2724.
ODD_4XX_KINDS: tuple[tuple[float, int, dict[str, Any]], ...] = (
    (0.7, 400, ASSET_DELETED_BODY),
    (0.15, 403, FORBIDDEN_BODY),
    (0.15, 400, FEEDBACK_REQUIRED_BODY),
)
GRAPHQL_RATE_LIMIT_BODY: dict[str, Any] = {
    "errors": [{"message": "Rate limit exceeded", "code": 1675004}]
}
GRAPHQL_EXECUTION_ERROR_BODY: dict[str, Any] = {
    "data": None,
    "errors": [{"message": "execution error", "severity": "CRITICAL"}],
    "status": "ok",
}


class FieldRules:
    """The field behaviours of one fake Instagram (see the module docstring)."""

    def __init__(self, cfg: SandboxConfig, clock: SandboxClock, doors: Doors) -> None:
        self.cfg = cfg
        self.clock = clock
        self.doors = doors
        self.graphql_limiter = SlidingWindowLimiter(
            cfg.graphql_budget, cfg.window_seconds, clock.now
        )
        self._requests: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self.used: Counter[str] = Counter()

    def _nth(self, what: str, key: str) -> int:
        with self._lock:
            n = self._requests[what, key]
            self._requests[what, key] += 1
            return n

    def count(self, what: str) -> None:
        with self._lock:
            self.used[what] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.used)

    def reset(self) -> None:
        self.graphql_limiter.reset()

    # ---- what the gates ask ----------------------------------------------------------------

    def throttled(self, strategy: str) -> bool:
        """True while ``strategy`` answers "Please wait a few minutes" to every IP: in the
        configured throttle period, or under the ``throttle`` door switch."""
        hit = self.cfg.throttled(strategy, self.clock.now()) or self.doors.throttled(strategy)
        if hit:
            self.count("throttled")
        return hit

    def graphql_limited(self, ip: str, strategy: str) -> int | None:
        """The status (200 or 429) of GraphQL's own rate-limit answer when ``ip`` has spent
        its GraphQL budget, else None (the request counts)."""
        if strategy not in GRAPHQL_STRATEGIES or self.cfg.graphql_budget <= 0:
            return None
        if self.graphql_limiter.hit(ip):
            return None
        self.count("graphql_rate_limited")
        n = self._nth("graphql-limit", ip)
        as_429 = stable_unit(self.cfg.seed, "gql-429", ip, n) < self.cfg.graphql_429_share
        return 429 if as_429 else 200

    def graphql_error(self, ip: str, strategy: str) -> bool:
        """True when this GraphQL answer is a transient execution error."""
        share = self.cfg.graphql_error_share
        if strategy not in GRAPHQL_STRATEGIES or share <= 0:
            return False
        if stable_unit(self.cfg.seed, "gql-error", ip, self._nth("graphql", ip)) >= share:
            return False
        self.count("graphql_execution_error")
        return True

    def odd_4xx(self, strategy: str, username: str) -> tuple[int, dict[str, Any]] | None:
        """The odd 4xx web_profile_info gives ``username`` (a public business or creator
        account, fixed per seed and name), else None."""
        share = self.cfg.odd_4xx_share
        if strategy not in WEB_PROFILE_INFO_STRATEGIES or share <= 0:
            return None
        if not self.is_odd(username):
            return None
        roll = stable_unit(self.cfg.seed, "odd-4xx-kind", username.lower())
        chosen = ODD_4XX_KINDS[-1]
        for kind in ODD_4XX_KINDS:
            if roll < kind[0]:
                chosen = kind
                break
            roll -= kind[0]
        _, status, body = chosen
        self.count(f"odd_{status}")
        return status, body

    def is_odd(self, username: str) -> bool:
        """True for the profiles web_profile_info refuses under ``odd_4xx_share``."""
        share = self.cfg.odd_4xx_share
        return share > 0 and stable_unit(self.cfg.seed, "odd-4xx", username.lower()) < share


__all__ = [
    "ASSET_DELETED_BODY",
    "FEEDBACK_REQUIRED_BODY",
    "FORBIDDEN_BODY",
    "GRAPHQL_EXECUTION_ERROR_BODY",
    "GRAPHQL_RATE_LIMIT_BODY",
    "GRAPHQL_STRATEGIES",
    "FieldRules",
]
