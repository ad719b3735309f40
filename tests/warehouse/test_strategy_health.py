"""Fetch strategies in the warehouse (issue 8): migration 006, strategy_health, CLI, check.

The hand-built log below has a day where ``web_profile_info`` walls half the profiles and
``graphql_doc_id`` serves them: the story the view, the command and the check must tell.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.db import connect, schema_statements
from warehouse.load import load_fetch_log

DAY1 = datetime(2026, 6, 1, 9, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
USERS = [f"user{i}" for i in range(10)]


def row(
    at: datetime,
    username: str,
    endpoint: str,
    outcome: str,
    *,
    kind: str = "profile",
    session: bool = False,
    attempt: int = 1,
    run_id: str = "run-1",
) -> dict[str, Any]:
    """One fetch-log row as the fetcher writes it since issue 8."""
    status = {
        "ok": 200,
        "private": 200,
        "not_found": 404,
        "rate_limited": 429,
        "login_wall": 400,
        "strategy_gone": 404,
        "upstream_error": 502,
        "configuration_error": 401,
    }.get(outcome)
    return {
        "requested_at": at,
        "username": username,
        "egress_ip": "209.29.168.7",
        "strategy": "default",
        "endpoint": endpoint,
        "kind": kind,
        "session": session,
        "status": status,
        "outcome": outcome,
        "latency_ms": 120.0,
        "bytes": 5000 if outcome == "ok" else 80,
        "attempt": attempt,
        "rotation": 0,
        "run_id": run_id,
    }


def two_day_log() -> pl.DataFrame:
    """Day 1: web_profile_info serves all ten profiles, each with a timeline page.

    Day 2: web_profile_info serves user0-4 and walls user5-9, which graphql_doc_id then serves
    (one of them private); user0 was rate limited once first; web_profile_info_ipad reports
    itself gone once; graphql_query_hash pages fail upstream for user0-1.
    """
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(USERS):
        at = DAY1 + timedelta(minutes=i)
        rows.append(row(at, name, "web_profile_info", "ok"))
        rows.append(row(at + timedelta(seconds=5), name, "graphql_doc_id", "ok", kind="page"))
    for i, name in enumerate(USERS):
        at = DAY2 + timedelta(minutes=i)
        if i == 0:
            rows.append(row(at - timedelta(seconds=30), name, "web_profile_info", "rate_limited"))
            rows.append(row(at, name, "web_profile_info", "ok", attempt=2))
        elif i < 5:
            rows.append(row(at, name, "web_profile_info", "ok"))
        else:
            rows.append(row(at, name, "web_profile_info", "login_wall"))
            outcome = "private" if i == 9 else "ok"
            rows.append(row(at + timedelta(seconds=1), name, "graphql_doc_id", outcome))
        if i < 2:
            rows.append(
                row(
                    at + timedelta(seconds=5),
                    name,
                    "graphql_query_hash",
                    "upstream_error",
                    kind="page",
                )
            )
    rows.append(row(DAY2 + timedelta(hours=3), "user3", "web_profile_info_ipad", "strategy_gone"))
    return pl.DataFrame(rows)


def old_rows() -> pl.DataFrame:
    """Rows as logs written before issue 8 hold them: no kind, no session."""
    return pl.DataFrame(
        [
            {k: v for k, v in r.items() if k not in ("kind", "session")}
            for r in [
                row(DAY1, "old1", "web_profile_info", "ok"),
                row(DAY1 + timedelta(seconds=2), "old1", "timeline", "ok"),
                row(DAY1 + timedelta(seconds=4), "old2", "web_profile_info", "not_found"),
            ]
        ]
    )


def _old_warehouse(path: Path) -> None:
    """A warehouse as it stood before migration 006, holding old fetch-log rows."""
    con = duckdb.connect(str(path))
    try:
        for name, sql in schema_statements():
            if name < "006":
                con.execute(sql)
        frame = old_rows()
        con.register("_old", frame.to_arrow())
        con.execute("INSERT INTO fetch_log BY NAME SELECT * FROM _old")
        con.unregister("_old")
        columns = {r[0] for r in con.execute("DESCRIBE fetch_log").fetchall()}
        assert "kind" not in columns and "session" not in columns
    finally:
        con.close()


def _fetch_log(con: duckdb.DuckDBPyConnection, like: str = "%") -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT username, endpoint, kind, session FROM fetch_log WHERE username LIKE $like "
        "ORDER BY requested_at",
        {"like": like},
    ).fetchall()


def test_migration_backfills_old_rows_and_reapplies(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _old_warehouse(path)
    con = connect(path)
    try:
        assert _fetch_log(con) == [
            ("old1", "web_profile_info", "profile", False),
            ("old1", "timeline", "page", False),
            ("old2", "web_profile_info", "profile", False),
        ]
    finally:
        con.close()
    # Opening again changes nothing; new rows land beside the old ones.
    con = connect(path)
    try:
        load_fetch_log(con, two_day_log())
        assert _fetch_log(con, "old%") == [
            ("old1", "web_profile_info", "profile", False),
            ("old1", "timeline", "page", False),
            ("old2", "web_profile_info", "profile", False),
        ]
        assert con.execute("SELECT count(*) FROM fetch_log").fetchall() == [(3 + 39,)]
        assert con.execute("SELECT count(*) FROM fetch_log WHERE kind IS NULL").fetchall() == [(0,)]
    finally:
        con.close()


def test_old_and_new_log_batches_load_alike(con: duckdb.DuckDBPyConnection) -> None:
    # An old parquet batch on disk (no kind/session) and a new one (extra keys too) both load.
    new = two_day_log().with_columns(pl.lit("x").alias("some_future_key"))
    assert load_fetch_log(con, old_rows()) == 3
    assert load_fetch_log(con, new) == 39
    kinds = dict(
        con.execute("SELECT endpoint || '/' || kind, count(*) FROM fetch_log GROUP BY 1").fetchall()
    )
    assert kinds == {
        "web_profile_info/profile": 2 + 10 + 11,
        "timeline/page": 1,
        "graphql_doc_id/page": 10,
        "graphql_doc_id/profile": 5,
        "graphql_query_hash/page": 2,
        "web_profile_info_ipad/profile": 1,
    }
    # Reloading both is idempotent (same key: run_id, username, requested_at, attempt).
    load_fetch_log(con, old_rows())
    load_fetch_log(con, new)
    assert con.execute("SELECT count(*) FROM fetch_log").fetchall() == [(42,)]
    assert con.execute("SELECT count(*) FROM fetch_log WHERE session").fetchall() == [(0,)]


def test_session_flag_is_kept(con: duckdb.DuckDBPyConnection) -> None:
    load_fetch_log(con, pl.DataFrame([row(DAY1, "walled", "web_profile_info", "ok", session=True)]))
    assert _fetch_log(con) == [("walled", "web_profile_info", "profile", True)]


def test_parquet_round_trip_of_an_old_batch(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # What fetch_log (the asset) reads: parquet files written by raw_profile, old or new.
    old_file, new_file = tmp_path / "old.parquet", tmp_path / "new.parquet"
    old_rows().write_parquet(old_file)
    two_day_log().write_parquet(new_file)
    for path in (old_file, new_file):
        load_fetch_log(con, pl.read_parquet(path))
    assert con.execute("SELECT count(*) FROM fetch_log").fetchall() == [(42,)]
