"""Row 13: the warehouse disk fills part way through ``posts``, then is freed."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.faults.common import (
    Result,
    _expected_posts,
    audit,
    compare,
    materialize,
    register,
    wide_snapshot,
)

# The full warehouse disk (issue 17): the posts load in this process, on a disk that fills.

DISK_ROOM_SHARE = 1 / 3  # the disk has room for a third of the posts fetched
DISK_LOAD_BATCH = 5  # several commits per load, so that the disk fills part way


class FillingDisk:
    """``load_parsed`` on a disk with room for ``room`` more posts: a commit that does not fit
    fails as DuckDB fails on a full WAL (the same exception, the same words); smaller ones
    still fit until the disk is full."""

    def __init__(self, room: int) -> None:
        import intrend_assets.loading.queue as queue

        self.room = room
        self.refused = 0
        self.real = queue.load_parsed

    def __call__(self, con: Any, batch: Any) -> Any:
        import duckdb

        posts = sum(len(p.post_columns["post_id"]) for p in batch)
        if posts > self.room:
            self.refused += 1
            raise duckdb.TransactionException(
                "TransactionContext Error: Failed to commit: Could not write file "
                '"warehouse.duckdb.wal": No space left on device'
            )
        self.room -= posts
        return self.real(con, batch)


def run_disk_full_fault(
    result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    """Fetch, load on a filling disk (the run must fail, setting nothing aside), free the
    disk, load again without fetching; then audit and rerun as every row does."""
    import dagster as dg

    import intrend_assets.loading.queue as queue
    from intrend_assets.raw_store.store import LocalRawStore

    data_dir = base / "data"
    urls, token = world.addresses(), world.modem_token
    store = LocalRawStore(data_dir / "raw")
    with tempfile.TemporaryDirectory(prefix="dagster-", dir=base) as home:
        instance = dg.DagsterInstance.ephemeral(tempdir=home)
        register(instance, given)
        ok = materialize(urls, token, data_dir, instance, {}, stages=(("raw_profile",),))
        fetched = sum(len(_expected_posts(store, name)) for name in store.usernames())
        disk, batch = FillingDisk(int(fetched * DISK_ROOM_SHARE)), queue.LOAD_BATCH
        queue.load_parsed, queue.LOAD_BATCH = disk, DISK_LOAD_BATCH  # type: ignore[assignment]
        try:
            full = materialize(urls, token, data_dir, instance, {}, stages=(("posts",),))
        finally:
            queue.load_parsed, queue.LOAD_BATCH = disk.real, batch  # the disk is freed
        # Read off the folder, not through the store: main's store cannot list them.
        aside = len(list((data_dir / "raw" / "pending" / "refused").glob("*.json")))
        queued = len(store.pending())
        result.note = (
            f"full-disk posts run {'FAILED as meant' if not full else 'SUCCEEDED: MISSED'}, "
            f"{disk.refused} commits refused, {queued} fetches kept queued, {aside} set aside"
        )
        # The next load, on the freed disk, fetching nothing: what the full one left queued
        # is all it has (a fetch run would refetch and hide what was set aside).
        warehouse_only = (("posts",), ("hashtag_daily", "posts_wide"))
        ok = materialize(urls, token, data_dir, instance, {}, stages=warehouse_only) and ok
        result.runs_ok = ok and not full and aside == 0 and disk.refused > 0
        result.seconds = time.monotonic() - started
        result.peak_connections = world.peak_proxy_connections
        audit(result, given, data_dir)
        first = wide_snapshot(data_dir / "warehouse.duckdb")
        result.runs_ok = materialize(urls, token, data_dir, instance, {}) and result.runs_ok
        result.rerun = compare(first, wide_snapshot(data_dir / "warehouse.duckdb"))
        after = Result(result.fault)
        audit(after, given, data_dir)
        result.dup_posts = max(result.dup_posts, after.dup_posts)
        result.lost = sorted(set(result.lost) | set(after.lost))
        instance.dispose()
    return result
