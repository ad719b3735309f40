"""Instagram's rate limiting as observed: a per-IP budget in a sliding window, in sandbox time.

Only granted requests enter the window: a limited IP recovers once its old requests age out,
however often it knocks meanwhile (the field notes show recovery after "a few minutes").
Whether a refusal is a 401 or a 429 is a stable hash of (seed, ip, n-th refusal), so a run is
reproducible whatever the thread timing.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from typing import Any

from sandbox.rng import stable_unit

WAIT_MESSAGE = "Please wait a few minutes before you try again."
LIMITED_BODY: dict[str, Any] = {"message": WAIT_MESSAGE, "require_login": True, "status": "fail"}


class SlidingWindowLimiter:
    """At most ``budget`` granted requests per key within any ``window`` sandbox seconds."""

    def __init__(self, budget: int, window: float, clock: Callable[[], float]) -> None:
        self.budget = budget
        self.window = window
        self._clock = clock
        self._granted: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Record a request from ``key``; True when it is within the budget."""
        now = self._clock()
        with self._lock:
            times = self._granted[key]
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.budget:
                return False
            times.append(now)
            return True

    def spend(self, key: str) -> None:
        """Record a refused request that still counts against the budget (the burst rule's
        penalty); nothing is recorded once the budget is spent."""
        now = self._clock()
        with self._lock:
            times = self._granted[key]
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.budget:
                times.append(now)

    def remaining(self, key: str) -> int:
        now = self._clock()
        with self._lock:
            times = self._granted.get(key, deque())
            return max(0, self.budget - sum(1 for t in times if t > now - self.window))

    def reset(self) -> None:
        with self._lock:
            self._granted.clear()


class RefusalPicker:
    """Chooses 401 or 429 for each refusal; ``share_429`` of them are 429."""

    def __init__(self, seed: int, share_429: float) -> None:
        self.seed = seed
        self.share_429 = share_429
        self._refusals: Counter[str] = Counter()
        self._lock = threading.Lock()

    def status_for(self, ip: str) -> int:
        with self._lock:
            n = self._refusals[ip]
            self._refusals[ip] += 1
        return 429 if stable_unit(self.seed, "refusal", ip, n) < self.share_429 else 401


class RequestStats:
    """Answers per client IP, by status, by endpoint kind and by strategy; safe across threads.

    ``profile`` and ``page`` count every profile lookup and timeline page whatever the
    strategy; each request is also counted under its strategy's label: the strategy name for
    profile lookups (``web_profile_info``, ``embedded_page``...), ``page:<strategy>`` for
    timeline pages (``page:graphql_doc_id``), so a run's mix of ways in shows at a glance.
    """

    STATUSES = ("ok", "401", "429", "404", "400")
    KINDS = ("profile", "page")

    def __init__(self) -> None:
        self._per_ip: dict[str, Counter[str]] = defaultdict(Counter)
        self._lock = threading.Lock()

    @staticmethod
    def label(endpoint: str, strategy: str) -> str:
        """The per-strategy key: the strategy for profile lookups, ``kind:strategy`` else."""
        return strategy if endpoint == "profile" else f"{endpoint}:{strategy}"

    def record(self, ip: str, status: int, endpoint: str, strategy: str | None = None) -> None:
        label = "ok" if status == 200 else str(status)
        with self._lock:
            counts = self._per_ip[ip]
            counts[label] += 1
            counts["total"] += 1
            if endpoint in self.KINDS:
                counts[endpoint] += 1
            if strategy:
                counts[self.label(endpoint, strategy)] += 1

    def snapshot(self) -> dict[str, Any]:
        """``{"ips": {ip: {ok, 401, 429, 404, 400, total, profile, page, <labels>...}},
        "total": {...}}``; a strategy label appears once a request was counted under it."""
        fixed = (*self.STATUSES, "total", *self.KINDS)
        with self._lock:
            per_ip = {ip: dict(c) for ip, c in self._per_ip.items()}
        labels = sorted({k for c in per_ip.values() for k in c if _is_strategy_label(k)})
        ips = {
            ip: {
                **{k: c.get(k, 0) for k in fixed},
                **{k: c[k] for k in labels if c.get(k)},
            }
            for ip, c in per_ip.items()
        }
        total = {k: sum(c.get(k, 0) for c in per_ip.values()) for k in (*fixed, *labels)}
        return {"ips": ips, "total": total}

    def reset(self) -> None:
        with self._lock:
            self._per_ip.clear()


def _is_strategy_label(key: str) -> bool:
    """True for per-strategy keys (lower-case names), not statuses, totals or kinds."""
    return key[:1].isalpha() and key not in ("ok", "total", *RequestStats.KINDS)


class BurstCounter:
    """Arrivals per key within the last ``seconds`` sandbox seconds, refused ones included.

    The burst rule: a request is over the burst when, counting itself, more than ``limit``
    requests arrived from its key within ``seconds``. Every arrival is remembered, so a client
    that keeps knocking during a burst stays refused until it pauses for ``seconds``.
    """

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._arrived: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def over(self, key: str) -> bool:
        """Record an arrival from ``key``; True when it breaks the burst rule."""
        if self.limit <= 0:
            return False
        now = self._clock()
        with self._lock:
            times = self._arrived[key]
            while times and times[0] <= now - self.seconds:
                times.popleft()
            times.append(now)
            return len(times) > self.limit

    def reset(self) -> None:
        with self._lock:
            self._arrived.clear()
