"""The published copy: swapped in whole, never locked by the writer, readable by DuckDB 1.4."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.db import connect
from warehouse.load import load_parsed, rebuild_posts_wide, refresh_hashtag_daily
from warehouse.publish import (
    connect_published,
    publish,
    published_path,
    readable_by_published_readers,
    storage_version,
)

from .conftest import REPO_ROOT, synthetic_profiles

# Another process: opens the file read-only, prints what it holds, keeps it open until killed
# (an analyst's notebook or DuckDB CLI).
HOLD_READER = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM posts_wide").fetchone()[0], flush=True)
time.sleep(600)
"""


def _build(path: Path, profiles: int = 3) -> Path:
    con = connect(path)
    load_parsed(con, synthetic_profiles(profiles=profiles, posts_per_profile=10))
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)
    con.close()
    return path


def _count(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM posts_wide").fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def _add_posts(path: Path, n: int) -> None:
    con = connect(path)
    con.execute(
        "INSERT INTO posts_wide (post_id) SELECT 'extra' || i FROM range($n) t(i)", {"n": n}
    )
    con.close()


def test_publish_copies_the_working_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    working = _build(tmp_path / "warehouse.duckdb")
    done = publish(working)
    assert done.path == tmp_path / "published" / "warehouse.duckdb" == published_path(working)
    assert done.method == "copy"  # new working files are made in the published format
    assert _count(done.path) == _count(working) == 30
    assert sorted(p.name for p in done.path.parent.iterdir()) == ["warehouse.duckdb"]
    with connect_published(working) as con:
        assert storage_version(con).startswith("v1.4.0")
        views = con.execute("SELECT count(*) FROM strategy_health").fetchone()
        assert views is not None  # the views came along and bind


def test_a_working_file_in_a_newer_format_is_rewritten_into_the_published_one(
    tmp_path: Path,
) -> None:
    working = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(working)).close()  # made by plain duckdb 2.x: the latest format
    _build(working)
    with duckdb.connect(str(working), read_only=True) as con:
        assert not readable_by_published_readers(storage_version(con))
    done = publish(working)
    assert done.method == "rewrite"
    assert _count(done.path) == 30
    with connect_published(working) as con:
        assert readable_by_published_readers(storage_version(con))
        row = con.execute("SELECT count(*) FROM applied_schema").fetchone()
        assert row == (1,)


def test_a_reader_holding_the_old_copy_keeps_it_while_a_new_one_is_swapped_in(
    tmp_path: Path,
) -> None:
    """On Linux ``os.replace`` leaves an open file intact: the analyst's connection goes on
    reading the copy it opened; a new open gets the new copy. And the writer never waits."""
    working = _build(tmp_path / "warehouse.duckdb")
    published = publish(working).path
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_READER, str(published)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "30"
        _add_posts(working, 5)
        publish(working)  # a read-only open of the published copy does not stop it
        assert _count(published) == 35
        os.kill(reader.pid, 0)  # the reader is still there, its file open
        with duckdb.connect(str(published), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM posts_wide").fetchone() == (35,)
    finally:
        reader.kill()
        reader.wait()


def test_an_open_connection_in_the_same_process_survives_the_swap(tmp_path: Path) -> None:
    working = _build(tmp_path / "warehouse.duckdb")
    publish(working)
    with connect_published(working) as held:
        _add_posts(working, 2)
        publish(working)
        # The held connection reads the copy it opened, consistently, to its last page.
        assert held.execute("SELECT count(*) FROM posts_wide").fetchone() == (30,)
        assert held.execute("SELECT count(*) FROM posts").fetchone() == (30,)
    assert _count(published_path(working)) == 32


def test_a_failed_publish_keeps_the_previous_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    working = _build(tmp_path / "warehouse.duckdb")
    publish(working)
    _add_posts(working, 1)

    def broken(src: object, dst: object) -> None:
        Path(str(dst)).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copyfile", broken)
    with pytest.raises(OSError, match="disk full"):
        publish(working)
    assert _count(published_path(working)) == 30
    assert sorted(p.name for p in published_path(working).parent.iterdir()) == ["warehouse.duckdb"]


def test_nothing_published_says_how_to_publish(tmp_path: Path) -> None:
    working = _build(tmp_path / "warehouse.duckdb")
    with pytest.raises(FileNotFoundError, match=r"python -m warehouse\.publish"):
        connect_published(working)


DUCKDB_14 = REPO_ROOT / ".tools" / "duckdb-1.4"


@pytest.fixture(scope="module")
def duckdb_14() -> Path:
    """A Python with duckdb 1.4 LTS, made once per checkout with uv from the package index
    (``.tools/duckdb-1.4``); a lock keeps two test workers from making it at once."""
    python = DUCKDB_14 / "bin" / "python"
    uv = REPO_ROOT / ".tools" / "bin" / "uv"
    DUCKDB_14.parent.mkdir(parents=True, exist_ok=True)
    with open(DUCKDB_14.parent / ".duckdb-1.4.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (DUCKDB_14 / ".ready").exists():
            shutil.rmtree(DUCKDB_14, ignore_errors=True)
            subprocess.run([uv, "venv", "-q", "--python", sys.executable, DUCKDB_14], check=True)
            subprocess.run(
                [uv, "pip", "install", "-q", "--python", python, "duckdb==1.4.*"], check=True
            )
            (DUCKDB_14 / ".ready").touch()
    return python


READ_WITH_14 = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(duckdb.__version__)
print(con.execute("SELECT count(*), count(DISTINCT owner_username) FROM posts_wide").fetchone())
for (view,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
    con.execute(f'SELECT count(*) FROM (SELECT * FROM "{view}")').fetchall()  # binds it
print("views ok")
"""


@pytest.mark.slow
@pytest.mark.parametrize("made_by", ["warehouse.db", "plain duckdb"])
def test_duckdb_14_opens_the_published_copy(tmp_path: Path, duckdb_14: Path, made_by: str) -> None:
    """Both ways of publishing (a file copy, a rewrite of a newer-format working file) give a
    file DuckDB 1.4 LTS opens, with every table and view of the warehouse."""
    working = tmp_path / "warehouse.duckdb"
    if made_by == "plain duckdb":
        duckdb.connect(str(working)).close()
    _build(working)
    published = publish(working).path
    shown = subprocess.run(
        [duckdb_14, "-c", READ_WITH_14, str(published)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    version, counts, views = shown.stdout.split("\n")[:3]
    assert version.startswith("1.4.")
    assert counts == "(30, 3)"
    assert views == "views ok"
