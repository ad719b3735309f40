"""Data-quality checks over the warehouse, as plain SQL; each returns (passed, metadata).

They need only a connection, so they run from a test or a shell as well as from the asset
checks in ``intrend_assets.defs.warehouse.checks`` (the one registry that decides which run).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import duckdb

from warehouse.load.keys import KEY_LOOKUP_MAX, lookup_ids, post_ids_among
from warehouse.load.threads import single_threaded

CheckResult = tuple[bool, dict[str, Any]]

# The posts the last incremental refresh of a table wrote (warehouse.load.changes).
_REFRESHED = "SELECT post_id FROM refresh_log_posts WHERE table_name = '{table}'"


def changed_scope(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """A subquery of the post ids the last refresh of ``table`` wrote, when that refresh was
    incremental; None when it rebuilt the table whole (or nothing says), meaning: check all.

    Rows an incremental refresh did not write were checked when they were written, and the
    daily full rebuild has every check look at every row again.
    """
    if table not in ("posts_wide", "hashtag_daily"):
        raise ValueError(f"no refresh log for {table!r}")
    try:
        rows = con.execute(
            "SELECT full_rebuild FROM refresh_log WHERE table_name = $t", {"t": table}
        ).fetchall()
    except duckdb.CatalogException:  # a published copy older than the refresh log
        return None
    return _REFRESHED.format(table=table) if rows and not rows[0][0] else None


def _in_refreshed(
    con: duckdb.DuckDBPyConnection, subquery: str, table: str
) -> tuple[str, dict[str, Any]]:
    """``(condition, parameters)``: the rows of ``table`` whose post_id is among the posts
    of ``subquery``, as a bound list when they are few (warehouse.load.keys; matched on
    ``post_num`` where the table has it: a published copy may predate it), else a join."""
    found = con.execute(f"{subquery} LIMIT {KEY_LOOKUP_MAX + 1}").fetchall()
    ids = lookup_ids(r[0] for r in found)
    if ids is None or len(found) > KEY_LOOKUP_MAX:
        return f"post_id IN ({subquery})", {}
    if _has_post_num(con, table):
        return post_ids_among(ids)
    return "list_contains($ids, post_id)", {"ids": ids}


def _has_post_num(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table`` (one of :data:`_CHECKED_TABLES`) has the column. Asked of the table
    itself: information_schema binds every view of the warehouse to answer (8 ms)."""
    if table not in _CHECKED_TABLES:
        raise ValueError(f"{table!r} is not a checked table")
    try:
        con.execute(f"SELECT post_num FROM {table} LIMIT 0").fetchall()  # noqa: S608 - checked
    except duckdb.BinderException:
        return False
    return True


# Per connection inside reads_shared(): the temp table of (rowid, post_id) found in each
# table for the posts of every incremental refresh.
_SHARED: dict[int, dict[str, str]] = {}

_CHECKED_TABLES = frozenset({"posts", "posts_wide"})

# The posts any incremental refresh wrote: what reads_shared() looks up once per table.
_EVERY_REFRESHED = "SELECT DISTINCT post_id FROM refresh_log_posts"


@contextmanager
def reads_shared(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Inside the block, the checks on ``con`` find the rows of the refreshed posts in each
    table once: the first check that needs them scans the table's key column for the posts
    of every refresh, the others read by the rowids it found (an update's checks otherwise
    scanned posts' post ids four times). Only for checks run one after the other with no
    write in between, as the asset-check step runs them: a row written inside the block is
    not among the rowids found. After incremental refreshes of both tables that wrote few
    posts, the block runs on one DuckDB thread, as they did (:mod:`warehouse.load.threads`)."""
    if id(con) in _SHARED:
        yield
        return
    cache = _SHARED[id(con)] = {}
    try:
        with single_threaded(con, when=_few_refreshed(con)):
            yield
    finally:
        del _SHARED[id(con)]
        for name in cache.values():
            con.execute(f"DROP TABLE IF EXISTS {name}")


def _few_refreshed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether both derived tables were last refreshed incrementally, writing posts few
    enough to look up by key (what the checks then read is a few vectors per table)."""
    if any(changed_scope(con, t) is None for t in ("posts_wide", "hashtag_daily")):
        return False
    found = con.execute(f"{_EVERY_REFRESHED} LIMIT {KEY_LOOKUP_MAX + 1}").fetchall()
    return len(found) <= KEY_LOOKUP_MAX


def _rows_of(
    con: duckdb.DuckDBPyConnection, table: str, subquery: str
) -> tuple[str, dict[str, Any]]:
    """``(condition, parameters)`` selecting the rows of ``table`` whose post_id is among
    ``subquery``'s: one scan of the key column finds their rowids, and the columns a check
    reads are then read for those rows alone. (A list of ids matched in the check's own
    statement is matched above its scan, after every row of every column it names was read:
    warehouse.load.keys.)"""
    if table not in _CHECKED_TABLES:
        raise ValueError(f"{table!r} is not a checked table")
    cache = _SHARED.get(id(con))
    if cache is None:
        where, params = _in_refreshed(con, subquery, table)
        return f"rowid IN (SELECT rowid FROM {table} WHERE {where})", params  # noqa: S608
    if table not in cache:
        where, params = _in_refreshed(con, _EVERY_REFRESHED, table)
        cache[table] = f"_checked_rows_{table}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {cache[table]} AS "  # noqa: S608 - checked names
            f"SELECT rowid AS row_id, post_id FROM {table} "
            f"WHERE rowid IN (SELECT rowid FROM {table} WHERE {where})",
            params,
        )
    return (
        f"rowid IN (SELECT row_id FROM {cache[table]} "  # noqa: S608 - our temp table
        f"WHERE post_id IN ({subquery}))",
        {},
    )


def _scope(
    con: duckdb.DuckDBPyConnection, table: str, changed_only: bool
) -> tuple[str, str, dict[str, Any]]:
    """``(condition on the rows of ``table``, name of the scope, its parameters)`` for a
    WHERE clause: the rows of the posts the last posts_wide refresh wrote, or all rows."""
    subquery = changed_scope(con, "posts_wide") if changed_only else None
    if subquery is None:
        return "TRUE", "all rows", {}
    where, params = _rows_of(con, table, subquery)
    return where, "rows of the last incremental refresh", params


def _row(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> tuple[Any, ...]:
    return con.execute(sql, params).fetchall()[0] if params else con.execute(sql).fetchall()[0]


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()


def _unique_post_id(con: duckdb.DuckDBPyConnection, table: str, changed_only: bool) -> CheckResult:
    where, scope, params = _scope(con, table, changed_only)
    nulls_where = "FALSE" if where == "TRUE" else "post_id IS NULL"
    # A post_num that is not its post_id's number hides the row from the key lookups
    # (warehouse.load.keys): the next load of that post would add a second row beside it.
    num_wrong = (
        "post_num IS DISTINCT FROM post_num_of(post_id)" if _has_post_num(con, table) else "FALSE"
    )
    # Null post ids are never written by a refresh: counted over the whole table, apart (an
    # OR with the lookup would make it a scan).
    # One scan of the key column: the rows in scope are read once for all five figures.
    rows, distinct, nulls, wrong, dupes = _row(
        con,
        f"WITH scoped AS MATERIALIZED (SELECT post_id, {num_wrong} AS num_wrong "  # noqa: S608
        f"FROM {table} WHERE {where} "
        f"UNION ALL SELECT post_id, FALSE FROM {table} WHERE {nulls_where}) "
        "SELECT count(*), count(DISTINCT post_id), count(*) - count(post_id), "
        "count(*) FILTER (WHERE num_wrong), "
        "(SELECT list(post_id ORDER BY post_id)[1:10] FROM (SELECT post_id FROM scoped "
        "WHERE post_id IS NOT NULL GROUP BY post_id HAVING count(*) > 1)) FROM scoped",
        params,
    )
    dupes = dupes or []
    duplicated = rows - nulls - distinct
    return duplicated == 0 and nulls == 0 and wrong == 0, {
        "scope": scope,
        "rows": rows,
        "distinct_post_ids": distinct,
        "duplicate_rows": duplicated,
        "null_post_ids": nulls,
        "post_num_wrong": wrong,
        "sample_duplicates": dupes,
    }


def posts_unique(con: duckdb.DuckDBPyConnection, *, changed_only: bool = False) -> CheckResult:
    """Every post_id appears once in ``posts``, and its post_num is its number.
    ``changed_only``: among the posts the last incremental ``posts_wide`` refresh wrote
    (every post a load since wrote is one); those rows are found by their numbers, so a
    wrong number is seen by the full check (the daily rebuild's) only."""
    return _unique_post_id(con, "posts", changed_only)


def posts_wide_unique(con: duckdb.DuckDBPyConnection, *, changed_only: bool = False) -> CheckResult:
    """Every post_id appears once in ``posts_wide`` (``changed_only``: as above)."""
    return _unique_post_id(con, "posts_wide", changed_only)


def taken_at_valid(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str = "posts",
    slack_minutes: int = 10,
    changed_only: bool = False,
) -> CheckResult:
    """No post without ``taken_at``, none in the future (beyond clock slack).

    ``changed_only``: the posts the last incremental refresh wrote (a post valid once stays
    valid: the clock only moves on)."""
    if table not in ("posts", "posts_wide"):
        raise ValueError(f"taken_at_valid checks posts or posts_wide, not {table!r}")
    where, scope, params = _scope(con, table, changed_only)
    rows, nulls, future, latest = _row(
        con,
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE taken_at IS NULL),
               count(*) FILTER (WHERE taken_at > current_timestamp
                                               + to_minutes(CAST($slack AS INTEGER))),
               CAST(max(taken_at) AS VARCHAR)
        FROM {table} WHERE {where}
        """,  # noqa: S608 - table name from a fixed whitelist, scope from a constant
        {"slack": int(slack_minutes), **params},
    )
    return nulls == 0 and future == 0, {
        "scope": scope,
        "rows": rows,
        "null_taken_at": nulls,
        "future_taken_at": future,
        "latest_taken_at": latest,
    }


# After an incremental refresh. The refreshed posts' rows are found by rowid in posts (one
# scan of its key column matches the list; their tags and times are read for those rows
# alone), what they contribute is summed by (tag, day), and every such key of hashtag_daily
# must count at least that. The totals are compared over the whole tables, from integer
# columns and list lengths only: hashtag_daily's uses are the hashtags of the posts with a
# day (post_hashtags' rows for them, a view of posts' lists).
_DAILY_CHANGED_SQL = """
    WITH ids AS ({refreshed}),
    contributions AS (
        SELECT post_id, unnest(hashtags_norm) AS tag_norm,
               CAST(timezone('UTC', taken_at) AS DATE) AS day
        FROM posts
        WHERE {rows} AND taken_at IS NOT NULL
    ),
    source AS (
        SELECT tag_norm, day, count(DISTINCT post_id) AS posts, count(*) AS uses
        FROM contributions GROUP BY ALL
    )
    SELECT (SELECT count(*) FROM ids),
           (SELECT count(*) FROM source AS s
            LEFT JOIN hashtag_daily AS h ON h.tag_norm = s.tag_norm AND h.day = s.day
            WHERE h.posts IS NULL OR h.posts < s.posts OR h.uses < s.uses),
           (SELECT count(*) FROM hashtag_daily WHERE posts < 1 OR uses < posts),
           (SELECT coalesce(sum(uses), 0) FROM hashtag_daily),
           (SELECT coalesce(sum(len(hashtags_norm)), 0) FROM posts WHERE taken_at IS NOT NULL)
"""


def hashtag_daily_consistent(
    con: duckdb.DuckDBPyConnection, *, changed_only: bool = False
) -> CheckResult:
    """``hashtag_daily`` totals equal what ``post_hashtags`` holds (for posts with a day).

    ``changed_only``, after an incremental refresh: every (tag, day) the refreshed posts
    have counts at least them, no row counts less than one post, and the uses of the whole
    table equal the hashtags of every post with a day (integer columns and list lengths
    only: no tag or post id is read beyond the refreshed posts'). What each post contributed
    is not kept (schema/018), so an old contribution subtracted wrongly shows in the totals.
    """
    if changed_only and (refreshed := changed_scope(con, "hashtag_daily")) is not None:
        rows, params = _rows_of(con, "posts", refreshed)
        posts, short, not_positive, daily_uses, source_uses = _row(
            con, _DAILY_CHANGED_SQL.format(refreshed=refreshed, rows=rows), params
        )
        return short == 0 and not_positive == 0 and int(daily_uses) == source_uses, {
            "scope": "rows of the last incremental refresh",
            "posts_refreshed": posts,
            "keys_short": short,
            "rows_not_positive": not_positive,
            "hashtag_daily_uses": int(daily_uses),
            "post_hashtags_uses": int(source_uses),
        }
    daily_uses, daily_rows = _row(con, "SELECT coalesce(sum(uses), 0), count(*) FROM hashtag_daily")
    source_uses, source_tags = _row(
        con,
        """
        SELECT count(*), count(DISTINCT tag_norm)
        FROM (SELECT unnest(hashtags_norm) AS tag_norm FROM posts WHERE taken_at IS NOT NULL)
        """,
    )
    daily_tags = _row(con, "SELECT count(DISTINCT tag_norm) FROM hashtag_daily")[0]
    return int(daily_uses) == source_uses and daily_tags == source_tags, {
        "scope": "all rows",
        "hashtag_daily_uses": int(daily_uses),
        "post_hashtags_uses": source_uses,
        "hashtag_daily_tags": daily_tags,
        "post_hashtags_tags": source_tags,
        "hashtag_daily_rows": daily_rows,
    }


def post_owners_known(con: duckdb.DuckDBPyConnection, *, changed_only: bool = False) -> CheckResult:
    """Every post's owner is a row of ``profiles`` (``changed_only``: of the posts the last
    incremental refresh wrote; profiles are replaced, never deleted)."""
    where, scope, params = _scope(con, "posts", changed_only)
    # One scan of posts for the three figures.
    orphans, orphan_owners, sample = _row(
        con,
        f"""
        WITH orphaned AS MATERIALIZED (
            SELECT p.owner_id, p.owner_username
            FROM (SELECT owner_id, owner_username FROM posts WHERE {where}) AS p
            LEFT JOIN profiles AS pr ON pr.id = p.owner_id
            WHERE pr.id IS NULL
        )
        SELECT count(*), count(DISTINCT coalesce(owner_id, '?' || owner_username)),
               list_sort(list_distinct(list(coalesce(owner_username, owner_id, '?'))))[1:10]
        FROM orphaned
        """,  # noqa: S608 - scope from a constant
        params,
    )
    sample = sample or []
    return orphans == 0, {
        "scope": scope,
        "orphan_posts": orphans,
        "unknown_owners": orphan_owners,
        "sample_owners": sample,
    }


# Thresholds of strategy_doors_open. A success rate under half means most requests through the
# strategy no longer get an answer; a quarter of requests walled is more than the occasional
# profile Instagram guards. Any strategy_gone answer counts: the fetcher drops a gone strategy
# for the rest of the run after ONE such answer, so its share of the day's requests stays tiny
# however closed the door is.
MIN_SUCCESS_RATE = 0.5
MAX_LOGIN_WALL_SHARE = 0.25
MAX_STRATEGY_GONE_SHARE = 0.0


_DOORS_SQL = """
    WITH latest AS (
        SELECT coalesce(CAST($day AS DATE), max(day)) AS day FROM strategy_health
    ),
    previous AS (
        SELECT max(h.day) AS day FROM strategy_health AS h, latest AS l WHERE h.day < l.day
    )
    SELECT CAST(l.day AS VARCHAR) AS latest_day, CAST(p.day AS VARCHAR) AS previous_day,
           b.kind || '/' || b.strategy AS strategy,
           b.served AS served_previous_day,
           t.requests, t.served, t.success_rate, t.strategy_gone,
           -- Shares of the requests Instagram answered (rate limits are the IP's).
           round(t.login_wall / nullif(t.requests - t.rate_limited, 0), 4)
               AS login_wall_share,
           round(t.strategy_gone / nullif(t.requests - t.rate_limited, 0), 4)
               AS strategy_gone_share,
           (SELECT list(g.kind || '/' || g.strategy ORDER BY g.kind, g.strategy)
            FROM strategy_health AS g
            WHERE g.day = l.day AND g.strategy_gone > 0) AS gone_latest_day
    FROM latest AS l
    CROSS JOIN previous AS p
    LEFT JOIN strategy_health AS b ON b.day = p.day AND b.served > 0
    LEFT JOIN strategy_health AS t
           ON t.day = l.day AND t.kind = b.kind AND t.strategy = b.strategy
    ORDER BY b.kind = 'page', b.strategy
"""

# What the check's metadata says of each strategy it judged.
_JUDGED_FIELDS = (
    "strategy",
    "requests",
    "served",
    "served_previous_day",
    "success_rate",
    "login_wall_share",
    "strategy_gone",
)


def _door_rows(con: duckdb.DuckDBPyConnection, day: date | None) -> list[dict[str, Any]]:
    """One row per strategy that served on the previous day, with its figures on ``day``
    (all null when it was not tried); one all-null row when there is nothing to judge."""
    cursor = con.execute(_DOORS_SQL, {"day": day})
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _door_reasons(
    row: dict[str, Any],
    *,
    min_success_rate: float,
    max_login_wall_share: float,
    max_strategy_gone_share: float,
) -> list[str]:
    """Why ``row``'s door looks shut; empty when it looks open."""
    reasons = []
    # None: every request was rate limited, which says nothing about the door.
    if row["success_rate"] is not None and row["success_rate"] < min_success_rate:
        reasons.append(f"success_rate {row['success_rate']} < {min_success_rate}")
    if (row["login_wall_share"] or 0) > max_login_wall_share:
        reasons.append(f"login_wall share {row['login_wall_share']} > {max_login_wall_share}")
    if (row["strategy_gone_share"] or 0) > max_strategy_gone_share:
        reasons.append(f"strategy_gone {row['strategy_gone']} of {row['requests']} requests")
    return reasons


def strategy_doors_open(
    con: duckdb.DuckDBPyConnection,
    *,
    day: date | None = None,
    min_success_rate: float = MIN_SUCCESS_RATE,
    max_login_wall_share: float = MAX_LOGIN_WALL_SHARE,
    max_strategy_gone_share: float = MAX_STRATEGY_GONE_SHARE,
) -> CheckResult:
    """Every fetch strategy that served profiles on the previous fetch day still works on ``day``.

    Warns before the pipeline stalls: while one strategy is being closed the fetcher falls
    back to the next and the profiles still arrive, so nothing else fails yet. ``day`` is the
    latest UTC day in ``fetch_log`` unless given; "previous" is the latest earlier day with
    any request (fetches need not run every day). Only strategies that served someone then are
    judged, so a fallback never needed is not reported as closed. A strategy that served then
    but was not tried on ``day`` (an earlier one answered first) is listed, not failed: an
    untried door is not known to be shut.
    """
    thresholds = {
        "min_success_rate": min_success_rate,
        "max_login_wall_share": max_login_wall_share,
        "max_strategy_gone_share": max_strategy_gone_share,
    }
    rows = _door_rows(con, day)
    first = rows[0] if rows else {}
    judged: list[dict[str, Any]] = []
    offending: list[dict[str, Any]] = []
    not_tried: list[str] = []
    for r in rows:
        if r["strategy"] is None:  # no previous day, or nothing served on it
            continue
        if not r["requests"]:
            not_tried.append(r["strategy"])
            continue
        entry = {k: r[k] for k in _JUDGED_FIELDS}
        judged.append(entry)
        if reasons := _door_reasons(r, **thresholds):
            offending.append({**entry, "reasons": reasons})
    return not offending, {
        "latest_day": first.get("latest_day"),
        "previous_day": first.get("previous_day"),
        "strategies_judged": len(judged),
        "offending_strategies": [o["strategy"] for o in offending],
        "offending": offending,
        "served_previous_day_not_tried": not_tried,
        "strategy_gone_latest_day": first.get("gone_latest_day") or [],
        **thresholds,
    }
