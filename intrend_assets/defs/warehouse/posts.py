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

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.freshness import CODE_VERSION, DAILY
from intrend_assets.lib.metadata import contract_columns, table_metadata
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.lib.pools import warn_if_unlimited
from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.loading.errors import LoadBlocked, environment_label
from intrend_assets.loading.queue import LoadReport, load_queue, to_load
from intrend_assets.raw_store.store import RawStore
from intrend_assets.redaction import redact, redact_data
from warehouse.contract import POSTS_SCHEMA


class PostsConfig(dg.Config):
    full_refresh: bool = False
    """Re-parse every fetch the raw store holds, oldest first, not only the pending ones
    (after a parser fix, or to rebuild the normalized tables from the raw store)."""


@dg.asset(
    deps=["raw_profile"],
    group_name="parsed",
    kinds={"python", "polars", "duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
    code_version=CODE_VERSION,
    freshness_policy=DAILY,
    metadata=contract_columns(
        "posts",
        POSTS_SCHEMA,
        {
            "first_seen_at": ("TIMESTAMPTZ", "when the warehouse first loaded the post"),
            "post_num": ("BIGINT", "post_id as a number when it is one: the key lookups scan it"),
        },
    ),
)
@redacted_step
def posts(
    context: dg.AssetExecutionContext,
    config: PostsConfig,
    raw_store: dg.ResourceParam[RawStore],
    warehouse: dg.ResourceParam[WarehouseFile],
    metrics: dg.ResourceParam[MetricsGateway],
) -> dg.MaterializeResult:
    """One row per post (and one per profile fetch) from every fetch not yet loaded.

    Loads the raw store's queue of fetches, oldest first (:mod:`intrend_assets.loading.queue`
    says how a fetch is loaded, set aside or kept queued).
    """
    started = time.perf_counter()
    warn_if_unlimited(context, "warehouse")
    store = raw_store
    todo, pending = to_load(store, config.full_refresh)
    context.log.info(
        f"{len(todo)} fetches to load" + (" (full refresh)" if config.full_refresh else "")
    )
    report = LoadReport()
    try:
        with warehouse.connect() as con:
            for done in load_queue(
                con, store, todo, pending, report, workers=warehouse.parse_workers
            ):
                for obj, why in done.refused:
                    context.log.error(redact(f"the warehouse refused {obj.key}, set aside: {why}"))
                context.log.info(f"loaded {done.loaded}/{len(todo)} fetches")
            table = table_metadata(con, "posts")
    except Exception as exc:
        # The environment's fault (here or on opening the file: a lock), not the fetches':
        # one line, and the queue stays for the next run.
        label = environment_label(exc)
        if label is None:
            raise
        blocked = exc if isinstance(exc, LoadBlocked) else LoadBlocked(exc, label, len(pending))
        raise dg.Failure(
            description=redact(str(blocked)),
            metadata={"fetches_loaded": report.fetches, "still_queued": blocked.queued},
        ) from exc
    published = warehouse.publish()
    metrics.push_load(report, time.perf_counter() - started, context.log.warning)
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
            "published": dg.MetadataValue.path(str(published.path)),
            "publish_seconds": round(published.seconds, 3),
            "denormalized_in": dg.MetadataValue.asset(dg.AssetKey("posts_wide")),
            "unparseable": dg.MetadataValue.json(
                redact_data(dict(list(report.unparseable.items())[:50]))
            ),
            **table,
        }
    )
