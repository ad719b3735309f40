"""Temporary files left by a killed write are removed once they are clearly stale, without
walking the answers: a folder store writes them in ``.tmp/``, which is all pending() sweeps."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from intrend_assets.raw_store.retention import RetentionPolicy, apply_retention
from intrend_assets.raw_store.store import LocalRawStore


def _leftover(path: Path, age_seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a write")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


# The answer's write killed by SIGKILL between writing its bytes and renaming them into
# place (its open marker, the write before, is whole).
CHILD = """
import os, signal, sys
from datetime import UTC, datetime
from intrend_assets.raw_store.store import LocalRawStore

real, calls = os.fsync, []
def dying(fd):
    calls.append(fd)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    real(fd)
os.fsync = dying
LocalRawStore(sys.argv[1]).put("alice", datetime.now(UTC), b"{}")
"""


def test_a_write_killed_half_way_leaves_its_temporary_file_in_tmp_only(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], timeout=60, check=False)
    assert done.returncode == -9
    left = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()]
    opening = [name for name in left if name.startswith("opening/")]
    temporary = [name for name in left if name not in opening]
    assert len(opening) == 1  # the open marker was written whole before the answer
    assert len(temporary) == 1 and temporary[0].startswith(".tmp/.tmp-"), left


def test_stale_temporary_files_go_when_the_store_lists_its_pending_fetches(
    tmp_path: Path,
) -> None:
    old = [_leftover(tmp_path / ".tmp" / f".tmp-{n}.zst", 7200) for n in ("abc", "def")]
    fresh = _leftover(tmp_path / ".tmp" / ".tmp-now.zst", 5)
    kept = _leftover(tmp_path / ".tmp" / "notes.tmp-old", 7200)
    store = LocalRawStore(tmp_path)
    assert store.pending() == []
    assert [p.exists() for p in old] == [False, False]
    assert fresh.exists(), "a write in progress keeps its temporary file"
    assert kept.exists(), "only names the store's own writes use are removed"


def test_a_retention_pass_sweeps_those_earlier_versions_left_beside_the_objects(
    tmp_path: Path,
) -> None:
    """Before ``.tmp/``, a write's temporary file sat beside its object; pending() no longer
    walks there, a retention pass (which visits every object anyway) does."""
    old = [
        _leftover(tmp_path / "profiles" / "alice" / ".tmp-abc.zst", 7200),
        _leftover(tmp_path / "pages" / "alice" / "20260101T000000.000000Z" / ".tmp-1.zst", 7200),
    ]
    fresh = _leftover(tmp_path / "profiles" / "alice" / ".tmp-now.zst", 5)
    store = LocalRawStore(tmp_path)
    store.put("alice", datetime.now(UTC), b"{}")
    policy = RetentionPolicy(keep_fetches=1)
    apply_retention(store, policy, dry_run=True)
    assert all(p.exists() for p in old), "a dry run deletes nothing"
    apply_retention(store, policy)
    assert [p.exists() for p in old] == [False, False]
    assert fresh.exists()
