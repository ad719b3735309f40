"""Temporary files left by a killed write are removed once they are clearly stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

from intrend_assets.raw_store.store import LocalRawStore


def _leftover(path: Path, age_seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a write")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def test_stale_temporary_files_go_when_the_store_lists_its_pending_fetches(
    tmp_path: Path,
) -> None:
    old = [
        _leftover(tmp_path / "profiles" / "alice" / ".tmp-abc.zst", 7200),
        _leftover(tmp_path / "pending" / ".tmp-def", 7200),
        _leftover(tmp_path / "pages" / "alice" / "20260101T000000.000000Z" / ".tmp-1.zst", 7200),
    ]
    fresh = _leftover(tmp_path / "profiles" / "alice" / ".tmp-now.zst", 5)
    kept = _leftover(tmp_path / "profiles" / "alice" / "notes.tmp-old", 7200)
    store = LocalRawStore(tmp_path)
    assert store.pending() == []
    assert [p.exists() for p in old] == [False, False, False]
    assert fresh.exists(), "a write in progress keeps its temporary file"
    assert kept.exists(), "only names the store's own writes use are removed"
