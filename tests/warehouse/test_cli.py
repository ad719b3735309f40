"""``python -m warehouse``: list, query with every output format, clear errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from warehouse.__main__ import main
from warehouse.db import connect
from warehouse.load import load_parsed, rebuild_posts_wide, refresh_hashtag_daily
from warehouse.publish import publish

from .conftest import AS_OF, REPO_ROOT, synthetic_profiles

# A pipeline step in another process: the working file open for writing, until killed.
HOLD_WRITER = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS held (i INTEGER)")
print("locked", flush=True)
time.sleep(600)
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = connect(path)
    load_parsed(con, synthetic_profiles(profiles=4, posts_per_profile=30))
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)
    con.close()
    return path


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_list() -> None:
    code, out, _ = run(["list"])
    assert code == 0
    assert "rising_hashtags" in out and "--param recent_days=<int>  (default 7)" in out


def test_query_prints_an_aligned_table(db: Path) -> None:
    code, out, err = run(
        [
            "query",
            "rising_hashtags",
            "--db",
            str(db),
            "--param",
            f"as_of={AS_OF.isoformat()}",
            "-p",
            "limit=3",
        ]
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["tag", "tag_norm", "recent_posts"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].startswith("NewWave")
    assert lines[-1] == "(3 rows)"
    # Columns line up: every row has the header's column starts.
    starts = [
        i for i, ch in enumerate(lines[1]) if ch == "-" and (i == 0 or lines[1][i - 1] == " ")
    ]
    for line in lines[2:-1]:
        for s in starts[1:]:
            assert line[s - 2 : s] == "  " or line[s - 1] == " "


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_formats(db: Path, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"out.{fmt}"
    code, _, err = run(
        [
            "query",
            "engagement_by_profile",
            "--db",
            str(db),
            "--format",
            fmt,
            "--output",
            str(target),
        ]
    )
    assert code == 0, err
    if fmt == "csv":
        frame = pl.read_csv(target)
    elif fmt == "json":
        frame = pl.DataFrame(json.loads(target.read_text()))
    else:
        frame = pl.read_parquet(target)
    assert frame.height == 4 and "username" in frame.columns


def test_csv_to_stdout(db: Path) -> None:
    code, out, _ = run(["query", "posting_times", "--db", str(db), "-f", "csv"])
    assert code == 0 and out.splitlines()[0].startswith("weekday,weekday_name,hour_utc")


def test_env_default_path(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTREND_WAREHOUSE_PATH", str(db))
    publish(db)
    code, out, _ = run(["query", "engagement_by_profile"])
    assert code == 0 and "(4 rows)" in out


def test_reads_the_published_copy_while_a_writer_holds_the_working_file(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default is the published copy: a pipeline step writing the working file (another
    process, holding DuckDB's lock) does not lock the analyst out."""
    monkeypatch.setenv("INTREND_WAREHOUSE_PATH", str(db))
    publish(db)
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
        code, out, err = run(["query", "engagement_by_profile"])
        assert code == 0, err
        assert "(4 rows)" in out
        code, _, err = run(["query", "engagement_by_profile", "--db", str(db)])
        assert code == 1 and "lock" in err  # the working file itself is what was locked
    finally:
        writer.kill()
        writer.wait()


def test_says_how_to_publish_when_nothing_is_published(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTREND_WAREHOUSE_PATH", str(db))
    code, _, err = run(["query", "engagement_by_profile"])
    assert code == 1
    assert "no published warehouse" in err and "python -m warehouse.publish" in err


def test_finds_the_warehouse_in_the_data_dir_like_the_pipeline(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INTREND_DATA_DIR alone: the pipeline writes DATA_DIR/warehouse.duckdb, so the command
    reads it there too."""
    db.rename(db.with_name("warehouse.duckdb"))
    publish(db.with_name("warehouse.duckdb"))
    monkeypatch.delenv("INTREND_WAREHOUSE_PATH", raising=False)
    monkeypatch.setenv("INTREND_DATA_DIR", str(db.parent))
    code, out, err = run(["query", "engagement_by_profile"])
    assert code == 0, err
    assert "(4 rows)" in out


def test_errors(db: Path, tmp_path: Path) -> None:
    code, _, err = run(["query", "rising_hashtags", "--db", str(tmp_path / "missing.duckdb")])
    assert code == 1 and "no warehouse file" in err
    code, _, err = run(["query", "no_such_query", "--db", str(db)])
    assert code == 2 and "unknown query" in err and "rising_hashtags" in err
    code, _, err = run(["query", "rising_hashtags", "--db", str(db), "-p", "bogus=1"])
    assert code == 2 and "no parameter bogus" in err
    code, _, err = run(["query", "rising_hashtags", "--db", str(db), "-p", "limit"])
    assert code == 2 and "key=value" in err
    code, _, err = run(["query", "rising_hashtags", "--db", str(db), "-f", "parquet"])
    assert code == 2 and "--output" in err


def test_opens_read_only(db: Path) -> None:
    before = db.stat().st_mtime_ns
    assert run(["query", "ip_ranges", "--db", str(db)])[0] == 0
    assert db.stat().st_mtime_ns == before


def test_module_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0
    assert "intrend-warehouse" in result.stdout and "INTREND_WAREHOUSE_PATH" in result.stdout
