"""Benchmark: ``rising_hashtags`` on a large posts_wide (default 10M rows).

    python benchmarks/rising_query.py                       # 10M posts, 7 runs
    python benchmarks/rising_query.py --posts 200000 --runs 3

posts_wide is filled synthetically inside DuckDB (a year of posts, 0-8 hashtags each from a
5,000-tag Zipf-like vocabulary, one tag planted in the last week), written in taken_at order
as ``rebuild_posts_wide`` writes it. The query is then timed through ``run_query`` (the path
the CLI and the Dagster assets use), the result fully fetched into polars.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warehouse.db import connect
from warehouse.queries import run_query

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def fill(con, posts: int) -> float:
    started = time.perf_counter()
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE vocab AS
        SELECT list(CASE WHEN i % 7 = 0 THEN 'Tag' || i ELSE 'tag' || i END ORDER BY i) AS v
        FROM range(5000) AS t(i);
        """
    )
    con.execute(
        """
        INSERT INTO posts_wide BY NAME
        WITH base AS (
            SELECT i,
                   TIMESTAMPTZ '2026-06-01 00:00:00+00'
                       - to_microseconds(CAST(random() * 365 * 86400e6 AS BIGINT)) AS taken_at,
                   CAST(floor(random() * 9) AS INTEGER) AS k
            FROM range(CAST($posts AS BIGINT)) AS t(i)
        ),
        tagged AS (
            SELECT b.i, b.taken_at,
                   list_transform(range(b.k),
                       lambda j: vocab.v[1 + CAST(floor(4999 * pow(random(), 3)) AS INTEGER)])
                   || CASE WHEN b.taken_at > TIMESTAMPTZ '2026-05-25 00:00:00+00'
                                AND random() < 0.05
                           THEN ['NewWave'] ELSE [] END AS hashtags
            FROM base AS b, vocab
        )
        SELECT CAST(i AS VARCHAR) AS post_id,
               CAST(i % 20000 AS VARCHAR) AS owner_id,
               'user' || (i % 20000) AS owner_username,
               taken_at,
               CAST(timezone('UTC', taken_at) AS DATE) AS taken_day,
               hashtags,
               list_transform(hashtags, lambda t: lower(t)) AS hashtags_norm,
               list_distinct(hashtags_norm) AS tags,
               len(hashtags) AS hashtag_count,
               CAST(random() * 1000 AS BIGINT) AS like_count,
               CAST(random() * 50 AS BIGINT) AS comment_count
        FROM tagged
        ORDER BY taken_at, post_id
        """,
        {"posts": posts},
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", help="reuse (or create) this DuckDB file instead of a temp one")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: default)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="intrend-rising-") as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "rising.duckdb"
        con = connect(path)
        if args.threads:
            con.execute(f"SET threads = {int(args.threads)}")
        have = con.execute("SELECT count(*) FROM posts_wide").fetchall()[0][0]
        if have != args.posts:
            con.execute("DELETE FROM posts_wide")
            print(f"filling posts_wide with {args.posts:,} posts …", flush=True)
            print(f"  {fill(con, args.posts):.1f} s", flush=True)
        con.execute("CHECKPOINT")
        threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        times = []
        result = None
        for _ in range(args.runs):
            started = time.perf_counter()
            result = run_query(con, "rising_hashtags", as_of=AS_OF, limit=20)
            times.append(time.perf_counter() - started)
        con.close()

    assert result is not None
    median = statistics.median(times)
    print(f"rising_hashtags on {args.posts:,} posts_wide rows, {threads} DuckDB threads:")
    print("  runs (s): " + ", ".join(f"{t:.3f}" for t in times))
    print(f"  median {median:.3f} s (target ≤ 1 s) {'OK' if median <= 1 else 'MISSED'}")
    print(f"  top: {', '.join(result['tag'].head(5).to_list())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
