"""The trend report: what rises, how surely, since when, who drives it; charts and Markdown.

:func:`build_report` runs the trend queries on one connection with one ``as_of`` (decided
once, so every section and figure describes the same windows); :class:`TrendReport` draws
the charts and writes the Markdown. The ``trend_report`` asset and ``intrend-warehouse
report`` both call it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from warehouse.charts import FONT_FALLBACK, profiles_chart_png, rising_chart_png, series_chart_png
from warehouse.queries import run_query

__all__ = [
    "FONT_FALLBACK",
    "ReportParams",
    "TrendReport",
    "build_report",
    "rising_chart_png",
    "rising_markdown",
]

YEAR = timedelta(days=364)  # 52 weeks: the same weekdays a year earlier
RISING_COLUMNS = (
    "tag",
    "recent_posts",
    "baseline_posts",
    "recent_profiles",
    "lift",
    "lift_low",
    "z",
)
DEFINITIONS = """\
- **lift** = (recent share of posts using the tag) / (baseline share), each share add-one
  smoothed: ((r + 1) / (R + 1)) / ((b + 1) / (B + 1)), with r, b the posts using the tag in
  the recent and baseline windows and R, B all posts in them. A tag counts once per post.
- **lift_low** (the score the ranking uses) = lift × exp(−1.645 × √(1/(r + 1) + 1/(b + 1))):
  the one-sided 95 % lower bound of the lift (log rate ratio of Poisson counts). Few posts
  give a wide interval, so a tag must rise clearly to rank.
- **z** = (r − e) / √e, e = R × (b + 1) / (B + 1) the recent posts the baseline share
  predicts: a Poisson z-score (above 3: unlikely to be chance).
"""


@dataclass(frozen=True)
class ReportParams:
    """The report's knobs; ``as_of`` None means just after the newest post."""

    as_of: datetime | None = None
    recent_days: int = 7
    baseline_days: int = 28
    min_recent: int = 3
    min_profiles: int = 3
    limit: int = 20
    series_top: int = 5  # tags drawn as lines
    drivers_top: int = 3  # tags whose profiles are listed


@dataclass
class TrendReport:
    """Every section's frame, computed for one ``as_of``."""

    params: ReportParams
    as_of: datetime
    coverage: dict[str, object]
    rising: pl.DataFrame
    series: pl.DataFrame
    emerging: pl.DataFrame
    mentions: pl.DataFrame
    keywords: pl.DataFrame
    drivers: dict[str, pl.DataFrame]
    profiles: pl.DataFrame
    seasonal: pl.DataFrame | None
    seasonal_note: str
    charts: dict[str, bytes] = field(default_factory=dict)

    def draw(self) -> dict[str, bytes]:
        """The charts as PNG bytes by name (rising, series, profiles); drawn once."""
        if not self.charts:
            self.charts = {
                "rising": rising_chart_png(self.rising),
                "series": series_chart_png(self.series),
                "profiles": profiles_chart_png(self.profiles),
            }
        return self.charts

    def windows(self) -> tuple[datetime, datetime]:
        """(recent window start, baseline window start); both end at the next one's start."""
        recent = self.as_of - timedelta(days=self.params.recent_days)
        return recent, recent - timedelta(days=self.params.baseline_days)

    def markdown(self, images: Mapping[str, str] | None = None) -> str:
        """The report; ``images`` maps chart names to what the Markdown links (a file name,
        a data: URL)."""
        return "\n".join(_sections(self, images or {}))


def build_report(con: duckdb.DuckDBPyConnection, params: ReportParams | None = None) -> TrendReport:
    """Run every trend query for one ``as_of`` on ``con`` (the published copy)."""
    p = params or ReportParams()
    coverage = _coverage(con)
    as_of = p.as_of or (
        coverage["last_post"] + timedelta(seconds=1) if coverage["last_post"] else None
    )
    if as_of is None:
        as_of = datetime.now().astimezone()
    windows = {"as_of": as_of, "recent_days": p.recent_days, "baseline_days": p.baseline_days}
    support = {"min_recent": p.min_recent, "min_profiles": p.min_profiles, "limit": p.limit}
    rising = run_query(con, "trending_terms", kind="hashtag", **windows, **support)
    top = rising["tag_norm"].to_list()
    series = run_query(con, "hashtag_series", tags=",".join(top[: p.series_top]), **windows)
    drivers = {
        tag: run_query(con, "tag_drivers", tag=tag, **windows, limit=5)
        for tag in top[: p.drivers_top]
    }
    seasonal, note = _seasonal(con, p, as_of, coverage, set(top))
    return TrendReport(
        params=p,
        as_of=as_of,
        coverage=coverage,
        rising=rising,
        series=series,
        emerging=_emerging(con, p, as_of),
        mentions=run_query(con, "trending_terms", kind="mention", **windows, **support),
        keywords=run_query(con, "trending_terms", kind="keyword", **windows, **support),
        drivers=drivers,
        profiles=_driver_metrics(
            con, drivers, as_of - timedelta(days=p.recent_days + p.baseline_days)
        ),
        seasonal=seasonal,
        seasonal_note=note,
    )


def _coverage(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    rows = con.sql(
        "SELECT min(taken_at), max(taken_at), count(*), count(DISTINCT owner_id) FROM posts_wide"
    ).fetchall()
    row = rows[0] if rows else None
    first, last, posts, profiles = row if row else (None, None, 0, 0)
    return {"first_post": first, "last_post": last, "posts": posts, "profiles": profiles}


def _emerging(con: duckdb.DuckDBPyConnection, p: ReportParams, as_of: datetime) -> pl.DataFrame:
    """Tags first used in the recent window, by at least ``min_profiles`` profiles."""
    return run_query(
        con,
        "emerging_hashtags",
        as_of=as_of,
        recent_days=p.recent_days,
        min_recent=p.min_recent,
        min_profiles=p.min_profiles,
        limit=p.limit,
    )


def _seasonal(
    con: duckdb.DuckDBPyConnection,
    p: ReportParams,
    as_of: datetime,
    coverage: Mapping[str, object],
    rising_now: set[str],
) -> tuple[pl.DataFrame | None, str]:
    """The tags that rose in the same weeks 52 weeks earlier, when the posts reach back."""
    year_ago = as_of - YEAR
    needed = year_ago - timedelta(days=p.recent_days + p.baseline_days)
    first = coverage["first_post"]
    if not isinstance(first, datetime) or first > needed:
        since = f"{first:%Y-%m-%d}" if isinstance(first, datetime) else "nowhere"
        return None, (
            f"Needs posts back to {needed:%Y-%m-%d} (the same {p.recent_days + p.baseline_days} "
            f"days 52 weeks earlier); the warehouse's posts start {since}."
        )
    frame = run_query(
        con,
        "trending_terms",
        kind="hashtag",
        as_of=year_ago,
        recent_days=p.recent_days,
        baseline_days=p.baseline_days,
        min_recent=p.min_recent,
        min_profiles=p.min_profiles,
        limit=p.limit,
    )
    frame = frame.with_columns(pl.col("tag_norm").is_in(sorted(rising_now)).alias("rising_again"))
    return frame, f"Tags that rose in the weeks ending {year_ago:%Y-%m-%d}, 52 weeks before."


def _driver_metrics(
    con: duckdb.DuckDBPyConnection, drivers: Mapping[str, pl.DataFrame], since: datetime
) -> pl.DataFrame:
    """Followers per fetch of the profiles driving the top tag (up to five of them)."""
    names = next((f["username"].head(5).to_list() for f in drivers.values() if f.height), [])
    if not names:
        return pl.DataFrame({"username": [], "fetched_at": [], "followers": []})
    return run_query(con, "profile_metrics", usernames=",".join(names), since=since)


# ---- Markdown ------------------------------------------------------------------------------

PREFIXES = {"tag": "#", "mention": "@", "username": "@"}
DRIVER_COLUMNS = (
    "username",
    "tag_posts",
    "share_of_tag",
    "avg_likes",
    "followers_first",
    "followers_last",
    "growth_pct",
)


def _cell(value: object, column: str) -> str:
    if value is None:
        return ""
    text = f"{value:%Y-%m-%d %H:%M}" if isinstance(value, datetime) else str(value)
    return (PREFIXES.get(column, "") + text).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    """A Markdown table of ``columns`` (those the frame has), numbers right-aligned; tags,
    mentions and usernames written with their ``#`` or ``@``. "_None._" for no rows."""
    if frame.height == 0:
        return ["_None in this window._", ""]
    cols = [c for c in columns if c in frame.columns]
    align = ("---:" if frame.schema[c].is_numeric() else "---" for c in cols)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(align) + "|"]
    for row in frame.select(cols).iter_rows():
        cells = (_cell(v, c) for c, v in zip(cols, row, strict=True))
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def rising_markdown(frame: pl.DataFrame, png_path: str | Path | None = None) -> str:
    """A Markdown section: the chart (linked by path) and the table of rising hashtags."""
    lines = ["## Rising hashtags", ""]
    if png_path is not None:
        lines += [f"![rising hashtags]({Path(png_path).as_posix()})", ""]
    if frame.height == 0:
        lines.append("_No hashtag passed the minimum support in the recent window._")
    else:
        lines += markdown_table(frame, RISING_COLUMNS)
    return "\n".join(lines).rstrip("\n") + "\n"


def _image(images: Mapping[str, str], name: str, alt: str) -> list[str]:
    return [f"![{alt}]({images[name]})", ""] if name in images else []


def _header(r: TrendReport) -> list[str]:
    p, c = r.params, r.coverage
    recent, baseline = r.windows()
    first, last = c["first_post"], c["last_post"]
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if isinstance(first, datetime) else "none"
    return [
        f"# Trend report as of {r.as_of:%Y-%m-%d %H:%M} UTC",
        "",
        f"- **Recent window**: {recent:%Y-%m-%d %H:%M} to {r.as_of:%Y-%m-%d %H:%M} UTC "
        f"({p.recent_days} days); **baseline window**: the {p.baseline_days} days before it, "
        f"from {baseline:%Y-%m-%d %H:%M}.",
        f"- **Support**: a tag (mention, keyword) needs {p.min_recent} recent posts from "
        f"{p.min_profiles} distinct profiles (`INTREND_TREND_MIN_PROFILES`); tables show the "
        f"top {p.limit}.",
        f"- **Data**: {c['posts']} posts from {c['profiles']} profiles, taken {span}.",
        "",
        "## Definitions",
        "",
        DEFINITIONS,
    ]


def _sections(r: TrendReport, images: Mapping[str, str]) -> list[str]:
    p = r.params
    out = [
        *_header(r),
        "## Rising hashtags",
        "",
        *_image(images, "rising", "rising hashtags"),
        *markdown_table(r.rising, RISING_COLUMNS),
        "## Daily posts of the top rising hashtags",
        "",
        *_image(images, "series", "daily posts of the top rising hashtags"),
        "The grey band is the baseline window; dotted lines are each tag's baseline mean.",
        "",
        "## Who drives them",
        "",
    ]
    shown = dict(zip(r.rising["tag_norm"], r.rising["tag"], strict=True))
    for tag, frame in r.drivers.items():
        out += [f"### #{shown.get(tag, tag)}", "", *markdown_table(frame, DRIVER_COLUMNS)]
    out += [
        "## Followers of the profiles driving the top tag",
        "",
        *_image(images, "profiles", "followers per fetch"),
        "Followers at every fetch (`intrend-warehouse query profile_metrics`); the growth of "
        "each driving profile is in the tables above.",
        "",
        "## Emerging hashtags",
        "",
        f"First used in the recent window, by {p.min_profiles} or more profiles.",
        "",
        *markdown_table(r.emerging, ("tag", "first_used_at", "recent_posts", "recent_profiles")),
        "## Trending @mentions",
        "",
        *markdown_table(r.mentions.rename({"tag": "mention"}), ("mention", *RISING_COLUMNS[1:])),
        "## Trending caption keywords",
        "",
        "Words of four or more letters, hashtags and mentions left out (scripts written "
        "without spaces give runs of characters, not words).",
        "",
        *markdown_table(r.keywords.rename({"tag": "keyword"}), ("keyword", *RISING_COLUMNS[1:])),
        "## Seasonal: the same weeks a year earlier",
        "",
        r.seasonal_note,
        "",
    ]
    if r.seasonal is not None:
        out += markdown_table(r.seasonal, (*RISING_COLUMNS[:5], "rising_again"))
    return out
