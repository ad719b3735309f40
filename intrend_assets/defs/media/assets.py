"""``archived_media`` and ``post_media``: media fetched before their URLs expire, then loaded.

Two steps, on purpose: downloading takes as long as the CDN lets it and must not hold the
``warehouse`` pool (the one DuckDB writer), so ``archived_media`` fetches into the raw
store's ``media/`` folder (its own ``media`` pool, one run at a time), and ``post_media``
loads what it recorded into the warehouse in a moment. Both follow ``raw_profile`` as soon
as it lands, so the downloader runs behind the fetcher by minutes, well inside the CDN's
expiry window (days). ``INTREND_MEDIA_MODE=off`` makes both no-ops.
"""

import time

import dagster as dg
import polars as pl

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.freshness import CODE_VERSION
from intrend_assets.lib.metadata import table_metadata
from intrend_assets.lib.pools import warn_if_unlimited
from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.media.archive import MediaConfig
from intrend_assets.media.run import archive_new_fetches
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.store import RawStore
from intrend_assets.redaction import redact_data
from warehouse.load.media import load_post_media


@dg.asset(
    deps=["raw_profile"],
    group_name="media",
    kinds={"python"},
    pool="media",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
    code_version=CODE_VERSION,
)
@redacted_step
def archived_media(
    context: dg.AssetExecutionContext,
    instagram: dg.ResourceParam[InstagramAccess],
    raw_store: dg.ResourceParam[RawStore],
    media: dg.ResourceParam[MediaConfig],
) -> dg.MaterializeResult:
    """The pictures (and in ``full`` mode the videos) of every fetch not yet looked at,
    stored by sha256; what became of each medium is recorded beside them.

    A URL the CDN says has expired is renewed by refetching its profile (``media_renewals``
    times at most); a medium that cannot be renewed is recorded ``expired``. CDN refusals
    are waited out and never rotate the modem.
    """
    warn_if_unlimited(context, "media")
    started = time.perf_counter()
    report, todo = archive_new_fetches(raw_store, media, instagram.open_client)
    if report.statuses["expired"]:
        context.log.warning(
            f"{report.statuses['expired']} media expired before they could be fetched"
        )
    return dg.MaterializeResult(
        metadata={
            "mode": media.mode,
            "profiles": report.profiles,
            "archived": report.archived,
            "statuses": dg.MetadataValue.json(dict(report.statuses)),
            "archived_by_kind": dg.MetadataValue.json(dict(report.kinds)),
            "files_written": report.written,
            "cdn_requests": report.requests,
            "bytes_written": report.bytes_written,
            "renewals": report.renewals,
            "renewals_failed": report.renewals_failed,
            "unreadable_fetches": todo.unreadable,
            "seconds": round(time.perf_counter() - started, 2),
            "loaded_in": dg.MetadataValue.asset(dg.AssetKey("post_media")),
        }
    )


@dg.asset(
    deps=["archived_media"],
    group_name="media",
    kinds={"python", "duckdb"},
    pool="warehouse",
    owners=["team:intrend"],
    automation_condition=follow_upstream,
    code_version=CODE_VERSION,
)
@redacted_step
def post_media(
    context: dg.AssetExecutionContext,
    raw_store: dg.ResourceParam[RawStore],
    warehouse: dg.ResourceParam[WarehouseFile],
) -> dg.MaterializeResult:
    """One warehouse row per medium (``post_media``): the records written since the last load."""
    warn_if_unlimited(context, "warehouse")
    store = MediaStore(raw_store.blobs)
    loaded = store.loaded()
    rows: list[dict] = []
    for username in store.usernames():
        records, last = store.records_after(username, loaded.get(username))
        if last is not None:
            loaded[username] = last
        rows.extend(r.__dict__ for r in records)
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    with warehouse.connect() as con:
        staged = load_post_media(con, frame) if rows else 0
        table = table_metadata(con, "post_media")
    if rows:
        warehouse.publish()
        store.set_loaded(loaded)
    statuses = frame["status"].value_counts().rows() if rows else []
    return dg.MaterializeResult(
        metadata={
            **table,
            "rows_loaded": staged,
            "statuses": dg.MetadataValue.json(redact_data(dict(statuses))),
        }
    )
