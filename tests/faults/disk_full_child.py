"""One ``posts`` run in a process of its own, for the disk-full test.

``python -m tests.faults.disk_full_child RAW DB BATCH`` materializes ``posts`` from the raw
store at RAW into the warehouse file DB, BATCH fetches a commit, and prints one JSON line:
whether the run succeeded, the failure's description, what is still queued and set aside,
and what the warehouse holds.
The test runs it inside a user and mount namespace (``unshare -rm``) with DB on a tiny
tmpfs: a real full disk, without privileges.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = 1_700_000_000


def seed(root: Path, profiles: int, posts: int) -> None:
    """Queue ``profiles`` fetches of ``posts`` distinct posts each, captions long enough
    that a few megabytes of warehouse fill part way through them."""
    from intrend_assets.raw_store.store import LocalRawStore

    store = LocalRawStore(root)
    now = datetime.now(UTC) - timedelta(hours=1)
    for i in range(profiles):
        name = f"user{i}"
        edges = [
            {
                "node": {
                    "id": f"{i}{j:04d}",
                    "taken_at_timestamp": T0 + j,
                    "edge_media_to_caption": {
                        "edges": [{"node": {"text": f"{name} post {j} " * 120 + f"#tag{j}"}}]
                    },
                }
            }
            for j in range(posts)
        ]
        media = {"count": posts, "edges": edges, "page_info": {"has_next_page": False}}
        user = {"id": str(1000 + i), "username": name, "edge_owner_to_timeline_media": media}
        body = json.dumps({"data": {"user": user}, "status": "ok"}).encode()
        store.mark_pending(store.put(name, now + timedelta(seconds=i), body))


def run(root: Path, db: Path, batch: int) -> dict[str, object]:
    import dagster as dg
    import duckdb

    import intrend_assets.loading.queue as queue
    from intrend_assets.defs.resources import WarehouseFile
    from intrend_assets.defs.warehouse.posts import posts
    from intrend_assets.lib.metrics_push import MetricsGateway
    from intrend_assets.raw_store.store import LocalRawStore

    queue.LOAD_BATCH = batch  # several commits, so that the disk fills part way
    store = LocalRawStore(root)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [posts],
            resources={
                "raw_store": store,
                "warehouse": WarehouseFile(db),
                "metrics": MetricsGateway(None),
            },
            instance=instance,
            raise_on_error=False,
        )
        failure = next((e for e in result.all_events if e.is_step_failure), None)
    refused = root / "pending" / "refused"
    loaded: list[str] = []
    if db.exists():
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.execute("SELECT DISTINCT owner_username FROM posts ORDER BY 1").fetchall()
            loaded = [r[0] for r in rows]
    return {
        "success": result.success,
        "failure": failure.step_failure_data.error.message if failure else None,
        "description": (
            failure.step_failure_data.user_failure_data.description
            if failure and failure.step_failure_data.user_failure_data
            else None
        ),
        "pending": sorted(o.username for o in store.pending()),
        "refused": sorted(p.name for p in refused.iterdir()) if refused.is_dir() else [],
        "loaded": loaded,
    }


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))), flush=True)
