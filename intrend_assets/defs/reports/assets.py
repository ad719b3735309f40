"""The analyst's view: the trend report, with its chart on the asset's page."""

import base64

import dagster as dg

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.freshness import CODE_VERSION, DAILY
from warehouse.queries import run_query
from warehouse.report import rising_chart_png, rising_markdown


class TrendReportConfig(dg.Config):
    recent_days: int = 7
    baseline_days: int = 28
    min_recent: int = 3
    limit: int = 20


@dg.asset(
    deps=["posts_wide"],
    group_name="analysis",
    kinds={"duckdb", "matplotlib"},
    owners=["team:intrend"],
    automation_condition=follow_upstream,
    code_version=CODE_VERSION,
    freshness_policy=DAILY,
)
def trend_report(
    context: dg.AssetExecutionContext,
    config: TrendReportConfig,
    warehouse: dg.ResourceParam[WarehouseFile],
) -> dg.MaterializeResult:
    """Rising hashtags: their share of posts in the recent window against the baseline.

    The chart is embedded in this asset's metadata and written next to the warehouse
    (``trend_report.png`` and ``trend_report.md``) for those who do not open Dagster.
    """
    with warehouse.connect_published() as con:
        frame = run_query(
            con,
            "rising_hashtags",
            recent_days=config.recent_days,
            baseline_days=config.baseline_days,
            min_recent=config.min_recent,
            limit=config.limit,
        )
    png = rising_chart_png(frame)
    folder = warehouse.folder()
    (folder / "trend_report.png").write_bytes(png)
    (folder / "trend_report.md").write_text(
        rising_markdown(frame, "trend_report.png"), encoding="utf-8"
    )
    image = base64.b64encode(png).decode()
    top = frame["tag"].head(5).to_list() if frame.height else []
    context.log.info(f"top rising hashtags: {top}")
    return dg.MaterializeResult(
        metadata={
            "rising": dg.MetadataValue.md(
                f"![rising hashtags](data:image/png;base64,{image})\n\n{rising_markdown(frame)}"
            ),
            "top_tags": dg.MetadataValue.json(top),
            "chart_path": dg.MetadataValue.path(str(folder / "trend_report.png")),
            "dagster/row_count": frame.height,
        }
    )
