"""The analyst's view: the trend report, with its charts on the asset's page."""

import base64
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.lib.automation import follow_upstream
from intrend_assets.lib.freshness import CODE_VERSION, DAILY
from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.media.archive import MediaConfig
from intrend_assets.media.contact_sheet import (
    SHEET_FILE,
    SHEET_TYPE,
    ReportSheet,
    report_sheet,
    sheet_markdown,
)
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.store import RawStore
from warehouse.report import ReportParams, TrendReport, build_report

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
    # emerging_hashtags reads hashtag_daily; the contact sheet post_media.
    deps=["posts_wide", "hashtag_daily", "post_media"],
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
    raw_store: dg.ResourceParam[RawStore],
    media: dg.ResourceParam[MediaConfig],
) -> dg.MaterializeResult:
    """Rising hashtags ranked by the lower bound of their lift, their days as lines, who
    drives them, emerging tags, mentions, caption keywords and the same weeks a year before;
    with media archived, a contact sheet of the top rising tags' most-liked thumbnails.

    The charts are embedded in this asset's metadata and written next to the warehouse
    (``trend_report.md`` with ``trend_report.png``, ``trend_series.png``,
    ``trend_profiles.png`` and ``trend_media.jpg``) for those who do not open Dagster.
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
        sheet = _sheet(con, report, MediaStore(raw_store.blobs), media.mode)
    charts = report.draw()
    folder = warehouse.folder()
    for name, png in charts.items():
        (folder / CHART_FILES[name]).write_bytes(png)
    sheet_path = _write_sheet(folder, sheet)
    (folder / "trend_report.md").write_text(
        report.markdown(CHART_FILES) + "\n" + sheet_markdown(sheet, sheet_path and SHEET_FILE),
        encoding="utf-8",
    )
    inline = {name: _data_url(png) for name, png in charts.items()}
    inline_sheet = sheet.jpeg and _data_url(sheet.jpeg, SHEET_TYPE)
    top = report.rising["tag"].head(5).to_list()
    context.log.info(f"top rising hashtags as of {report.as_of:%Y-%m-%d %H:%M}: {top}")
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.md(
                report.markdown(inline) + "\n" + sheet_markdown(sheet, inline_sheet)
            ),
            "contact_sheet": sheet.note,
            **(
                {"contact_sheet_path": dg.MetadataValue.path(str(sheet_path))} if sheet_path else {}
            ),
            "as_of": dg.MetadataValue.timestamp(report.as_of),
            "top_tags": dg.MetadataValue.json(top),
            "chart_path": dg.MetadataValue.path(str(folder / CHART_FILES["rising"])),
            "report_path": dg.MetadataValue.path(str(folder / "trend_report.md")),
            "dagster/row_count": report.rising.height,
        }
    )


def _data_url(picture: bytes, content_type: str = "image/png") -> str:
    return f"data:{content_type};base64," + base64.b64encode(picture).decode()


def _write_sheet(folder: Path, sheet: ReportSheet) -> Path | None:
    """The sheet beside the warehouse; an earlier report's is removed when there is none."""
    path = folder / SHEET_FILE
    if sheet.jpeg is None:
        path.unlink(missing_ok=True)
        return None
    path.write_bytes(sheet.jpeg)
    return path


def _sheet(
    con: duckdb.DuckDBPyConnection, report: TrendReport, store: MediaStore, mode: str
) -> ReportSheet:
    """The contact sheet of the tags the report draws as lines (its top rising)."""
    tags = report.rising["tag_norm"].head(report.params.series_top).to_list()
    return report_sheet(con, store, tags, mode)
