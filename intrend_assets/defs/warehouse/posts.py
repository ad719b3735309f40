"""``posts``: raw answers parsed into rows and loaded into the warehouse's normalized tables.

Not partitioned, on purpose (the design sketch had ``posts[username]``). ``raw_profile`` is
the per-profile asset: it is what a run fetches, fails, or retries one profile at a time.
``posts`` loads whatever fetches are pending in the raw store, whichever runs stored them.
Two reasons:

- Dagster writes a planned and a materialization event per partition and asset; a ranged run
  of 500 profiles spent over a second on ``posts``' 1,000 events alone. One event per run is
  the difference between the orchestration overhead the issue allows and more.
- The pending set is durable and independent of runs: a fetch whose load failed or was
  killed is loaded by the next ``posts`` run, whatever that run fetched, and a profile
  fetched twice before a load has both fetches loaded (oldest first), so fast update's pages
  from the first are not lost behind the second.
"""

import time
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.parsing.profile import ParsedProfile, ProfileParseError, parse_profile
from intrend_assets.raw_store.store import LocalRawStore, RawObject
from intrend_assets.tracking.refresh import posts_per_day
from warehouse.load import load_parsed, mark_posts_wide_stale

# Parse and load in slices of fetches: memory stays flat however much is pending, and a
# crash part way keeps the slices already committed.
LOAD_BATCH = 250


class PostsConfig(dg.Config):
    full_refresh: bool = False
    """Re-parse every fetch the raw store holds, oldest first, not only the pending ones
    (after a parser fix, or to rebuild the normalized tables from the raw store)."""


def _posting_rates(batch: list[ParsedProfile]) -> dict[str, float]:
    """Posts per day of each profile in the batch, from all its posts (answer and pages)."""
    times: dict[str, list] = {}
    for parsed in batch:
        if parsed.username:
            times.setdefault(parsed.username, []).extend(parsed.post_columns["taken_at"])
    return {name: posts_per_day(stamps) for name, stamps in times.items()}


def to_load(store: LocalRawStore, full_refresh: bool) -> tuple[list[RawObject], set[str]]:
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


@dataclass
class _LoadReport:
    fetches: int = 0
    profiles: int = 0
    posts: int = 0
    set_aside: int = 0
    missing: list[str] = field(default_factory=list)
    unparseable: dict[str, str] = field(default_factory=dict)


def _parse_fetch(
    store: LocalRawStore, obj: RawObject, unparseable: dict[str, str]
) -> list[ParsedProfile]:
    """The profile answer, then the timeline pages fetched right after it. A bad page costs
    only its own posts; a bad profile answer costs the fetch, recorded as failed."""
    parsed: list[ParsedProfile] = []
    for number, key in enumerate([obj.key, *store.pages(obj)]):
        try:
            body = store.read(key)  # an OSError here is the disk's, not the fetch's: raise
        except FileNotFoundError:
            why = "gone from the raw store"
        else:
            try:
                parsed.append(parse_profile(body, fetched_at=obj.fetched_at, username=obj.username))
                continue
            except ProfileParseError as exc:
                why = str(exc)
            except Exception as exc:  # a parser bug on odd input: this fetch's, not the queue's
                why = f"{type(exc).__name__} in the parser: {exc}"
        unparseable[key] = why
        if number == 0:
            store.record_failure(obj.username, "invalid", why, 0)
            return []
    return parsed


def _load(
    con: duckdb.DuckDBPyConnection,
    store: LocalRawStore,
    fetches: list[tuple[RawObject, list[ParsedProfile]]],
    report: _LoadReport,
) -> list[tuple[RawObject, str]]:
    """Load parsed fetches in one transaction; returns those the warehouse refused.

    Should a batch fail, its fetches are loaded one by one: one fetch the warehouse refuses
    must not hold the whole queue (and every run after) back. If it refuses every one, the
    warehouse itself is the problem: the error is raised and the queue stays as it was.
    """
    if not fetches:
        return []
    try:
        _commit(con, store, fetches, report)
        return []
    except Exception as exc:
        if len(fetches) == 1:
            raise
        first = exc
    refused = []
    for fetch in fetches:
        try:
            _commit(con, store, [fetch], report)
        except Exception as exc:
            refused.append((fetch[0], f"{type(exc).__name__}: {exc}"))
    if len(refused) == len(fetches):
        raise first
    report.set_aside += len(refused)
    return refused


def _commit(
    con: duckdb.DuckDBPyConnection,
    store: LocalRawStore,
    fetches: list[tuple[RawObject, list[ParsedProfile]]],
    report: _LoadReport,
) -> None:
    batch = [parsed for _, answers in fetches for parsed in answers]
    stats = load_parsed(con, batch)
    mark_posts_wide_stale(con, {p.username for p in batch if p.username})
    for username, rate in _posting_rates(batch).items():
        store.write_cadence(username, rate)
    report.fetches += len(fetches)
    report.posts += stats.posts
    report.profiles += stats.profiles


@dg.asset(
    deps=["raw_profile"],
    group_name="parsed",
    kinds={"python", "polars", "duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
)
def posts(
    context: dg.AssetExecutionContext,
    config: PostsConfig,
    raw_store: dg.ResourceParam[LocalRawStore],
    warehouse: dg.ResourceParam[WarehouseFile],
) -> dg.MaterializeResult:
    """One row per post (and one per profile fetch) from every fetch not yet loaded.

    Each ``raw_profile`` fetch is queued in the raw store (``pending/``) once its answer and
    pages are stored; this loads the queue, oldest fetch first, and clears a fetch from it
    only after its rows are committed. Loads are upserts by key, so loading a fetch twice
    (after a crash between commit and clear) never duplicates a post.
    """
    started = time.perf_counter()
    store = raw_store
    todo, pending = to_load(store, config.full_refresh)
    context.log.info(
        f"{len(todo)} fetches to load" + (" (full refresh)" if config.full_refresh else "")
    )
    report = _LoadReport()
    with warehouse.connect() as con:
        for start in range(0, len(todo), LOAD_BATCH):
            objects = todo[start : start + LOAD_BATCH]
            fetches = []
            for obj in objects:
                if obj.size < 0:  # queued, then deleted from the store by hand
                    report.missing.append(obj.key)
                    continue
                parsed = _parse_fetch(store, obj, report.unparseable)
                if parsed:
                    fetches.append((obj, parsed))
            refused = _load(con, store, fetches, report)
            for obj, why in refused:
                context.log.error(f"the warehouse refused {obj.key}, set aside: {why}")
                store.set_aside_pending(obj, why)
            # Committed (or set aside): off the queue. Only what was queued: see to_load.
            store.clear_pending(o for o in objects if o.key in pending)
            context.log.info(f"loaded {start + len(objects)}/{len(todo)} fetches")
    if report.missing:
        context.log.warning(f"{len(report.missing)} queued fetches were gone from the raw store")
    if report.unparseable:
        context.log.warning(f"{len(report.unparseable)} raw answers could not be parsed")
    return dg.MaterializeResult(
        metadata={
            "fetches_loaded": report.fetches,
            "profiles": len({obj.username for obj in todo}),
            "profiles_loaded": report.profiles,
            "posts_loaded": report.posts,
            "set_aside": report.set_aside,
            "mode": "full refresh" if config.full_refresh else "pending fetches",
            "missing_from_raw_store": dg.MetadataValue.json(report.missing[:50]),
            "seconds": round(time.perf_counter() - started, 2),
            "warehouse": dg.MetadataValue.path(str(warehouse.path)),
            "denormalized_in": dg.MetadataValue.asset(dg.AssetKey("posts_wide")),
            "unparseable": dg.MetadataValue.json(dict(list(report.unparseable.items())[:50])),
        }
    )
