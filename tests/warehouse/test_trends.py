"""Trend analysis: a ranking with confidence and a minimum of profiles, days as lines,
drivers, mentions and words, profile metrics, and the report that states its windows."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.queries import QueryError, run_query
from warehouse.report import ReportParams, build_report

from .conftest import AS_OF
from .trend_data import build_trend_warehouse


@pytest.fixture
def trends(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    build_trend_warehouse(con)
    return con


def test_a_tag_from_two_profiles_is_not_a_trend(trends: duckdb.DuckDBPyConnection) -> None:
    """ラーメン料理, 3 posts from 2 profiles, ranked second by lift alone."""
    lift_only = run_query(trends, "rising_hashtags", as_of=AS_OF, limit=5)
    assert lift_only["tag"].to_list()[:2] == ["NewWave", "ラーメン料理"]
    ranked = run_query(trends, "trending_terms", as_of=AS_OF, min_profiles=3)
    assert "ラーメン料理" not in ranked["tag"].to_list()
    assert ranked["tag"][0] == "NewWave"
    looser = run_query(trends, "trending_terms", as_of=AS_OF, min_profiles=2)
    assert "ラーメン料理" in looser["tag"].to_list()


def test_the_score_is_the_lower_bound_of_the_lift(trends: duckdb.DuckDBPyConnection) -> None:
    ranked = run_query(
        trends, "trending_terms", as_of=AS_OF, min_profiles=2, min_lift_low=0.0, limit=50
    )
    assert ranked["lift_low"].to_list() == sorted(ranked["lift_low"].to_list(), reverse=True)
    assert (ranked["lift_low"] < ranked["lift"]).all()
    ramen = ranked.row(by_predicate=pl.col("tag") == "ラーメン料理", named=True)
    wave = ranked.row(0, named=True)
    # Fewer posts, a wider interval: its bound sits much further below its lift.
    assert ramen["lift_low"] / ramen["lift"] < wave["lift_low"] / wave["lift"]
    assert wave["z"] > 10 and ramen["recent_profiles"] == 2
    rising = run_query(trends, "trending_terms", as_of=AS_OF)
    assert (rising["lift_low"] > 1).all()  # the default: rising with 95 % confidence


def test_mentions_and_caption_keywords(trends: duckdb.DuckDBPyConnection) -> None:
    mentions = run_query(trends, "trending_terms", kind="mention", as_of=AS_OF)
    assert mentions["tag"][0] == "newbrand"
    words = run_query(
        trends, "trending_terms", kind="keyword", as_of=AS_OF, min_lift_low=0.0, limit=100
    )
    assert words["tag"][0] == "eclipse"
    # Hashtags and mentions are not caption words.
    assert not {"newwave", "newbrand", "friend", "travel"} & set(words["tag"].to_list())
    with pytest.raises(duckdb.Error, match="kind must be"):
        run_query(trends, "trending_terms", kind="emoji")


def test_daily_series_fills_days_and_adds_up_to_the_ranking(
    trends: duckdb.DuckDBPyConnection,
) -> None:
    series = run_query(trends, "hashtag_series", tags="newwave,music,absent", as_of=AS_OF)
    assert series.group_by("tag_norm").len()["len"].to_list() == [35, 35, 35]
    ranked = run_query(trends, "trending_terms", as_of=AS_OF, min_lift_low=0.0, limit=50)
    for tag in ("newwave", "music"):
        rows = series.filter(series["tag_norm"] == tag)
        row = ranked.row(by_predicate=pl.col("tag_norm") == tag, named=True)
        assert rows.filter(rows["period"] == "recent")["posts"].sum() == row["recent_posts"]
        assert rows.filter(rows["period"] == "baseline")["posts"].sum() == row["baseline_posts"]
    assert series.filter(series["tag_norm"] == "absent")["posts"].sum() == 0
    assert series.filter(series["period"] == "recent")["day"].min() == (AS_OF - timedelta(7)).date()


def test_drivers_and_profile_metrics(trends: duckdb.DuckDBPyConnection) -> None:
    drivers = run_query(trends, "tag_drivers", tag="#NEWWAVE", as_of=AS_OF)
    assert set(drivers["username"]) <= {f"user{p}" for p in range(8)}
    assert abs(drivers["share_of_tag"].sum() - 1.0) < 0.01
    assert (drivers["followers_gained"] == 600).all()  # +300 a fetch, three fetches
    metrics = run_query(trends, "profile_metrics", usernames="user0, USER10")
    assert metrics["username"].to_list() == ["user0"] * 3 + ["user10"] * 3
    assert metrics["followers"].to_list() == [1000, 1300, 1600, 2000, 2010, 2020]
    assert metrics["growth_pct"].to_list()[:3] == [0.0, 30.0, 60.0]
    assert (metrics["likes"] > 0).all() and metrics["posts_measured"].to_list()[2] == 40


def test_the_report_states_its_windows_and_sections(trends: duckdb.DuckDBPyConnection) -> None:
    report = build_report(trends, ReportParams(as_of=AS_OF))
    text = report.markdown({"rising": "r.png", "series": "s.png", "profiles": "p.png"})
    assert text.startswith("# Trend report as of 2026-06-01 00:00 UTC")
    assert "2026-05-25 00:00 to 2026-06-01 00:00 UTC (7 days)" in text
    assert "from 2026-04-27 00:00" in text and "3 distinct profiles" in text
    assert "**lift** =" in text and "**lift_low**" in text and "**z**" in text
    for image in ("r.png", "s.png", "p.png"):
        assert f"]({image})" in text
    assert "| #NewWave |" in text and "ラーメン料理" not in text
    assert "### #NewWave" in text and "| @user" in text
    assert "| @newbrand |" in text and "| eclipse |" in text
    assert "Needs posts back to 2025-04-28" in text  # 52 weeks and 35 days before
    charts = report.draw()
    assert set(charts) == {"rising", "series", "profiles"}
    assert all(png.startswith(b"\x89PNG") for png in charts.values())


def test_unknown_parameter_is_refused(trends: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QueryError):
        run_query(trends, "hashtag_series", tag="newwave")


def test_non_latin_tags_are_drawn_with_real_glyphs() -> None:
    """CJK, Hangul and Devanagari tags were boxes unless Debian's Noto fonts were installed;
    the fonts now come with the project's Python packages."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from warehouse.charts import register_fonts, rising_chart_png

    families = register_fonts()
    paths = font_manager.fontManager._find_fonts_by_props(
        font_manager.FontProperties(family=families)
    )
    charmaps = [(Path(str(p)), set(FT2Font(str(p)).get_charmap())) for p in paths]
    for char in "ラーメン料理한국어हिन्दी":
        font = next((path for path, chars in charmaps if ord(char) in chars), None)
        assert font is not None and "Noto" in font.name, (char, font)
    frame = pl.DataFrame(
        {
            "tag": ["ラーメン料理", "한국어", "हिन्दी"],
            "recent_per_day": [3.0, 2.0, 1.0],
            "baseline_per_day": [0.1, 0.2, 0.3],
            "lift": [5.0, 4.0, 3.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        assert rising_chart_png(frame).startswith(b"\x89PNG")


def test_the_command_line_writes_the_report(
    trends: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from warehouse.__main__ import main

    trends.execute("CHECKPOINT")
    db = Path(trends.sql("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchall()[0][0])
    trends.close()
    monkeypatch.setenv("INTREND_TREND_MIN_PROFILES", "2")
    out = io.StringIO()
    folder = tmp_path / "report"
    argv = ["report", "--db", str(db), "--as-of", "2026-06-01T00:00:00Z", "--out", str(folder)]
    assert main(argv, stdout=out) == 0
    text = (folder / "trend_report.md").read_text("utf-8")
    assert "ラーメン料理" in text and "2 distinct profiles" in text  # the setting is read
    assert {p.name for p in folder.glob("*.png")} == {
        "trend_rising.png",
        "trend_series.png",
        "trend_profiles.png",
    }
    assert str(folder / "trend_report.md") in out.getvalue()
