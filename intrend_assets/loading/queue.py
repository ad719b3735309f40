"""The posts queue: stored fetches, oldest first, parsed and loaded into the warehouse.

``raw_profile`` queues each fetch in the raw store (``pending/``) once its answer and pages
are stored. A load takes the queue, parses and loads it in slices of :data:`LOAD_BATCH`
fetches, and clears a fetch from the queue only after its rows are committed; loads are
upserts by key, so loading a fetch twice (after a crash between commit and clear) never
duplicates a post. The queue is durable and independent of runs: a fetch whose load failed
or was killed is loaded next time, and a profile fetched twice before a load has both
fetches loaded, oldest first, so fast update's pages from the first are not lost.

Only a fetch whose own rows the warehouse refuses is set aside; when the environment stops a
load (a full disk, an I/O error, a lock: :mod:`.errors`), the load raises
:class:`~intrend_assets.loading.errors.LoadBlocked` and every fetch not committed stays queued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from intrend_assets.loading.errors import LoadBlocked, environment_label
from intrend_assets.loading.pool import parsed_slices
from intrend_assets.loading.slices import SliceAnswer, read_fetch
from intrend_assets.parsing.profile import ParsedProfile, parse_profile
from intrend_assets.raw_store.store import RawObject, RawStore
from intrend_assets.tracking.refresh import posts_per_day
from warehouse.load import load_parsed

# Parse and load in slices of fetches: memory stays flat however much is pending, and a
# crash part way keeps the slices already committed. A slice is one transaction, and each
# has costs of its own (a commit, a scan of the batch's keys): a first load of 1M posts took
# 113 s in slices of 500 fetches and 96 s in slices of 2,000 (~24,000 posts), at the same
# peak memory (~0.7 GiB), with three slices in flight (two parsing, one loading).
LOAD_BATCH = 2000


@dataclass
class LoadReport:
    """What a load of the queue did, summed over its batches."""

    fetches: int = 0  # fetches committed
    profiles: int = 0  # profiles loaded (distinct per batch, summed)
    posts: int = 0  # posts loaded (distinct per batch, summed)
    set_aside: int = 0  # fetches the warehouse refused, moved out of the queue
    missing: list[str] = field(default_factory=list)  # queued, gone from the raw store
    unparseable: dict[str, str] = field(default_factory=dict)  # raw key -> why
    # Posting rates of the profiles committed, not yet written to the raw store.
    rates: dict[str, float] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class BatchDone:
    """One slice committed and cleared from the queue."""

    loaded: int  # fetches of ``todo`` handled so far (loaded, set aside, missing or unparseable)
    refused: list[tuple[RawObject, str]]  # set aside in this slice, with the warehouse's error


def to_load(store: RawStore, full_refresh: bool) -> tuple[list[RawObject], set[str]]:
    """The fetches this run loads, oldest first, and the keys of those that are pending.

    With ``full_refresh``, every stored fetch: under fast update a fetch's pages hold only the
    posts since the one before, so re-parsing only the latest answers would leave older posts
    as the old parser read them. Only the pending keys are taken off the queue afterwards: a
    stored answer that is not pending yet may still be paging in another run.
    """
    pending = store.pending()
    objects = {obj.key: obj for obj in pending}
    if full_refresh:
        for username in store.usernames():
            for obj in store.objects(username):
                objects.setdefault(obj.key, obj)
    ordered = sorted(objects.values(), key=lambda o: (o.fetched_at, o.username))
    return ordered, {obj.key for obj in pending}


def load_queue(
    con: duckdb.DuckDBPyConnection,
    store: RawStore,
    todo: list[RawObject],
    pending: set[str],
    report: LoadReport,
    *,
    workers: int = 0,
) -> Iterator[BatchDone]:
    """Parse and load ``todo`` slice by slice, yielding after each slice leaves the queue.

    A fetch the warehouse refuses is set aside in the raw store (not lost, not retried for
    ever); only keys in ``pending`` are cleared (see :func:`to_load`). With ``workers`` of
    1 or more, slices are parsed in as many processes ahead of the load, in order
    (:mod:`.pool`); 0 parses here. An error of the environment raises
    :class:`LoadBlocked`, with the fetches not cleared yet still queued.
    """
    slices = [todo[start : start + LOAD_BATCH] for start in range(0, len(todo), LOAD_BATCH)]
    done = 0
    cleared = 0  # todo[:cleared] is off the queue
    try:
        with _AfterCommit() as after:
            for objects, parsed in parsed_slices(store, slices, workers, parse_profile):
                report.missing.extend(obj.key for obj in objects if obj.size < 0)
                fetches = []
                for fetch in parsed:
                    report.unparseable.update(fetch.unparseable)
                    if fetch.failed is not None:
                        store.record_failure(fetch.obj.username, "invalid", fetch.failed, 0)
                    elif fetch.answers:
                        fetches.append((fetch.obj, fetch.answers))
                refused = load_fetches(con, store, fetches, report)
                for obj, why in refused:
                    store.set_aside_pending(obj, why)
                # Committed (or set aside): off the queue. Only what was queued: see to_load.
                rates, report.rates = report.rates, {}
                after.submit(_clear, store, [o for o in objects if o.key in pending], rates)
                cleared, done = done, done + len(objects)  # the slice before is cleared
                yield BatchDone(loaded=done, refused=refused)
        store.fold_cadences()  # the slices' rates, one delta each, into the one map
    except Exception as exc:
        if (label := environment_label(exc)) is None:
            raise
        queued = sum(1 for o in todo[cleared:] if o.key in pending)
        raise LoadBlocked(exc, label, queued) from exc


def parse_fetch(
    store: RawStore, obj: RawObject, unparseable: dict[str, str]
) -> list[ParsedProfile]:
    """The profile answer, then the timeline pages fetched right after it, parsed here. A
    bad page costs only its own posts; a bad profile answer costs the fetch, recorded as
    failed."""
    outcome, parsed = read_fetch(store, obj, parse_profile)
    unparseable.update(outcome.unparseable)
    if outcome.failed is not None:
        store.record_failure(obj.username, "invalid", outcome.failed, 0)
    return parsed


def _clear(store: RawStore, cleared: list[RawObject], rates: dict[str, float]) -> None:
    store.clear_pending(cleared)
    store.write_cadences(rates)


class _AfterCommit:
    """The file work that follows a slice's commit (its markers off the queue, its profiles'
    posting rates), done in a thread while the next slice loads: thousands of small files,
    whose creation and removal wait on the disk, not the CPU. One slice's work at a time;
    an error in it is raised at the next slice, or on leaving, which waits for the last.
    A crash in between leaves committed fetches queued: they load again (upserts by key)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="load-after-commit")
        self._last: Future[None] | None = None

    def submit(self, fn: Callable[..., None], *args: object) -> None:
        if self._last is not None:
            self._last.result()
        self._last = self._pool.submit(fn, *args)

    def __enter__(self) -> _AfterCommit:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)
        if self._last is not None and exc[0] is None:
            self._last.result()


def load_fetches(
    con: duckdb.DuckDBPyConnection,
    store: RawStore,
    fetches: list[tuple[RawObject, list[SliceAnswer]]],
    report: LoadReport,
) -> list[tuple[RawObject, str]]:
    """Load parsed fetches in one transaction; returns those the warehouse refused.

    Should a batch fail for a reason of its rows, its fetches are loaded one by one: one
    fetch the warehouse refuses must not hold the whole queue (and every run after) back. An
    error of the environment (:func:`~intrend_assets.loading.errors.environment_label`), in
    the batch or in any one fetch, is raised at once: it is no fetch's fault, and a disk that
    fills part way must not turn the fetches after it into refusals. If the warehouse
    refuses every fetch of a batch of several, it is the problem, not they: the first error is
    raised and the queue stays as it was.
    """
    if not fetches:
        return []
    try:
        _commit(con, store, fetches, report)
        return []
    except Exception as exc:
        if environment_label(exc) is not None:
            raise
        first = exc
    refused = []
    for fetch in fetches:
        try:
            _commit(con, store, [fetch], report)
        except Exception as exc:
            if environment_label(exc) is not None:
                raise
            refused.append((fetch[0], f"{type(exc).__name__}: {exc}"))
    if len(refused) == len(fetches) > 1:
        raise first
    report.set_aside += len(refused)
    return refused


def _commit(
    con: duckdb.DuckDBPyConnection,
    store: RawStore,
    fetches: list[tuple[RawObject, list[SliceAnswer]]],
    report: LoadReport,
) -> None:
    batch = [parsed for _, answers in fetches for parsed in answers]
    stats = load_parsed(con, batch)  # marks what it changed, inside its own transaction
    report.rates.update(posting_rates(batch))
    report.fetches += len(fetches)
    report.posts += stats.posts
    report.profiles += stats.profiles


def posting_rates(batch: Sequence[SliceAnswer]) -> dict[str, float]:
    """Posts per day of each profile in the batch, from all its posts (answer and pages)."""
    times: dict[str, list[datetime]] = {}
    for parsed in batch:
        if parsed.username:
            times.setdefault(parsed.username, []).extend(parsed.taken_at)
    return {name: posts_per_day(stamps) for name, stamps in times.items()}
