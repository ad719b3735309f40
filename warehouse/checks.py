"""Data-quality checks over the warehouse, as plain SQL; each returns (passed, metadata).

The lead wires them into Dagster asset checks; they need only a connection.
"""

from __future__ import annotations

from typing import Any

import duckdb

CheckResult = tuple[bool, dict[str, Any]]


def _row(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> tuple[Any, ...]:
    return con.execute(sql, params).fetchall()[0] if params else con.execute(sql).fetchall()[0]


def _unique_post_id(con: duckdb.DuckDBPyConnection, table: str) -> CheckResult:
    rows, distinct, nulls = _row(
        con,
        f"SELECT count(*), count(DISTINCT post_id), count(*) - count(post_id) FROM {table}",  # noqa: S608
    )
    dupes = [
        r[0]
        for r in con.execute(
            f"SELECT post_id FROM {table} WHERE post_id IS NOT NULL "  # noqa: S608
            "GROUP BY post_id HAVING count(*) > 1 ORDER BY post_id LIMIT 10"
        ).fetchall()
    ]
    duplicated = rows - nulls - distinct
    return duplicated == 0 and nulls == 0, {
        "rows": rows,
        "distinct_post_ids": distinct,
        "duplicate_rows": duplicated,
        "null_post_ids": nulls,
        "sample_duplicates": dupes,
    }


def posts_unique(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Every post_id appears once in ``posts``."""
    return _unique_post_id(con, "posts")


def posts_wide_unique(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Every post_id appears once in ``posts_wide``."""
    return _unique_post_id(con, "posts_wide")


def taken_at_valid(
    con: duckdb.DuckDBPyConnection, *, table: str = "posts", slack_minutes: int = 10
) -> CheckResult:
    """No post without ``taken_at``, none in the future (beyond clock slack)."""
    if table not in ("posts", "posts_wide"):
        raise ValueError(f"taken_at_valid checks posts or posts_wide, not {table!r}")
    rows, nulls, future, latest = _row(
        con,
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE taken_at IS NULL),
               count(*) FILTER (WHERE taken_at > current_timestamp
                                               + to_minutes(CAST($slack AS INTEGER))),
               CAST(max(taken_at) AS VARCHAR)
        FROM {table}
        """,  # noqa: S608 - table name from a fixed whitelist
        {"slack": int(slack_minutes)},
    )
    return nulls == 0 and future == 0, {
        "rows": rows,
        "null_taken_at": nulls,
        "future_taken_at": future,
        "latest_taken_at": latest,
    }


def hashtag_daily_consistent(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """``hashtag_daily`` totals equal what ``post_hashtags`` holds (for posts with a day)."""
    daily_uses, daily_rows = _row(con, "SELECT coalesce(sum(uses), 0), count(*) FROM hashtag_daily")
    source_uses, source_tags = _row(
        con,
        """
        SELECT count(*), count(DISTINCT h.tag_norm)
        FROM post_hashtags AS h JOIN posts AS p ON p.post_id = h.post_id
        WHERE p.taken_at IS NOT NULL
        """,
    )
    daily_tags = _row(con, "SELECT count(DISTINCT tag_norm) FROM hashtag_daily")[0]
    return int(daily_uses) == source_uses and daily_tags == source_tags, {
        "hashtag_daily_uses": int(daily_uses),
        "post_hashtags_uses": source_uses,
        "hashtag_daily_tags": daily_tags,
        "post_hashtags_tags": source_tags,
        "hashtag_daily_rows": daily_rows,
    }


def post_owners_known(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Every post's owner is a row of ``profiles``."""
    orphans, orphan_owners = _row(
        con,
        """
        SELECT count(*), count(DISTINCT coalesce(p.owner_id, '?' || p.owner_username))
        FROM posts AS p LEFT JOIN profiles AS pr ON pr.id = p.owner_id
        WHERE pr.id IS NULL
        """,
    )
    sample = [
        r[0]
        for r in con.execute(
            """
            SELECT DISTINCT coalesce(p.owner_username, p.owner_id, '?')
            FROM posts AS p LEFT JOIN profiles AS pr ON pr.id = p.owner_id
            WHERE pr.id IS NULL ORDER BY 1 LIMIT 10
            """
        ).fetchall()
    ]
    return orphans == 0, {
        "orphan_posts": orphans,
        "unknown_owners": orphan_owners,
        "sample_owners": sample,
    }


ALL_CHECKS = {
    "posts_unique": posts_unique,
    "posts_wide_unique": posts_wide_unique,
    "taken_at_valid": taken_at_valid,
    "hashtag_daily_consistent": hashtag_daily_consistent,
    "post_owners_known": post_owners_known,
}


def run_all(con: duckdb.DuckDBPyConnection) -> dict[str, CheckResult]:
    """Every check by name (for a quick look from a shell or a test)."""
    return {name: check(con) for name, check in ALL_CHECKS.items()}
