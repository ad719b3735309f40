"""The fetch loop: every profile ends stored or recorded as failed with its reason.

A fixed pool of workers takes profiles from a queue; each profile goes through the
configured fetch strategies (:mod:`.profile_fetch`), its timeline is paged past the profile
answer (:mod:`.timeline`), and each request is retried by what its refusal means
(:mod:`.attempts`). The outcome of every profile is filed in the raw store.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence

from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.profile_fetch import ProfileFetch
from intrend_assets.fetching.report import FetchReport, ProfileOutcome, ProgressCallback
from intrend_assets.fetching.request_log import RequestLog, Sink
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.fetching.run import FetchRun, Warn
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.raw_store.store import RawStore


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


async def _pool(
    names: list[str],
    work: Callable[[str], Awaitable[None]],
    size: int,
    deadline: float | None,
) -> None:
    """Run ``work`` over ``names`` on ``size`` workers; none starts a name after ``deadline``.

    A fixed pool rather than one task per profile: concurrency is bounded by construction,
    and a run over thousands of profiles holds no thousands of coroutines.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for name in names:
        queue.put_nowait(name)

    async def worker() -> None:
        while deadline is None or loop.time() <= deadline:
            try:
                name = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await work(name)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, size))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()


async def fetch_profiles(
    usernames: Sequence[str],
    strategies: BoundStrategies,
    gate: RotationGate,
    store: RawStore,
    policy: FetchPolicy,
    *,
    run_id: str = "",
    on_progress: ProgressCallback | None = None,
    on_warning: Warn | None = None,
    stop_after: float | None = None,
    log_sink: Sink | None = None,
) -> FetchReport:
    """Fetch every username, concurrently up to ``policy.concurrency``.

    ``strategies`` are the bound fetch strategies in order. ``on_warning`` hears once per run
    of each strategy found gone. ``stop_after`` (seconds) bounds an experiment: no new
    profile is started after it, and the report covers the profiles that were. ``log_sink``
    receives the request log in batches as the fetch goes, and the rest when it ends, however
    it ends (the report keeps every row too).
    """
    log = RequestLog(run_id, policy.pacing_name, log_sink)
    run = FetchRun(strategies, gate, store, policy, log, on_warning)
    report = run.report
    report.log = log.rows
    fetch = ProfileFetch(run)
    loop = asyncio.get_running_loop()
    started = loop.time()
    order = list(usernames)
    if policy.ordering == "shuffled":
        random.shuffle(order)
    done = 0

    async def tracked(name: str) -> None:
        nonlocal done
        outcome = await fetch.profile(name)
        report.outcomes[outcome.username] = outcome
        await _file(store, outcome)
        done += 1
        if on_progress is not None:
            on_progress(done, len(order), report)

    deadline = None if stop_after is None else started + stop_after
    try:
        await _pool(order, tracked, policy.concurrency, deadline)
    finally:
        log.flush()
    report.rotations = gate.stats.rotations
    report.unchanged_rotations = gate.stats.unchanged
    report.cooldown_waits = gate.stats.cooldown_waits
    report.modem_errors = gate.stats.modem_errors
    report.rotation_seconds = gate.stats.rotation_seconds
    report.seconds = loop.time() - started
    return report
