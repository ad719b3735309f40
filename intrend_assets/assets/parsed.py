"""``posts``: raw answers parsed into rows and loaded into the warehouse's normalized tables."""

import time

import dagster as dg

from intrend_assets.automation import follow_upstream
from intrend_assets.parsing import ParsedProfile, ProfileParseError, parse_profile
from intrend_assets.partitions import profiles_backfill_policy, profiles_partitions
from intrend_assets.refresh import posts_per_day
from intrend_assets.resources import RawStoreResource, WarehouseResource
from intrend_assets.usernames import InvalidUsername
from warehouse.load import load_parsed, mark_posts_wide_stale

# Parse and load in slices: memory stays flat however many profiles a run covers.
LOAD_BATCH = 250


def _posting_rates(batch: list[ParsedProfile]) -> dict[str, float]:
    """Posts per day of each profile in the batch, from all its posts (answer and pages)."""
    times: dict[str, list] = {}
    for parsed in batch:
        if parsed.username:
            times.setdefault(parsed.username, []).extend(parsed.post_columns["taken_at"])
    return {name: posts_per_day(stamps) for name, stamps in times.items()}


@dg.asset(
    partitions_def=profiles_partitions,
    backfill_policy=profiles_backfill_policy,
    deps=["raw_profile"],
    group_name="parsed",
    kinds={"python", "polars", "duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
)
def posts(
    context: dg.AssetExecutionContext,
    raw_store: RawStoreResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """One row per post (and one per profile fetch) from each profile's latest raw answer.

    Loads are upserts by key, so re-running a partition never duplicates a post.
    """
    started = time.perf_counter()
    store = raw_store.store()
    usernames = list(context.partition_keys)
    loaded_posts = loaded_profiles = 0
    missing: list[str] = []
    unparseable: dict[str, str] = {}
    with warehouse.connect() as con:
        for start in range(0, len(usernames), LOAD_BATCH):
            batch = []
            for username in usernames[start : start + LOAD_BATCH]:
                try:
                    obj = store.latest(username)
                except InvalidUsername as exc:  # a partition key Instagram never issues
                    store.record_failure(username, "invalid", exc.reason, 0)
                    missing.append(username)
                    continue
                if obj is None:
                    missing.append(username)
                    continue
                # The profile answer, then the timeline pages fetched right after it. A bad
                # page costs only its own posts; a bad profile answer is recorded as failed.
                for number, key in enumerate([obj.key, *store.pages(obj)]):
                    try:
                        batch.append(
                            parse_profile(
                                store.read(key), fetched_at=obj.fetched_at, username=username
                            )
                        )
                    except ProfileParseError as exc:
                        unparseable[key] = str(exc)
                        if number == 0:
                            store.record_failure(username, "invalid", str(exc), 0)
                            break
            for username, rate in _posting_rates(batch).items():
                store.write_cadence(username, rate)
            if batch:
                stats = load_parsed(con, batch)
                mark_posts_wide_stale(con, {p.username for p in batch if p.username})
                loaded_posts += stats.posts
                loaded_profiles += stats.profiles
    if unparseable:
        context.log.warning(f"{len(unparseable)} raw answers could not be parsed")
    return dg.MaterializeResult(
        metadata={
            "profiles_loaded": loaded_profiles,
            "posts_loaded": loaded_posts,
            "without_raw_answer": len(missing),
            "seconds": round(time.perf_counter() - started, 2),
            "warehouse": dg.MetadataValue.path(warehouse.path),
            "denormalized_in": dg.MetadataValue.asset(dg.AssetKey("posts_wide")),
            "unparseable": dg.MetadataValue.json(dict(list(unparseable.items())[:50])),
        }
    )
