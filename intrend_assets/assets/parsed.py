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

import dagster as dg

from intrend_assets.automation import follow_upstream
from intrend_assets.parsing import ParsedProfile, ProfileParseError, parse_profile
from intrend_assets.raw_store import LocalRawStore, RawObject
from intrend_assets.refresh import posts_per_day
from intrend_assets.resources import RawStoreResource, WarehouseResource
from warehouse.load import load_parsed, mark_posts_wide_stale

# Parse and load in slices of fetches: memory stays flat however much is pending, and a
# crash part way keeps the slices already committed.
LOAD_BATCH = 250


class PostsConfig(dg.Config):
    full_refresh: bool = False
    """Also re-parse every profile's latest stored answer, not only the pending fetches (after
    a parser fix, or to rebuild the normalized tables from the raw store)."""


def _posting_rates(batch: list[ParsedProfile]) -> dict[str, float]:
    """Posts per day of each profile in the batch, from all its posts (answer and pages)."""
    times: dict[str, list] = {}
    for parsed in batch:
        if parsed.username:
            times.setdefault(parsed.username, []).extend(parsed.post_columns["taken_at"])
    return {name: posts_per_day(stamps) for name, stamps in times.items()}


def to_load(store: LocalRawStore, full_refresh: bool) -> list[RawObject]:
    """The fetches this run loads, oldest first: the pending ones, and with ``full_refresh``
    every profile's latest answer too."""
    objects = {obj.key: obj for obj in store.pending()}
    if full_refresh:
        for username in store.usernames():
            latest = store.latest(username)
            if latest is not None:
                objects.setdefault(latest.key, latest)
    return sorted(objects.values(), key=lambda o: (o.fetched_at, o.username))


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
    raw_store: RawStoreResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """One row per post (and one per profile fetch) from every fetch not yet loaded.

    Each ``raw_profile`` fetch is queued in the raw store (``pending/``) once its answer and
    pages are stored; this loads the queue, oldest fetch first, and clears a fetch from it
    only after its rows are committed. Loads are upserts by key, so loading a fetch twice
    (after a crash between commit and clear) never duplicates a post.
    """
    started = time.perf_counter()
    store = raw_store.store()
    todo = to_load(store, config.full_refresh)
    context.log.info(
        f"{len(todo)} fetches to load" + (" (full refresh)" if config.full_refresh else "")
    )
    loaded_posts = loaded_profiles = 0
    missing: list[str] = []
    unparseable: dict[str, str] = {}
    with warehouse.connect() as con:
        for start in range(0, len(todo), LOAD_BATCH):
            objects = todo[start : start + LOAD_BATCH]
            batch = []
            for obj in objects:
                if obj.size < 0:  # queued, then deleted from the store by hand
                    missing.append(obj.key)
                    continue
                # The profile answer, then the timeline pages fetched right after it. A bad
                # page costs only its own posts; a bad profile answer is recorded as failed.
                for number, key in enumerate([obj.key, *store.pages(obj)]):
                    try:
                        batch.append(
                            parse_profile(
                                store.read(key), fetched_at=obj.fetched_at, username=obj.username
                            )
                        )
                    except ProfileParseError as exc:
                        unparseable[key] = str(exc)
                        if number == 0:
                            store.record_failure(obj.username, "invalid", str(exc), 0)
                            break
            for username, rate in _posting_rates(batch).items():
                store.write_cadence(username, rate)
            if batch:
                stats = load_parsed(con, batch)
                mark_posts_wide_stale(con, {p.username for p in batch if p.username})
                loaded_posts += stats.posts
                loaded_profiles += stats.profiles
            store.clear_pending(objects)  # committed: these are loaded
            context.log.info(f"loaded {start + len(objects)}/{len(todo)} fetches")
    if missing:
        context.log.warning(f"{len(missing)} queued fetches were gone from the raw store")
    if unparseable:
        context.log.warning(f"{len(unparseable)} raw answers could not be parsed")
    return dg.MaterializeResult(
        metadata={
            "fetches_loaded": len(todo) - len(missing),
            "profiles": len({obj.username for obj in todo}),
            "profiles_loaded": loaded_profiles,
            "posts_loaded": loaded_posts,
            "mode": "full refresh" if config.full_refresh else "pending fetches",
            "missing_from_raw_store": dg.MetadataValue.json(missing[:50]),
            "seconds": round(time.perf_counter() - started, 2),
            "warehouse": dg.MetadataValue.path(warehouse.path),
            "denormalized_in": dg.MetadataValue.asset(dg.AssetKey("posts_wide")),
            "unparseable": dg.MetadataValue.json(dict(list(unparseable.items())[:50])),
        }
    )
