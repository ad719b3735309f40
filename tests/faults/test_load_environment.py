"""A load the environment stops (full disk, I/O error, lock, read-only file, closed
connection) keeps every fetch queued; only a fetch's own error sets it aside."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import intrend_assets.loading.queue as parsed
from intrend_assets.loading.errors import environment_label
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.tracking.usernames import InvalidUsername
from tests.faults.disk_full_child import seed
from tests.intrend_assets.test_pending_loads import _fetch, _load

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
WAL_FULL = 'TransactionContext Error: Failed to commit: Could not write file "w.duckdb.wal": '


@pytest.mark.parametrize(
    ("error", "label"),
    [
        (duckdb.TransactionException(WAL_FULL + "No space left on device"), "disk full"),
        (duckdb.IOException("No space left on device"), "disk full"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk full"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk quota exceeded"),
        (OSError(errno.EIO, "Input/output error"), "I/O error"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only file system"),
        (duckdb.IOException('Could not set lock on file "w"'), "warehouse locked"),
        (duckdb.OutOfMemoryException("could not allocate block"), "out of memory"),
        (MemoryError(), "out of memory"),
        (duckdb.FatalException("database has been invalidated"), "warehouse invalidated"),
        (duckdb.CatalogException("Table with name posts does not exist!"), "warehouse schema"),
        (duckdb.ConstraintException("NOT NULL constraint failed: posts.post_id"), None),
        (duckdb.ConversionException("Could not convert string 'x' to INT64"), None),
        (duckdb.OutOfRangeException("value out of range"), None),
        (ValueError("value out of range"), None),
        (InvalidUsername("../etc", "only letters a-z, digits, '.' and '_' are allowed"), None),
    ],
)  # fmt: skip
def test_whose_fault_an_error_is(error: BaseException, label: str | None) -> None:
    assert environment_label(error) == label


def test_real_duckdb_errors_are_told_apart(tmp_path: Path) -> None:
    """The same judgement on errors DuckDB really raises, not on hand-made ones."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n TINYINT)")
        con.execute("INSERT INTO t VALUES (1, 1)")
        for own in ("INSERT INTO t VALUES (1, 2)", "INSERT INTO t VALUES (2, 'x')"):
            with pytest.raises(duckdb.Error) as caught:
                con.execute(own)
            assert environment_label(caught.value) is None, caught.value
    with duckdb.connect(str(db), read_only=True) as ro, pytest.raises(duckdb.Error) as caught:
        ro.execute("INSERT INTO t VALUES (3, 3)")
    assert environment_label(caught.value) == "warehouse opened read-only"
    closed = duckdb.connect(str(db))
    closed.close()
    with pytest.raises(duckdb.Error) as caught:
        closed.execute("SELECT 1")
    assert environment_label(caught.value) == "connection closed"
    hold = f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print(1, flush=True); input()"
    holder = subprocess.Popen(  # another process holds the write lock
        [sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"1"
        with pytest.raises(duckdb.Error) as caught:
            duckdb.connect(str(db))
        assert environment_label(caught.value) == "warehouse locked"
    finally:
        holder.communicate(b"\n", timeout=30)


class FillingDisk:
    """``load_parsed`` on a disk with room for ``capacity`` more posts: a commit that does
    not fit fails as DuckDB fails on a full WAL, smaller ones fit until the disk is full."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.real = parsed.load_parsed

    def __call__(self, con, batch):  # type: ignore[no-untyped-def]
        posts = sum(len(p.post_columns["post_id"]) for p in batch)
        if posts > self.capacity:
            raise duckdb.TransactionException(WAL_FULL + "No space left on device")
        self.capacity -= posts
        return self.real(con, batch)


def test_a_disk_that_fills_part_way_sets_no_fetch_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, db = tmp_path / "raw", tmp_path / "w.duckdb"
    store = LocalRawStore(root)
    names = [f"user{i}" for i in range(10)]
    _fetch(store, names)  # 24 posts each: room for three fetches one at a time
    monkeypatch.setattr(parsed, "load_parsed", FillingDisk(capacity=3 * 24))
    result = _load(root, db)
    assert not result.success  # the load fails, loudly
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert "\n" not in description and "disk full" in description
    assert "10 fetches stay queued" in description
    assert not (root / "pending" / "refused").exists()
    assert sorted(o.username for o in store.pending()) == names
    monkeypatch.undo()  # the disk is freed: the next run loads every fetch
    freed = _load(root, db)
    assert freed.success
    assert store.pending() == []
    (materialization,) = freed.asset_materializations_for_node("posts")
    assert materialization.metadata["fetches_loaded"].value == len(names)


def test_an_io_error_on_one_fetch_alone_keeps_the_rest_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch refused for its rows falls back to one fetch at a time; an I/O error there
    is still the disk's, not that fetch's."""
    root, db = tmp_path / "raw", tmp_path / "w.duckdb"
    store = LocalRawStore(root)
    _fetch(store, ["alice", "bob", "carol"])
    real = parsed.load_parsed

    def bad_batch_then_io(con, batch):  # type: ignore[no-untyped-def]
        if len(batch) > 2:
            raise duckdb.ConstraintException("Duplicate key")  # the batch's rows
        if any(p.username == "bob" for p in batch):
            raise OSError(errno.EIO, "Input/output error")
        return real(con, batch)

    monkeypatch.setattr(parsed, "load_parsed", bad_batch_then_io)
    assert not _load(root, db).success
    assert not (root / "pending" / "refused").exists()
    assert len(store.pending()) == 3
    monkeypatch.setattr(parsed, "load_parsed", real)
    assert _load(root, db).success and store.pending() == []


def test_a_fetch_alone_in_the_queue_whose_rows_are_refused_is_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone in its batch, a fetch the warehouse refuses for its own rows used to fail
    every run; it is set aside like one refused among others."""
    root, db = tmp_path / "raw", tmp_path / "w.duckdb"
    store = LocalRawStore(root)
    _fetch(store, ["alice"])

    def refuses(con, batch):  # type: ignore[no-untyped-def]
        raise duckdb.ConversionException("Could not convert string 'x' to INT64")

    monkeypatch.setattr(parsed, "load_parsed", refuses)
    result = _load(root, db)
    assert result.success
    assert store.pending() == []
    (refused,) = (root / "pending" / "refused").iterdir()
    assert "ConversionException" in refused.read_text()


def _namespaces_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /tmp"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _namespaces_available(), reason="no unprivileged mount namespaces")
def test_a_real_full_disk_keeps_the_queue_and_the_next_run_finishes_it(tmp_path: Path) -> None:
    """The warehouse on a 3 MB tmpfs (user + mount namespace): DuckDB's own "No space left
    on device" stops the load part way; after the disk grows, the next run loads it all."""
    root, disk = tmp_path / "raw", tmp_path / "disk"
    disk.mkdir()
    names = [f"user{i}" for i in range(40)]
    seed(root, profiles=len(names), posts=50)
    child = f"{sys.executable} -m tests.faults.disk_full_child {root} {disk / 'w.duckdb'} 5"
    script = (
        f"mount -t tmpfs -o size=3m tmpfs {disk} && {child} && "
        f"mount -o remount,size=256m tmpfs {disk} && {child}"
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=200,
        cwd=ROOT,
        check=False,
    )
    runs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(runs) == 2, done.stderr[-2000:]
    full, freed = runs
    assert not full["success"]
    assert "disk full" in full["description"] and "\n" not in full["description"]
    assert full["refused"] == []
    assert len(full["loaded"]) < len(names)  # it did fill part way
    # Nothing committed left the queue, and everything not loaded is in it.
    assert set(full["pending"]) | set(full["loaded"]) == set(names)
    assert freed["success"], freed["failure"]
    assert freed["pending"] == [] and freed["refused"] == []
    assert freed["loaded"] == sorted(names)
