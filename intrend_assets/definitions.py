"""The code location: assets, resources and automation assembled from settings. Nothing else."""

from __future__ import annotations

import dagster as dg

from intrend_assets.defs.jobs import profiles_job, rate_limit_experiment_job, warehouse_job
from intrend_assets.defs.network.assets import (
    fetch_log,
    fetch_stats,
    ip_log,
    ip_ranges,
    rate_limit_experiment,
)
from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.defs.profiles.sensors import (
    failed_profiles_sensor,
    new_posts_sensor,
    tracked_profiles_sensor,
)
from intrend_assets.defs.reports.assets import trend_report
from intrend_assets.defs.resources import (
    InstagramResource,
    ModemResource,
    RawStoreResource,
    WarehouseResource,
)
from intrend_assets.defs.schedules import (
    daily_profile_refresh,
    daily_warehouse_rebuild,
    weekly_rate_limit_experiment,
)
from intrend_assets.defs.warehouse.assets import hashtag_counts, posts_wide
from intrend_assets.defs.warehouse.checks import ASSET_CHECKS
from intrend_assets.defs.warehouse.posts import posts
from intrend_assets.lib.automation import automation_sensor
from intrend_assets.settings import IntrendSettings

ASSETS = [
    raw_profile,
    posts,
    hashtag_counts,
    posts_wide,
    trend_report,
    fetch_log,
    ip_log,
    fetch_stats,
    ip_ranges,
    rate_limit_experiment,
]


def build_resources(settings: IntrendSettings, modem_token: object = None) -> dict[str, object]:
    """The resources for one deployment; only ``settings`` differ between sandbox and field."""
    instagram = InstagramResource(
        base_url=settings.instagram_base_url,
        proxy_url=settings.proxy_url,
        app_id=settings.app_id,
        max_connections=settings.max_connections,
        concurrency=settings.concurrency,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        pacing=settings.pacing,
        pacing_seconds=settings.pacing_seconds,
        max_posts=settings.max_posts,
        fast_update=settings.fast_update,
        www_base_url=settings.www_base_url,
        ipad_app_id=settings.ipad_app_id,
        profile_strategies=settings.profile_strategies,
        timeline_strategies=settings.timeline_strategies,
        profile_doc_id=settings.profile_doc_id,
        timeline_doc_id=settings.timeline_doc_id,
        session_cookies_file=(
            str(settings.session_cookies_file) if settings.session_cookies_file else None
        ),
        session_pacing_seconds=settings.session_pacing_seconds,
        **({"user_agent": settings.user_agent} if settings.user_agent else {}),
        **(
            {"timeline_query_hash": settings.timeline_query_hash}
            if settings.timeline_query_hash
            else {}
        ),
    )
    return {
        "instagram": instagram,
        "modem": ModemResource(
            url=settings.modem_url,
            # The secret comes from the environment at launch, never from code or config files.
            token=modem_token if modem_token is not None else dg.EnvVar("INTREND_MODEM_TOKEN"),
        ),
        "raw_store": RawStoreResource(root=str(settings.resolved_raw_dir())),
        "warehouse": WarehouseResource(path=str(settings.resolved_warehouse_path())),
    }


def build_executor(settings: IntrendSettings) -> dg.ExecutorDefinition:
    """In-process by default: steps are I/O-bound and share one DuckDB file, so a process per
    step only adds start-up time. Past one machine the executor is configuration."""
    if settings.executor == "multiprocess":
        return dg.multiprocess_executor
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


def build_defs(settings: IntrendSettings | None = None) -> dg.Definitions:
    settings = settings or IntrendSettings()
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=[profiles_job, warehouse_job, rate_limit_experiment_job],
        sensors=[
            tracked_profiles_sensor,
            new_posts_sensor,
            failed_profiles_sensor,
            automation_sensor,
        ],
        schedules=[daily_profile_refresh, daily_warehouse_rebuild, weekly_rate_limit_experiment],
        resources=build_resources(settings),
        executor=build_executor(settings),
    )


defs = build_defs()
