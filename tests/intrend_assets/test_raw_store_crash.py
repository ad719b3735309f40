"""A process killed between storing a fetch's answer and queueing it loses nothing: the
answer's *open* marker, written before the answer, brings it into the queue on a later run.
On a folder and on a bucket of the loopback S3 server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.defs.warehouse.posts import posts
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.raw_store.store import RawStore
from tests.infra.s3 import StoreFactory

FETCHED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# The fetcher's order (profile_fetch._store): put, pages, mark_pending. The child dies by
# SIGKILL after the page (``page``) or on writing the answer (``marker``): nothing of
# Python's shutdown runs.
CHILD = """
import os, signal, sys
from datetime import datetime
from intrend_assets.raw_store.store import open_raw_store

url, endpoint, stop_after, fetched_at, body = sys.argv[1:6]
store = open_raw_store(url, endpoint=endpoint or None)
if stop_after == "marker":  # dies on the second write: the open marker made, no answer
    put, writes = store.blobs.put, []
    def dying(key, data):
        writes.append(key)
        if len(writes) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        put(key, data)
    store.blobs.put = dying
obj = store.put("alice", datetime.fromisoformat(fetched_at), body.encode())
store.put_page(obj, 1, body.encode())
os.kill(os.getpid(), signal.SIGKILL)
"""


def _answer() -> str:
    edges = [{"node": {"id": str(i), "taken_at_timestamp": 1_700_000_000 + i}} for i in (1, 2)]
    media = {"count": 2, "edges": edges, "page_info": {"has_next_page": False}}
    user = {"id": "42", "username": "alice", "is_private": False}
    return json.dumps({"data": {"user": {**user, "edge_owner_to_timeline_media": media}}})


def _killed_child(store: RawStore, endpoint: str, stop_after: str) -> None:
    argv = [store.url, endpoint, stop_after, FETCHED_AT.isoformat(), _answer()]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def _endpoint(store: RawStore) -> str:
    return getattr(store.blobs, "endpoint", None) or ""


def _load(store: RawStore, db: Path) -> dg.ExecuteInProcessResult:
    with dg.instance_for_test() as instance:
        return dg.materialize(
            [posts],
            resources={
                "raw_store": store,
                "warehouse": WarehouseFile(db),
                "metrics": MetricsGateway(None),
            },
            instance=instance,
        )


def test_a_fetch_killed_before_its_queue_marker_is_loaded_later(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store()
    _killed_child(store, _endpoint(store), "page")
    (obj,) = store.objects("alice")
    # Within the grace a fetch may still be paging in another run: not queued yet.
    assert store.pending(now=FETCHED_AT + timedelta(minutes=5)) == []
    # Past it, the fetch is queued, answer and stored page, and loads like any other.
    later = FETCHED_AT + store.open_grace + timedelta(seconds=1)
    (queued,) = store.pending(now=later)
    assert queued.key == obj.key and queued.size == obj.size
    assert store.blobs.list("opening/") == []
    db = tmp_path / "w.duckdb"
    assert _load(store, db).success
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM posts").fetchone() == (2,)
    assert store.pending(now=later) == []


def test_a_fetch_killed_before_its_answer_was_stored_leaves_nothing(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    _killed_child(store, _endpoint(store), "marker")
    assert store.objects("alice") == []
    assert len(store.blobs.list("opening/")) == 1  # the marker the answer never followed
    later = FETCHED_AT + store.open_grace + timedelta(seconds=1)
    assert store.pending(now=later) == []
    assert store.blobs.list("opening/") == []


def test_a_queued_fetch_leaves_no_open_marker(make_store: StoreFactory) -> None:
    store = make_store()
    obj = store.put("alice", FETCHED_AT, _answer().encode())
    assert [e.key for e in store.blobs.list("opening/")] != []
    store.mark_pending(obj)
    assert store.blobs.list("opening/") == []
    assert store.pending(now=FETCHED_AT + timedelta(days=1)) == [obj]
