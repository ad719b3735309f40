"""Alert sensors: a failed run, and once a day stale profiles, closing doors, stuck rotations.

Both post through the ``alerts`` resource (:class:`~intrend_assets.alerts.webhook.Webhook`)
and skip while no webhook is configured (``INTREND_ALERT_WEBHOOK_URL``), so they can start
running with every instance. A webhook that does not take an alert fails the tick, where the
UI shows it.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from intrend_assets.alerts.daily import (
    StaleAfter,
    closing_doors,
    stale_profiles,
    stuck_rotations,
)
from intrend_assets.alerts.webhook import Webhook
from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.defs.profiles.selection import refreshable
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.raw_store.store import RawStore
from intrend_assets.tracking.tracked_file import ProfilesFile

DAILY_HOUR = 6  # UTC: after the daily refresh (03:00) and warehouse rebuild (05:00)


def _now() -> datetime:
    return datetime.now(UTC)


def alert_on_run_failure(
    context: dg.RunFailureSensorContext, alerts: dg.ResourceParam[Webhook]
) -> dg.SkipReason | None:
    """Posts every failed run of this code location: job, run id, the error's first line."""
    if not alerts.enabled:
        return dg.SkipReason("no alert webhook configured (INTREND_ALERT_WEBHOOK_URL)")
    run = context.dagster_run
    message = (context.failure_event.message or "run failed").strip().splitlines()
    lines = [f"run {run.run_id}", *message[:1]]
    partition = run.tags.get("dagster/partition") or run.tags.get(
        "dagster/asset_partition_range_start"
    )
    if partition:
        lines.append(f"partitions from {partition}")
    alerts.send(f"intrend: {run.job_name} failed", lines)
    return None


def daily_health(
    context: dg.SensorEvaluationContext,
    alerts: dg.ResourceParam[Webhook],
    raw_store: dg.ResourceParam[RawStore],
    tracked_profiles: dg.ResourceParam[ProfilesFile],
    warehouse: dg.ResourceParam[WarehouseFile],
    stale_after: dg.ResourceParam[StaleAfter],
) -> dg.SensorResult | dg.SkipReason:
    """Once a day (from 06:00 UTC) posts what needs a person: tracked profiles not fetched for
    days, fetch strategies whose door is closing, rotations that keep the same IP. Nothing to
    report, nothing posted. The cursor holds the day reported."""
    if not alerts.enabled:
        return dg.SkipReason("no alert webhook configured (INTREND_ALERT_WEBHOOK_URL)")
    now = _now()
    today = now.date().isoformat()
    if context.cursor == today or now.hour < DAILY_HOUR:
        return dg.SkipReason(f"reported {context.cursor}; next after {DAILY_HOUR:02d}:00 UTC")
    order = context.instance.get_dynamic_partitions(profiles_partitions.name)
    names = refreshable(order, tracked_profiles.read())
    findings = stale_profiles(raw_store, names, now, timedelta(days=stale_after.days))
    if warehouse.published.exists():
        with warehouse.connect_published() as con:
            findings += closing_doors(con) + stuck_rotations(con, now - timedelta(days=1))
    if findings:
        alerts.send(f"intrend daily: {len(findings)} things to look at", [f.line for f in findings])
    context.log.info(f"{len(findings)} findings: {[f.kind for f in findings]}")
    return dg.SensorResult(skip_reason=None if findings else "all well", cursor=today)


def alert_sensors(status: dg.DefaultSensorStatus) -> list[dg.SensorDefinition]:
    """The alerts area's sensors, starting with ``status`` in a new instance."""
    return [
        dg.run_failure_sensor(
            name="run_failure_alert",
            description="Posts every failed run to the alert webhook (INTREND_ALERT_WEBHOOK_URL).",
            default_status=status,
        )(alert_on_run_failure),
        dg.sensor(
            name="daily_health_alert",
            description="Once a day posts stale profiles, closing strategy doors and stuck "
            "rotations to the alert webhook.",
            minimum_interval_seconds=900,
            default_status=status,
        )(daily_health),
    ]
