"""``raw_profile``: fetch each tracked profile through the modem and keep the answer as it came."""

import asyncio
import io
import itertools
from collections.abc import Iterator

import dagster as dg
import polars as pl

from intrend_assets.defs.profiles.outcomes import partition_events, split_names
from intrend_assets.defs.profiles.partition_events import (
    log_partition_events,
    output_without_materializations,
)
from intrend_assets.defs.profiles.partitions import profiles_backfill_policy, profiles_partitions
from intrend_assets.defs.profiles.selection import ProfileSelection
from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.fetcher import fetch_through_routes
from intrend_assets.fetching.lanes import open_lanes
from intrend_assets.fetching.modem_client import ModemEndpoint
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.request_log import Sink
from intrend_assets.fetching.routes import bench_seconds, egress_routes
from intrend_assets.instagram.errors import ConfigurationError
from intrend_assets.lib.freshness import CODE_VERSION
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.lib.pools import warn_if_unlimited
from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.lib.route_pools import route_leases
from intrend_assets.raw_store.store import RawStore
from intrend_assets.redaction import redact, redact_data
from intrend_assets.tracking.usernames import is_valid_username


def _log_writer(context: dg.AssetExecutionContext | dg.OpExecutionContext, store: RawStore) -> Sink:
    """Write each request-log batch as its own Parquet file under the raw store's
    ``fetch_log/`` (named by run, retry and batch: the fetch_log asset loads each once)."""
    batches = itertools.count()
    prefix = f"{context.run.run_id}-{context.retry_number}"

    def write(rows: list[dict[str, object]]) -> None:
        buffer = io.BytesIO()
        pl.DataFrame(rows).write_parquet(buffer)
        store.write_log(f"{prefix}-{next(batches):05d}.parquet", buffer.getvalue())

    return write


async def _fetch(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    usernames: list[str],
    instagram: dg.ResourceParam[InstagramAccess],
    modem: dg.ResourceParam[ModemEndpoint],
    raw_store: dg.ResourceParam[RawStore],
) -> FetchReport:
    log = context.log
    with route_leases(context, egress_routes(modem)) as routes:
        async with open_lanes(
            instagram, routes, bench_seconds(modem), info=log.info, warn=log.warning
        ) as lanes:
            step = max(1, len(usernames) // 10)

            def progress(done: int, total: int, report: FetchReport) -> None:
                if done % step == 0 or done == total:
                    egress = ", ".join(f"{lane.route} {lane.gate.current_ip}" for lane in lanes)
                    rotations = sum(lane.gate.stats.rotations for lane in lanes)
                    context.log.info(
                        f"fetched {done}/{total} profiles: {report.stored} stored, "
                        f"{report.failed} failed, {rotations} rotations, egress {egress}"
                    )

            return await fetch_through_routes(
                usernames,
                lanes,
                raw_store,
                instagram.policy,
                run_id=context.run.run_id,
                on_progress=progress,
                on_warning=lambda message: context.log.warning(redact(message)),
                log_sink=_log_writer(context, raw_store),
            )


def _selected(
    context: dg.AssetExecutionContext, partitions: list[str], config: ProfileSelection
) -> list[str]:
    """The partitions of the run's range to fetch: all of them, or those ``only`` names."""
    if config.only is None:
        return partitions
    wanted = set(config.only)
    selected = [key for key in partitions if key in wanted]
    if len(selected) < len(wanted):
        context.log.warning(
            f"{len(wanted) - len(selected)} profiles in 'only' are not in the range"
        )
    return selected


def fetch_and_report(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    keys: list[str],
    instagram: InstagramAccess,
    modem: ModemEndpoint,
    raw_store: RawStore,
    run: dict[str, object],
) -> FetchReport | None:
    """Fetch the partitions ``keys`` and log one event for each (:mod:`.outcomes`): a
    materialization when stored, an observation with the reason when not."""
    names, invalid = split_names(keys)
    for key, why in invalid.items():
        context.log.warning(f"partition {key!r} is not a profile name: {why}")
    # A name Instagram never issues still goes to the fetcher, which files it as failed
    # ("invalid", by its hash) without a request; one written otherwise (NASA) does not, or
    # its record would land on the profile it is written as (nasa).
    usernames = names + [key for key in invalid if not is_valid_username(key)]
    report = None
    if usernames:
        try:
            report = asyncio.run(_fetch(context, usernames, instagram, modem, raw_store))
        except ConfigurationError as exc:
            # Our requests are wrong (headers, ids): a retry sends the same wrong requests.
            raise dg.Failure(redact(str(exc)), allow_retries=False) from exc
        run.update(_run_metadata(report, usernames, raw_store))
    else:
        run.update({"stored": 0, "failed": 0})
    run["invalid_names"] = len(invalid)
    log_partition_events(context, partition_events(names, invalid, report, raw_store, run))
    return report


@dg.asset(
    partitions_def=profiles_partitions,
    backfill_policy=profiles_backfill_policy,
    group_name="raw",
    kinds={"python", "zstd"},
    pool="instagram",
    owners=["team:intrend"],
    retry_policy=dg.RetryPolicy(
        max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
    code_version=CODE_VERSION,
)
@redacted_step
def raw_profile(
    context: dg.AssetExecutionContext,
    config: ProfileSelection,
    instagram: dg.ResourceParam[InstagramAccess],
    modem: dg.ResourceParam[ModemEndpoint],
    raw_store: dg.ResourceParam[RawStore],
    metrics: dg.ResourceParam[MetricsGateway],
) -> Iterator[dg.MaterializeResult]:
    """Each profile's answer as it came (JSON or the profile page), zstd-compressed.

    Fetched through the configured strategies in order (web_profile_info, GraphQL doc_id,
    the profile page); a login wall moves a profile on to the next, a closed strategy is
    dropped for the run with a warning. One object per fetch, its timeline pages beside it.

    Rate-limit answers rotate the modem's IP (once for all concurrent requests) and retry;
    profiles that cannot be fetched are recorded under the raw store's ``failures/`` with
    their reason rather than failing the other profiles of the run. The request log is
    written to ``fetch_log/`` in batches as the fetch goes; a configuration error (Instagram
    rejects our headers) fails the step without retries.

    Only the partitions whose profile was stored are materialized; a profile not stored
    (not found, walled, refused, an invalid name) gets an observation on its partition with
    the reason in its metadata, and keeps its last materialization or stays missing. To
    fetch the failed ones again: ``retry_failed_profiles_job``.

    A refresh run names the profiles of its range that are due (``only``): the others are
    not looked up, keep their stored data and are counted as ``skipped_not_due``.
    """
    warn_if_unlimited(context, "instagram")
    partitions = list(context.partition_keys)
    keys = _selected(context, partitions, config)
    run: dict[str, object] = {
        "profiles": len(keys),
        "partitions": len(partitions),
        "skipped_not_due": len(partitions) - len(keys),
    }
    if keys:
        report = fetch_and_report(context, keys, instagram, modem, raw_store, run)
        if report is not None:
            metrics.push_fetch(report, context.log.warning)
    context.log.info(f"raw_profile: {run}")
    yield output_without_materializations()


def _run_metadata(
    report: FetchReport, usernames: list[str], raw_store: RawStore
) -> dict[str, object]:
    """The run's metadata: what was fetched and failed, and what it cost."""
    failed = {
        name: f"{o.outcome}: {o.reason}".rstrip(": ")
        for name, o in report.outcomes.items()
        if o.outcome not in ("stored", "private")
    }
    ratio = report.bytes_raw / report.bytes_stored if report.bytes_stored else 0.0
    return {
        "stored": report.stored,
        "private": report.count("private"),
        "failed": len(failed),
        "failed_profiles": dg.MetadataValue.json(redact_data(dict(list(failed.items())[:50]))),
        "requests": len(report.log),
        "timeline_pages": sum(o.pages for o in report.outcomes.values()),
        "served_by_strategy": dg.MetadataValue.json(report.served()),
        "strategies_gone": dg.MetadataValue.json(redact_data(report.gone)),
        "strategies_benched": dg.MetadataValue.json(report.benched),
        "login_walled": report.count("login_wall"),
        "rotations": report.rotations,
        "routes": dg.MetadataValue.json(report.routes),
        "unchanged_rotations": report.unchanged_rotations,
        "cooldown_waits": report.cooldown_waits,
        "rotation_seconds": round(report.rotation_seconds, 2),
        "bytes_raw": report.bytes_raw,
        "bytes_stored": report.bytes_stored,
        "compression_ratio": round(ratio, 2),
        "seconds": round(report.seconds, 2),
        "raw_store": dg.MetadataValue.path(raw_store.url),
        "parsed_by": dg.MetadataValue.asset(dg.AssetKey("posts")),
    }
