from __future__ import annotations

import duckdb

from warehouse.load import load_parsed, rebuild_posts_wide, refresh_hashtag_daily
from warehouse.queries import run_query
from warehouse.report import rising_chart_png, rising_markdown

from .conftest import AS_OF, synthetic_profiles


def test_chart_and_markdown(con: duckdb.DuckDBPyConnection, tmp_path) -> None:
    load_parsed(con, synthetic_profiles())
    refresh_hashtag_daily(con)  # rising_hashtags counts whole days from hashtag_daily
    rebuild_posts_wide(con)
    frame = run_query(con, "rising_hashtags", as_of=AS_OF, limit=8)
    png = rising_chart_png(frame)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    (tmp_path / "rising.png").write_bytes(png)
    text = rising_markdown(frame, tmp_path / "rising.png")
    assert "![rising hashtags](" in text and "| #NewWave |" in text
    assert text.count("\n| #") == frame.height


def test_empty_frame_still_renders(con: duckdb.DuckDBPyConnection) -> None:
    frame = run_query(con, "rising_hashtags")
    assert rising_chart_png(frame).startswith(b"\x89PNG")
    assert "No hashtag" in rising_markdown(frame)
