"""What every part of one fetch run on one route shares: the bound strategies, the gate, the
store, the policy, the report, which strategies this run has dropped, and the route's health."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from intrend_assets.fetching.budget import IpBudget
from intrend_assets.fetching.burst import BurstGuard
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.request_log import RequestLog
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.fetching.routes import DEFAULT_ROUTE, RouteHealth
from intrend_assets.fetching.throttle import Throttles
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.errors import StrategyGone
from intrend_assets.raw_store.store import RawStore

Warn = Callable[[str], None]
Named = TypeVar("Named")
GONE_IN_A_ROW = 3  # gone-looking answers, with no usable one between, that drop a strategy


@dataclass
class FetchRun:
    strategies: BoundStrategies
    gate: RotationGate
    store: RawStore
    policy: FetchPolicy
    log: RequestLog
    warn: Warn | None = None
    report: FetchReport = field(default_factory=FetchReport)
    route: str = DEFAULT_ROUTE
    health: RouteHealth | None = None
    others_up: Callable[[], bool] | None = None  # whether another route can take the work
    throttles: Throttles = field(init=False)
    burst: BurstGuard = field(init=False)
    budget: IpBudget = field(init=False)
    _gone_in_a_row: dict[str, int] = field(default_factory=dict)
    _page_turn: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.throttles = Throttles(self.policy.bench_seconds)
        self.report.benched = self.throttles.benched
        self.burst = BurstGuard(self.policy.burst_pause_seconds)
        self.budget = IpBudget(self.gate)

    def _may_bench(self) -> bool:
        """A route is benched only while another one can take its profiles."""
        return self.health is not None and self.others_up is not None and self.others_up()

    def route_benched(self) -> bool:
        return self._may_bench() and self.health is not None and self.health.benched

    async def route_down(self) -> bool:
        """After a network error: whether the route's modem is down (the route benched)."""
        return self._may_bench() and self.health is not None and await self.health.modem_down()

    def route_stuck(self) -> bool:
        """After a rotation that found no new IP: bench the route if another can take over."""
        if not self._may_bench() or self.health is None:
            return False
        self.health.bench("stuck: a rotation found no new IP")
        return True

    @contextlib.asynccontextmanager
    async def page_turn(self, session: bool = False) -> AsyncIterator[None]:
        """Hold for one page request. With ``paging="interleaved"`` pages take turns across
        the profiles being paged: asyncio's lock wakes its waiters in arrival order, so a
        profile that just had a page queues behind the others (round robin).

        A session stint's pages skip the turn: the stint holds the IP, a rotation waits for
        it, and a turn held by a request waiting on that rotation would never come round."""
        if self.policy.paging != "interleaved" or session:
            yield
            return
        async with self._page_turn:
            yield

    def is_gone(self, kind: str, name: str) -> bool:
        return f"{kind}:{name}" in self.report.gone

    def answered(self, kind: str, name: str) -> None:
        """A usable answer: whatever gone-looking answers came before were not the end."""
        self._gone_in_a_row.pop(f"{kind}:{name}", None)

    def gone_answer(self, kind: str, name: str, exc: StrategyGone) -> bool:
        """Count a gone-looking answer; after ``GONE_IN_A_ROW`` of them with no usable one
        between, take the strategy out of this run and say so once, loudly. True when it is
        out. One odd answer (a hiccup, a partial deploy) never drops a strategy."""
        key = f"{kind}:{name}"
        if key in self.report.gone:
            return True
        self._gone_in_a_row[key] = self._gone_in_a_row.get(key, 0) + 1
        if self._gone_in_a_row[key] < GONE_IN_A_ROW:
            return False
        self.report.gone[key] = str(exc)
        if self.warn is not None:
            self.warn(
                f"{kind} strategy {name!r} is gone for this run ({exc}); falling back to the "
                "next one. If it stays gone, update its doc_id/host in the settings or drop "
                "it from the strategy order."
            )
        return True

    def is_benched(self, kind: str, name: str) -> bool:
        return self.throttles.is_benched(f"{kind}:{name}")

    def open(self, kind: str, strategies: Sequence[Named]) -> list[Named]:
        """The strategies of ``kind`` not dropped in this run, in their order; the benched
        ones only when nothing else is left (a bench is a preference, not a drop)."""
        usable = [s for s in strategies if not self.is_gone(kind, s.name)]  # type: ignore[attr-defined]
        rested = [s for s in usable if not self.is_benched(kind, s.name)]  # type: ignore[attr-defined]
        return rested or usable

    def others_open(self, kind: str, name: str, session: bool) -> bool:
        """Whether a strategy of ``kind`` other than ``name`` is neither gone nor benched."""
        bound = self.strategies
        if kind == "profile":
            pool = bound.session_profile if session else bound.profile
        else:
            pool = bound.session_timeline if session else bound.timeline
        return any(
            s.name != name and not self.is_gone(kind, s.name) and not self.is_benched(kind, s.name)
            for s in pool
        )
