"""A Dagster pool per egress route: two runs never rotate the same modem.

With one route the step's own ``instagram`` pool keeps fetch runs apart, as it always has.
With several, a fetch step also takes a slot of each route's pool (``modem/<route>``, one
slot each) for as long as it fetches, through the instance's concurrency slots: the same
slots Dagster's pools are made of, so run monitoring frees a dead run's (``dagster.yaml``)
and ``dagster instance concurrency info`` shows who holds what. A step fetches through the
routes it got, waits while every one is taken, and gives them back when it ends. While the
``instagram`` pool lets one fetch step run at a time a step takes every route; raised to k,
a step takes a k-th of them, so k runs fetch side by side, none on another's modem.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dagster as dg

from intrend_assets.fetching.routes import EgressRoute

FETCH_POOL = "instagram"  # the fetch steps' own pool
ROUTE_POOL_PREFIX = "modem/"
WAIT_SECONDS = 3600.0  # a step waits this long for a route before failing (and retrying)
POLL_SECONDS = 2.0


def route_pool(route: str) -> str:
    return f"{ROUTE_POOL_PREFIX}{route}"


def _holder(step_key: str, route: str) -> str:
    """The slot holder's step key: one per route, so freeing one frees nothing else of
    the step (its ``instagram`` slot is the executor's)."""
    return f"{step_key}[route:{route}]"


def _ensure_limit(storage: object, pool: str) -> None:
    """One slot per route pool, unless someone has set its limit on purpose."""
    if storage.get_concurrency_info(pool).slot_count == 0:  # type: ignore[attr-defined]
        storage.set_concurrency_slots(pool, 1)  # type: ignore[attr-defined]


def claim_routes(
    instance: dg.DagsterInstance,
    run_id: str,
    step_key: str,
    routes: Sequence[EgressRoute],
    at_most: int | None = None,
) -> list[EgressRoute]:
    """The routes whose pool slot this step got now (possibly none, at most ``at_most``);
    the others are not left waiting in their pools' queues."""
    storage = instance.event_log_storage
    got: list[EgressRoute] = []
    for route in routes:
        if at_most is not None and len(got) >= at_most:
            break
        pool = route_pool(route.name)
        _ensure_limit(storage, pool)
        holder = _holder(step_key, route.name)
        if storage.claim_concurrency_slot(pool, run_id, holder).is_claimed:
            got.append(route)
        else:
            storage.free_concurrency_slot_for_step(run_id, holder)  # out of the queue
    return got


def fair_share(instance: dg.DagsterInstance, routes: Sequence[EgressRoute]) -> int:
    """Routes one fetch step takes: all of them while the ``instagram`` pool lets one step
    fetch at a time, else an even share, so that as many steps as it allows find routes."""
    limit = instance.event_log_storage.get_concurrency_info(FETCH_POOL).limit or 1
    return max(1, math.ceil(len(routes) / max(1, limit)))


def release_routes(
    instance: dg.DagsterInstance, run_id: str, step_key: str, routes: Sequence[EgressRoute]
) -> None:
    for route in routes:
        instance.event_log_storage.free_concurrency_slot_for_step(
            run_id, _holder(step_key, route.name)
        )


@contextmanager
def route_leases(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    routes: Sequence[EgressRoute],
    wait_seconds: float = WAIT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
) -> Iterator[Sequence[EgressRoute]]:
    """The routes this step may fetch through, held until the block ends."""
    instance = context.instance
    if len(routes) < 2 or not instance.event_log_storage.supports_global_concurrency_limits:
        yield routes
        return
    run_id, step_key = context.run.run_id, context.get_step_execution_context().step.key
    deadline = time.monotonic() + wait_seconds
    share = fair_share(instance, routes)
    got = claim_routes(instance, run_id, step_key, routes, share)
    while not got:
        if time.monotonic() > deadline:
            raise dg.Failure(f"every route was held by another run for {wait_seconds:g} s")
        time.sleep(poll_seconds)
        got = claim_routes(instance, run_id, step_key, routes, share)
    if len(got) < len(routes):
        held = sorted({r.name for r in routes} - {r.name for r in got})
        context.log.info(f"routes {', '.join(held)} left to other runs")
    try:
        yield got
    finally:
        release_routes(instance, run_id, step_key, got)
