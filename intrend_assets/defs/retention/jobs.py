"""``raw_store_retention_job``: apply the raw store's retention policy, or report what it would
free (``dry_run``). The policy and why it never drops a post:
:mod:`intrend_assets.raw_store.retention`."""

import dagster as dg

from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.raw_store.retention import RetentionPolicy, apply_retention
from intrend_assets.raw_store.store import RawStore


class RetentionConfig(dg.Config):
    """``dry_run``: count what would go and delete nothing."""

    dry_run: bool = False


# In the warehouse pool: a posts load (a full refresh reads every stored fetch) never runs
# beside it. Fetch runs only add newer fetches, which the policy keeps.
@dg.op(pool="warehouse")
@redacted_step
def apply_raw_store_retention(
    context: dg.OpExecutionContext,
    config: RetentionConfig,
    raw_store: dg.ResourceParam[RawStore],
    retention: dg.ResourceParam[RetentionPolicy],
) -> None:
    """Drop the fetches the policy lets go; report the fetches and bytes (to be) freed."""
    if retention.keeps_everything:
        context.log.info(
            "retention keeps everything (set INTREND_RETENTION_KEEP_FETCHES or _KEEP_DAYS)"
        )
    report = apply_retention(raw_store, retention, dry_run=config.dry_run)
    verb = "would free" if config.dry_run else "freed"
    context.log.info(
        f"{verb} {report.bytes_freed} bytes: {report.dropped} of {report.fetches} fetches of "
        f"{report.profiles} profiles; kept {report.kept_for_posts} old fetches that alone hold "
        f"posts, {report.kept_unreadable} that could not be read"
    )
    context.add_output_metadata(
        {
            "dry_run": config.dry_run,
            "policy": f"keep_fetches={retention.keep_fetches} keep_days={retention.keep_days}",
            "fetches": report.fetches,
            "dropped": report.dropped,
            "bytes_freed": report.bytes_freed,
            "kept_for_posts": report.kept_for_posts,
            "kept_unreadable": report.kept_unreadable,
            "dropped_keys": dg.MetadataValue.json(report.dropped_keys),
        }
    )


@dg.job(
    description="Raw-store retention: drop old fetches whose every post a later kept fetch "
    "holds (policy: INTREND_RETENTION_KEEP_FETCHES / _KEEP_DAYS; keeps everything unless set). "
    "dry_run: true reports what it would free."
)
def raw_store_retention_job() -> None:
    apply_raw_store_retention()
