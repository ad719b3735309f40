"""The code location: every area's definitions and the resources, assembled from the settings.

Nothing else happens here. The settings are read once, when the code location loads
(``defs`` below); every resource is built from them (:mod:`.defs.resources`).
"""

import dagster as dg

from intrend_assets.defs.alerts.sensors import alert_sensors
from intrend_assets.defs.experiments.assets import rate_limit_experiment
from intrend_assets.defs.experiments.jobs import rate_limit_experiment_job
from intrend_assets.defs.experiments.schedules import experiment_schedules
from intrend_assets.defs.media.assets import archived_media, post_media
from intrend_assets.defs.network.assets import fetch_log, fetch_stats, ip_log, ip_ranges
from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.defs.profiles.jobs import profiles_job
from intrend_assets.defs.profiles.retry import retry_failed_profiles_job
from intrend_assets.defs.profiles.schedules import profile_schedules
from intrend_assets.defs.profiles.sensors import profile_sensors
from intrend_assets.defs.reports.assets import trend_report
from intrend_assets.defs.resources import build_resources
from intrend_assets.defs.retention.jobs import raw_store_retention_job
from intrend_assets.defs.retention.schedules import retention_schedule
from intrend_assets.defs.warehouse.assets import hashtag_daily, posts_wide
from intrend_assets.defs.warehouse.checks import ASSET_CHECKS
from intrend_assets.defs.warehouse.jobs import warehouse_job
from intrend_assets.defs.warehouse.posts import posts
from intrend_assets.defs.warehouse.schedules import warehouse_schedules
from intrend_assets.lib.automation import automation_sensor
from intrend_assets.lib.celery import celery_executor
from intrend_assets.lib.dead_runs import dead_run_sensor
from intrend_assets.settings import IntrendSettings, load_settings

ASSETS = [
    raw_profile,
    posts,
    hashtag_daily,
    posts_wide,
    archived_media,
    post_media,
    trend_report,
    fetch_log,
    ip_log,
    fetch_stats,
    ip_ranges,
    rate_limit_experiment,
]
JOBS = [
    profiles_job,
    retry_failed_profiles_job,
    warehouse_job,
    rate_limit_experiment_job,
    raw_store_retention_job,
]

__all__ = ["ASSETS", "build_defs", "build_executor", "build_resources", "defs"]


def build_executor(settings: IntrendSettings) -> dg.ExecutorDefinition:
    """In-process by default: steps are I/O-bound and share one DuckDB file, so a process per
    step only adds start-up time. Past one machine the executor is configuration."""
    if settings.executor == "multiprocess":
        return dg.multiprocess_executor
    if settings.executor == "celery":
        return celery_executor()
    if settings.executor == "celery_k8s":
        try:
            from dagster_celery_k8s import celery_k8s_job_executor
        except ImportError as exc:
            raise RuntimeError(
                "INTREND_EXECUTOR=celery_k8s needs the celery-k8s extra "
                "(uv sync --extra celery-k8s)"
            ) from exc
        return celery_k8s_job_executor
    return dg.in_process_executor


def sensor_status(settings: IntrendSettings) -> dg.DefaultSensorStatus:
    """The status sensors start with in a new instance, from ``INTREND_SENSORS``."""
    if settings.sensors == "stopped":
        return dg.DefaultSensorStatus.STOPPED
    return dg.DefaultSensorStatus.RUNNING


def schedule_status(settings: IntrendSettings) -> dg.DefaultScheduleStatus:
    """The status schedules start with in a new instance, from ``INTREND_SCHEDULES``."""
    if settings.schedules == "stopped":
        return dg.DefaultScheduleStatus.STOPPED
    return dg.DefaultScheduleStatus.RUNNING


def retention_status(settings: IntrendSettings) -> dg.DefaultScheduleStatus:
    """The retention schedule's status in a new instance, from ``INTREND_RETENTION_SCHEDULE``:
    stopped unless asked for, since it deletes raw objects."""
    if settings.retention_schedule == "running":
        return dg.DefaultScheduleStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED


def build_defs(settings: IntrendSettings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    status = sensor_status(settings)
    scheduled = schedule_status(settings)
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=JOBS,
        sensors=[
            *profile_sensors(status),
            automation_sensor(status),
            dead_run_sensor(status),
            *alert_sensors(status),
        ],
        schedules=[
            *profile_schedules(scheduled),
            *warehouse_schedules(scheduled),
            *experiment_schedules(scheduled),
            retention_schedule(retention_status(settings)),
        ],
        resources=build_resources(settings),
        executor=build_executor(settings),
    )


defs = build_defs()
