"""The fetch loop: every profile ends stored or recorded as failed with its reason.

A fixed pool of workers per egress route (:mod:`.routes`) takes profiles from one queue;
each profile goes through the configured fetch strategies (:mod:`.profile_fetch`), its
timeline is paged past the profile answer (:mod:`.timeline`), and each request is retried by
what its refusal means (:mod:`.attempts`). The outcome of every profile is filed in the raw
store. A fixed pool rather than one task per profile: concurrency is bounded by
construction, and a run over thousands of profiles holds no thousands of coroutines.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.profile_fetch import ProfileFetch
from intrend_assets.fetching.report import FetchReport, ProfileOutcome, ProgressCallback
from intrend_assets.fetching.request_log import RequestLog, Sink
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.fetching.routes import DEFAULT_ROUTE, RouteDown, RouteHealth
from intrend_assets.fetching.run import FetchRun, Warn
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.raw_store.store import RawStore

BENCHED_POLL_SECONDS = 0.5  # how often a benched route's idle workers look again


async def _file(store: RawStore, outcome: ProfileOutcome) -> None:
    """Clear a stored profile's failure record, or write a failed one's."""
    if outcome.outcome in ("stored", "private") and outcome.complete:
        await asyncio.to_thread(store.clear_failure, outcome.username)
    else:  # invalid names too: the store files them by hash, never by the name
        await asyncio.to_thread(
            store.record_failure,
            outcome.username,
            outcome.outcome if outcome.complete else "incomplete",
            outcome.reason,
            outcome.attempts,
        )


class _Work:
    """The profiles still to fetch, shared by the workers of every route.

    A profile whose route is benched under it goes back to the front; workers with nothing
    to take wait while profiles are in flight elsewhere (one may come back), and stop when
    none is left anywhere. None starts a profile after ``deadline``.
    """

    def __init__(self, names: list[str], deadline: float | None) -> None:
        self._todo = deque(names)
        self._in_flight = 0
        self._deadline = deadline
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def take(self, benched: Callable[[], bool]) -> str | None:
        while self._deadline is None or self._loop.time() <= self._deadline:
            if not self._todo and not self._in_flight:
                return None
            if benched():  # its route rests: look again shortly (the bench may end)
                await asyncio.sleep(BENCHED_POLL_SECONDS)
                continue
            if self._todo:
                self._in_flight += 1
                return self._todo.popleft()
            await self._changed.wait()
        return None

    def done(self, name: str, again: bool = False) -> None:
        self._in_flight -= 1
        if again:
            self._todo.appendleft(name)
        self._wake()


@dataclass
class Lane:
    """One route of a fetch: its strategies bound to a client through its proxy, its gate
    (its modem), and its health (None: never benched)."""

    route: str
    strategies: BoundStrategies
    gate: RotationGate
    health: RouteHealth | None = None


def _runs(
    lanes: Sequence[Lane],
    store: RawStore,
    policy: FetchPolicy,
    log: RequestLog,
    report: FetchReport,
    on_warning: Warn | None,
) -> list[FetchRun]:
    """One :class:`FetchRun` per route, all filing into ``report`` (so a strategy gone is
    gone for every route); with one route, nothing is ever benched."""

    def others_up(lane: Lane) -> Callable[[], bool]:
        return lambda: any(o is not lane and not _benched(o) for o in lanes)

    return [
        FetchRun(
            lane.strategies,
            lane.gate,
            store,
            policy,
            log,
            on_warning,
            report=report,
            route=lane.route,
            health=lane.health,
            others_up=others_up(lane) if len(lanes) > 1 else None,
        )
        for lane in lanes
    ]


def _benched(lane: Lane) -> bool:
    return lane.health is not None and lane.health.benched


def _sum_up(report: FetchReport, runs: list[FetchRun], lanes: Sequence[Lane]) -> None:
    """The run's totals over its routes, and each route's share."""
    stats = [run.gate.stats for run in runs]
    report.rotations = sum(s.rotations for s in stats)
    report.unchanged_rotations = sum(s.unchanged for s in stats)
    report.cooldown_waits = sum(s.cooldown_waits for s in stats)
    report.modem_errors = sum(s.modem_errors for s in stats)
    report.rotation_seconds = sum(s.rotation_seconds for s in stats)
    report.benched = {}
    for run in runs:
        for key, times in run.throttles.benched.items():
            report.benched[key] = report.benched.get(key, 0) + times
    for lane, run in zip(lanes, runs, strict=True):
        share = report.routes.setdefault(lane.route, {"handed_over": 0})
        share["profiles"] = sum(1 for o in report.outcomes.values() if o.route == lane.route)
        share["rotations"] = run.gate.stats.rotations
        share["benched"] = lane.health.benches if lane.health is not None else 0


async def fetch_profiles(
    usernames: Sequence[str],
    strategies: BoundStrategies,
    gate: RotationGate,
    store: RawStore,
    policy: FetchPolicy,
    *,
    route: str = DEFAULT_ROUTE,
    **options: Any,
) -> FetchReport:
    """Fetch every username through one route (one modem); see :func:`fetch_through_routes`."""
    return await fetch_through_routes(
        usernames, [Lane(route, strategies, gate)], store, policy, **options
    )


async def fetch_through_routes(
    usernames: Sequence[str],
    lanes: Sequence[Lane],
    store: RawStore,
    policy: FetchPolicy,
    *,
    run_id: str = "",
    on_progress: ProgressCallback | None = None,
    on_warning: Warn | None = None,
    stop_after: float | None = None,
    log_sink: Sink | None = None,
) -> FetchReport:
    """Fetch every username, concurrently up to ``policy.concurrency`` on each route.

    Each lane's strategies go out through its route. ``on_warning`` hears once per run of
    each strategy found gone. ``stop_after`` (seconds) bounds an experiment: no new profile
    is started after it, and the report covers the profiles that were. ``log_sink`` receives
    the request log in batches as the fetch goes, and the rest when it ends, however it ends
    (the report keeps every row too).
    """
    log = RequestLog(run_id, policy.pacing_name, log_sink)
    report = FetchReport(log=log.rows)
    runs = _runs(lanes, store, policy, log, report, on_warning)
    loop = asyncio.get_running_loop()
    started = loop.time()
    order = list(usernames)
    if policy.ordering == "shuffled":
        random.shuffle(order)
    work = _Work(order, None if stop_after is None else started + stop_after)
    done = 0

    async def worker(run: FetchRun, fetch: ProfileFetch) -> None:
        nonlocal done
        while (name := await work.take(run.route_benched)) is not None:
            try:
                outcome = await fetch.profile(name)
            except RouteDown:  # its route is benched: another route fetches it
                report.routes.setdefault(run.route, {"handed_over": 0})["handed_over"] += 1
                work.done(name, again=True)
                continue
            except BaseException:
                work.done(name)
                raise
            outcome.route = run.route
            report.outcomes[outcome.username] = outcome
            await _file(store, outcome)
            done += 1
            work.done(name)
            if on_progress is not None:
                on_progress(done, len(order), report)

    fetches = [(run, ProfileFetch(run)) for run in runs]
    tasks = [
        asyncio.create_task(worker(run, fetch))
        for run, fetch in fetches
        for _ in range(max(1, policy.concurrency))
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        log.flush()
    _sum_up(report, runs, lanes)
    report.seconds = loop.time() - started
    return report
