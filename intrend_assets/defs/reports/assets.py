"""The analyst's view: the trend report, with its charts on the asset's page."""

import base64
from datetime import datetime

import dagster as dg

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.freshness import CODE_VERSION, DAILY
from intrend_assets.lib.redacted_logs import redacted_step
from warehouse.report import ReportParams, build_report

# Chart name -> the file written beside the warehouse.
CHART_FILES = {
    "rising": "trend_report.png",
    "series": "trend_series.png",
    "profiles": "trend_profiles.png",
}


class TrendReportConfig(dg.Config):
    as_of: str | None = None  # end of the windows, ISO time; default: just after the newest post
    recent_days: int = 7
    baseline_days: int = 28
    min_recent: int = 3
    min_profiles: int | None = None  # default: INTREND_TREND_MIN_PROFILES
    limit: int = 20


@dg.asset(
    deps=["posts_wide", "hashtag_daily"],  # emerging_hashtags reads it
    group_name="analysis",
    kinds={"duckdb", "matplotlib"},
    owners=["team:intrend"],
    automation_condition=follow_upstream,
    code_version=CODE_VERSION,
    freshness_policy=DAILY,
)
@redacted_step
def trend_report(
    context: dg.AssetExecutionContext,
    config: TrendReportConfig,
    warehouse: dg.ResourceParam[WarehouseFile],
) -> dg.MaterializeResult:
    """Rising hashtags ranked by the lower bound of their lift, their days as lines, who
    drives them, emerging tags, mentions, caption keywords and the same weeks a year before.

    The charts are embedded in this asset's metadata and written next to the warehouse
    (``trend_report.md`` with ``trend_report.png``, ``trend_series.png`` and
    ``trend_profiles.png``) for those who do not open Dagster.
    """
    params = ReportParams(
        as_of=datetime.fromisoformat(config.as_of) if config.as_of else None,
        recent_days=config.recent_days,
        baseline_days=config.baseline_days,
        min_recent=config.min_recent,
        min_profiles=config.min_profiles or warehouse.trend_min_profiles,
        limit=config.limit,
    )
    with warehouse.connect_published() as con:
        report = build_report(con, params)
    charts = report.draw()
    folder = warehouse.folder()
    for name, png in charts.items():
        (folder / CHART_FILES[name]).write_bytes(png)
    (folder / "trend_report.md").write_text(report.markdown(CHART_FILES), encoding="utf-8")
    inline = {
        name: "data:image/png;base64," + base64.b64encode(png).decode()
        for name, png in charts.items()
    }
    top = report.rising["tag"].head(5).to_list()
    context.log.info(f"top rising hashtags as of {report.as_of:%Y-%m-%d %H:%M}: {top}")
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.md(report.markdown(inline)),
            "as_of": dg.MetadataValue.timestamp(report.as_of),
            "top_tags": dg.MetadataValue.json(top),
            "chart_path": dg.MetadataValue.path(str(folder / CHART_FILES["rising"])),
            "report_path": dg.MetadataValue.path(str(folder / "trend_report.md")),
            "dagster/row_count": report.rising.height,
        }
    )
