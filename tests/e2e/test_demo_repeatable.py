"""``intrend demo`` twice on one folder: the same posts, and figures that are the report's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from intrend_assets.lib.instance import prepare_dagster_home, project_dir
from sandbox.commands import main
from warehouse.db import connect

pytestmark = [pytest.mark.slow, pytest.mark.timeout(280)]


def _demo(data: Path, capsys: pytest.CaptureFixture[str]) -> str:
    options = ["--profiles", "16", "--data-dir", str(data), "--log-level", "ERROR"]
    assert main(["demo", *options, "--login-wall", "web_profile_info=0"]) == 0
    return capsys.readouterr().out


def _printed_rising(out: str) -> dict[str, float]:
    """tag -> lift of the table the demo prints (columns two or more spaces apart)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Top "))
    header = re.split(r"\s{2,}", lines[start + 1].strip())
    rows = {}
    for line in lines[start + 3 :]:
        if not line.strip():
            break
        cells = dict(zip(header, re.split(r"\s{2,}", line.strip()), strict=False))
        rows[cells["tag"]] = float(cells["lift"])
    return rows


def _report_rising(report: str) -> dict[str, float]:
    """tag -> lift of the Markdown table of trend_report.md that has a lift column."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| tag") and "lift" in line)
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows[cells["tag"].removeprefix("#")] = float(cells["lift"])
    return rows


def _same_as_report(printed: dict[str, float], data: Path) -> None:
    """The demo prints the report's top rows, in its order, with its figures."""
    report = _report_rising((data / "trend_report.md").read_text("utf-8"))
    top = dict(list(report.items())[: len(printed)])
    assert list(top.items()) == list(printed.items())


def _posts(data: Path) -> tuple[int, int]:
    con = connect(data / "published" / "warehouse.duckdb", read_only=True)
    try:
        row = con.execute("select count(*), count(distinct post_id) from posts_wide").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_second_demo_sees_the_same_posts_and_prints_the_reports_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sandbox anchored its clock at "now" and derived post ids from post times: a second
    run doubled posts_wide; and the demo's lift was computed at another "now" than the
    report's (105.544 printed, 105.342 in trend_report.md)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ".dagster"))  # restored afterwards
    monkeypatch.setattr(
        "sandbox.commands.prepare_dagster_home",
        lambda base, project=None: prepare_dagster_home(tmp_path, project_dir()),
    )
    data = tmp_path / "data"
    first = _demo(data, capsys)
    posts_first = _posts(data)
    printed = _printed_rising(first)
    assert printed, first
    _same_as_report(printed, data)

    second = _demo(data, capsys)
    assert _posts(data) == posts_first
    assert posts_first[0] == posts_first[1] > 100
    assert _printed_rising(second) == printed
    _same_as_report(printed, data)
