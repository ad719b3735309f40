"""Benchmark: what publishing the warehouse costs a writing step (default 1M-row posts_wide).

    python benchmarks/warehouse_publish.py                  # 1M posts, 3 publishes each way
    python benchmarks/warehouse_publish.py --posts 200000 --runs 1

posts_wide is filled as in ``rising_query.py``; ``posts`` gets the same
posts (with captions), so the file is about the size a warehouse of that many posts is. Two
working files are timed: one made by ``warehouse.db.connect`` (storage v1.4.0, published by
a file copy) and one made in DuckDB's newest format (published by a rewrite into v1.4.0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rising_query import fill

from warehouse.db import connect
from warehouse.publish import publish


def build(path: Path, posts: int, newest_format: bool) -> float:
    """A warehouse of ``posts`` posts at ``path``; returns the seconds it took."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    if newest_format:
        duckdb.connect(str(path)).close()
    con = connect(path)
    try:
        fill(con, posts)
        con.execute(
            """
            INSERT INTO posts BY NAME
            SELECT post_id, post_num, owner_id, owner_username, taken_at, hashtags, hashtags_norm,
                   like_count, comment_count,
                   repeat('a caption of some words ', 6) || post_id AS caption,
                   'https://cdn.example/v/' || post_id || '.jpg' AS display_url
            FROM posts_wide
            """
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="intrend-publish-") as tmp:
        for newest in (False, True):
            working = Path(tmp) / ("newest" if newest else "v140") / "warehouse.duckdb"
            seconds = build(working, args.posts, newest)
            times, method, size = [], "", 0
            for _ in range(args.runs):
                done = publish(working)
                times.append(done.seconds)
                method, size = done.method, done.bytes
            made = "DuckDB's newest format" if newest else "warehouse.db (v1.4.0)"
            print(
                f"{args.posts:,} posts, working file made by {made}: "
                f"{working.stat().st_size / 1e6:.0f} MB (built in {seconds:.1f} s); "
                f"publish by {method}: median {statistics.median(times):.3f} s, "
                f"max {max(times):.3f} s over {args.runs}; published {size / 1e6:.0f} MB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
