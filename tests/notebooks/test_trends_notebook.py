"""notebooks/trends.py runs headless (``marimo export html``) over the published copy and
shows the trend report's own tables and charts; without a published copy it fails loudly."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.warehouse.trend_data import build_trend_warehouse
from warehouse.db import connect
from warehouse.publish import connect_published, publish
from warehouse.report import build_report

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "trends.py"
MARIMO = Path(sys.executable).parent / "marimo"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTREND_")}
    # No update check, no browser: nothing leaves the machine.
    return env | {"INTREND_DATA_DIR": str(data_dir), "MARIMO_SKIP_UPDATE_CHECK": "1"}


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A data folder whose warehouse has trends planted and a published copy."""
    working = tmp_path / "data" / "warehouse.duckdb"
    working.parent.mkdir()
    con = connect(working)
    try:
        build_trend_warehouse(con)
    finally:
        con.close()
    publish(working)
    # A row the published copy lacks: the notebook must read the copy, not the working file.
    con = connect(working)
    con.execute("UPDATE posts_wide SET caption = 'working file only'")
    con.close()
    return working


def test_the_notebook_runs_headless_with_the_reports_tables_and_charts(
    published: Path, tmp_path: Path
) -> None:
    out = tmp_path / "trends.html"
    done = subprocess.run(
        [str(MARIMO), "export", "html", "--no-sandbox", "-f", str(NOTEBOOK), "-o", str(out)],
        env=_env(published.parent),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    html = out.read_text("utf-8")
    con = connect_published(published)
    try:
        report = build_report(con)
    finally:
        con.close()
    assert f"As of {report.as_of:%Y-%m-%d %H:%M} UTC" in html
    assert str(published.parent / "published" / "warehouse.duckdb") in html
    assert "working file only" not in html
    for frame in (report.rising, report.mentions, report.keywords, report.emerging):
        assert frame.height > 0
        assert all(tag in html for tag in frame["tag"]), frame
    # The very charts the report draws (same frames, same drawing code), embedded.
    for name, png in report.draw().items():
        assert base64.b64encode(png).decode() in html, name
    assert "Traceback" not in html


def test_without_a_published_copy_the_notebook_says_where_it_looked(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(NOTEBOOK)],
        env=_env(tmp_path / "nothing"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert f"no published warehouse at {tmp_path / 'nothing' / 'published'}" in done.stderr
