"""Fetch strategies in the warehouse (issue 8): migration 006, strategy_health, CLI, check.

The hand-built log below has a day where ``web_profile_info`` walls half the profiles and
``graphql_doc_id`` serves them: the story the view, the command and the check must tell.
"""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from warehouse import checks
from warehouse.__main__ import main
from warehouse.db import connect, schema_statements
from warehouse.load import load_fetch_log
from warehouse.queries import run_query

from .conftest import REPO_ROOT

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


@pytest.fixture
def logged(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    load_fetch_log(con, two_day_log())
    return con


def _health(con: duckdb.DuckDBPyConnection) -> dict[tuple[date, str, str], dict[str, Any]]:
    frame = con.sql("SELECT * FROM strategy_health").pl()
    return {(r["day"], r["kind"], r["strategy"]): r for r in frame.to_dicts()}


def test_view_numbers_on_a_walled_day(logged: duckdb.DuckDBPyConnection) -> None:
    d1, d2 = DAY1.date(), DAY2.date()
    health = _health(logged)
    assert set(health) == {
        (d1, "profile", "web_profile_info"),
        (d1, "page", "graphql_doc_id"),
        (d2, "profile", "web_profile_info"),
        (d2, "profile", "graphql_doc_id"),
        (d2, "profile", "web_profile_info_ipad"),
        (d2, "page", "graphql_query_hash"),
    }
    before = health[(d1, "profile", "web_profile_info")]
    assert before["requests"] == 10 and before["served"] == 10 and before["success_rate"] == 1.0
    assert before["previous_day"] is None and before["success_rate_change"] is None

    walled = health[(d2, "profile", "web_profile_info")]
    assert {k: walled[k] for k in walled if k not in ("day", "kind", "strategy")} == {
        "requests": 11,  # user0's rate-limited first attempt counts as a request
        "profiles": 10,
        "ok": 5,
        "not_found": 0,
        "rate_limited": 1,
        "login_wall": 5,
        "strategy_gone": 0,
        "errors": 0,
        "session_requests": 0,
        "success_rate": 0.5,  # of the 10 answered: the rate limit is the IP's, not the door's
        "served": 5,
        "previous_day": d1,
        "success_rate_change": -0.5,
    }
    fallback = health[(d2, "profile", "graphql_doc_id")]
    assert fallback["requests"] == 5 and fallback["ok"] == 5  # four ok + one private
    assert fallback["served"] == 5 and fallback["success_rate"] == 1.0
    # graphql_doc_id pages on day 1 are another strategy row: kind is part of the key.
    assert fallback["previous_day"] is None
    # Between them, the two strategies served every profile on the walled day.
    assert walled["served"] + fallback["served"] == len(USERS)

    gone = health[(d2, "profile", "web_profile_info_ipad")]
    assert gone["strategy_gone"] == 1 and gone["success_rate"] == 0.0 and gone["served"] == 0
    failing = health[(d2, "page", "graphql_query_hash")]
    assert failing["errors"] == 2 and failing["success_rate"] == 0.0


def test_view_counts_not_found_as_working_and_sessions_apart(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load_fetch_log(
        con,
        pl.DataFrame(
            [
                row(DAY1, "a", "embedded_page", "ok"),
                row(DAY1 + timedelta(minutes=1), "a", "embedded_page", "ok"),  # fetched twice
                row(DAY1 + timedelta(minutes=2), "gone", "embedded_page", "not_found"),
                row(DAY1 + timedelta(minutes=3), "b", "embedded_page", "network_error"),
                row(DAY1 + timedelta(minutes=4), "c", "embedded_page", "configuration_error"),
                row(DAY1 + timedelta(minutes=5), "d", "embedded_page", "ok", session=True),
            ]
        ),
    )
    (only,) = _health(con).values()
    assert only["requests"] == 6 and only["profiles"] == 5
    assert only["ok"] == 3 and only["served"] == 2  # a once, d once
    assert only["not_found"] == 1 and only["errors"] == 2 and only["session_requests"] == 1
    assert only["success_rate"] == round(4 / 6, 4)


def test_days_are_utc_days(con: duckdb.DuckDBPyConnection) -> None:
    # 23:30 at UTC-5 is 04:30 the next UTC day.
    late = datetime(2026, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    load_fetch_log(con, pl.DataFrame([row(late, "a", "web_profile_info", "ok")]))
    assert list(_health(con)) == [(date(2026, 6, 2), "profile", "web_profile_info")]


def test_query_window_and_drop_vs_the_day_before_it(logged: duckdb.DuckDBPyConnection) -> None:
    both = run_query(logged, "strategy_health")
    assert both.height == 6
    assert both["day"].to_list()[:4] == [DAY2.date()] * 4  # newest first
    assert both["kind"].to_list()[:4] == ["profile"] * 3 + ["page"]
    latest = run_query(logged, "strategy_health", days=1)
    assert latest.height == 4 and set(latest["day"]) == {DAY2.date()}
    # The change is measured against day 1 even though day 1 is outside the window.
    change = latest.filter(pl.col("strategy") == "web_profile_info")["success_rate_change"]
    assert change.to_list() == [-0.5]
    earlier = run_query(logged, "strategy_health", days=1, as_of="2026-06-01")
    assert set(earlier["day"]) == {DAY1.date()} and earlier.height == 2
    pages = run_query(logged, "strategy_health", kind="page")
    assert set(pages["kind"]) == {"page"} and pages.height == 2
    assert run_query(logged, "strategy_health", as_of="2026-05-01").height == 0


def test_served_by_fetch_strategy(logged: duckdb.DuckDBPyConnection) -> None:
    served = {
        (r["kind"], r["strategy"]): r
        for r in run_query(logged, "served_by_fetch_strategy").to_dicts()
    }
    wpi = served[("profile", "web_profile_info")]
    assert wpi["served"] == 10 and wpi["served_latest_day"] == 5 and wpi["login_wall"] == 5
    assert wpi["last_served_day"] == DAY2.date()
    assert served[("profile", "graphql_doc_id")]["served_latest_day"] == 5
    pages = served[("page", "graphql_doc_id")]
    assert pages["served"] == 10 and pages["served_latest_day"] == 0
    assert pages["last_served_day"] == DAY1.date()
    ipad = served[("profile", "web_profile_info_ipad")]
    assert ipad["strategy_gone"] == 1 and ipad["last_served_day"] is None
    since = run_query(logged, "served_by_fetch_strategy", since=DAY2.isoformat())
    assert ("page", "graphql_doc_id") not in {(r["kind"], r["strategy"]) for r in since.to_dicts()}


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = connect(path)
    try:
        load_fetch_log(con, two_day_log())
    finally:
        con.close()
    return path


def cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_prints_the_health_table(db: Path) -> None:
    code, out, err = cli(["strategy-health", "--db", str(db)])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:7] == [
        "day",
        "kind",
        "strategy",
        "requests",
        "served",
        "success_rate",
        "success_rate_change",
    ]
    assert set(lines[1]) <= {"-", " "}
    assert lines[-1] == "(6 rows)"
    body = [line.split() for line in lines[2:-1]]
    assert [b[:3] for b in body] == [
        ["2026-06-02", "profile", "graphql_doc_id"],
        ["2026-06-02", "profile", "web_profile_info"],
        ["2026-06-02", "profile", "web_profile_info_ipad"],
        ["2026-06-02", "page", "graphql_query_hash"],
        ["2026-06-01", "profile", "web_profile_info"],
        ["2026-06-01", "page", "graphql_doc_id"],
    ]
    # The walled day: 11 requests, 5 served, 0.5 success (of 10 answered), down 0.5, 5 walls.
    assert body[1][3:8] == ["11", "5", "0.5", "-0.5", "5"]
    # Numbers are right-aligned under their header (the shared table printer).
    header_end = lines[0].index("success_rate_change") + len("success_rate_change")
    assert lines[3][header_end - len("-0.5") : header_end] == "-0.5"


def test_cli_days_kind_as_of_and_formats(db: Path, tmp_path: Path) -> None:
    code, out, _ = cli(["strategy-health", "--db", str(db), "--days", "1"])
    assert code == 0 and out.splitlines()[-1] == "(4 rows)" and "2026-06-01  " not in out
    code, out, _ = cli(["strategy-health", "--db", str(db), "--kind", "page", "-f", "csv"])
    rows = pl.read_csv(out.encode())
    assert code == 0 and rows["kind"].to_list() == ["page", "page"]
    assert rows.columns[:3] == ["day", "kind", "strategy"]
    code, out, _ = cli(["strategy-health", "--db", str(db), "--as-of", "2026-06-01", "--days", "1"])
    assert code == 0 and out.splitlines()[-1] == "(2 rows)"
    target = tmp_path / "h.json"
    code, _, _ = cli(["strategy-health", "--db", str(db), "-f", "json", "-o", str(target)])
    assert code == 0 and len(pl.read_json(target)) == 6
    # The same rows through the generic query command.
    code, out, _ = cli(["query", "strategy_health", "--db", str(db), "-p", "days=1"])
    assert code == 0 and out.splitlines()[-1] == "(4 rows)"


def test_cli_help_explains_the_columns() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse", "strategy-health", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0
    text = result.stdout
    con = connect(":memory:")
    try:
        columns = run_query(con, "strategy_health").columns
    finally:
        con.close()
    for column in columns:
        assert f"\n  {column} " in text, column
    assert "--days N" in text and "--kind" in text and "--as-of" in text
    assert "pacing" in text  # says which "strategy" it means
    top = subprocess.run(
        [sys.executable, "-m", "warehouse", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert "strategy-health" in top.stdout


def test_cli_usage_errors(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in (["--days", "0"], ["--days", "x"], ["--as-of", "June"], ["--kind", "post"]):
        with pytest.raises(SystemExit) as exit_info:
            cli(["strategy-health", "--db", str(db), *bad])
        assert exit_info.value.code == 2, bad
    assert "not a YYYY-MM-DD date" in capsys.readouterr().err
    code, _, err = cli(["strategy-health", "--db", str(tmp_path / "missing.duckdb")])
    assert code == 1 and "no warehouse file" in err


def test_cli_on_a_warehouse_not_yet_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _old_warehouse(path)
    code, out, err = cli(["strategy-health", "--db", str(path)])
    assert code == 1 and out == ""
    assert "strategy_health" in err and "predate a schema migration" in err
    # Read-only: still unmigrated afterwards.
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert "kind" not in {r[0] for r in con.execute("DESCRIBE fetch_log").fetchall()}
    finally:
        con.close()


# --- the check --------------------------------------------------------------------------------


def test_check_warns_on_the_walled_day(logged: duckdb.DuckDBPyConnection) -> None:
    passed, meta = checks.strategy_doors_open(logged)
    assert not passed
    assert meta["latest_day"] == "2026-06-02" and meta["previous_day"] == "2026-06-01"
    assert meta["offending_strategies"] == ["profile/web_profile_info"]
    (walled,) = meta["offending"]
    assert walled["served"] == 5 and walled["served_previous_day"] == 10
    assert walled["reasons"] == ["login_wall share 0.5 > 0.25"]  # 5 of the 10 answered
    # Served on day 1, not tried on day 2: listed, not failed.
    assert meta["served_previous_day_not_tried"] == ["page/graphql_doc_id"]
    # Gone, but it served nobody the day before: reported, not judged.
    assert meta["strategy_gone_latest_day"] == ["profile/web_profile_info_ipad"]
    assert meta["strategies_judged"] == 1


def test_check_passes_on_healthy_days_and_without_history(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert checks.strategy_doors_open(con)[0]  # empty log
    day1 = two_day_log().filter(pl.col("requested_at") < datetime(2026, 6, 2, tzinfo=UTC))
    load_fetch_log(con, day1)
    passed, meta = checks.strategy_doors_open(con)
    assert passed and meta["previous_day"] is None and meta["strategies_judged"] == 0
    # Day 2 like day 1: every door still open.
    load_fetch_log(
        con, day1.with_columns(pl.col("requested_at") + timedelta(days=1), run_id=pl.lit("run-2"))
    )
    passed, meta = checks.strategy_doors_open(con)
    assert passed and meta["strategies_judged"] == 2 and meta["offending"] == []
    # Judging day 1 explicitly: nothing before it.
    assert checks.strategy_doors_open(con, day=DAY1.date())[1]["previous_day"] is None


def test_check_thresholds(logged: duckdb.DuckDBPyConnection) -> None:
    # web_profile_info on day 2, of the 10 answered requests: success 0.5, wall share 0.5.
    assert not checks.strategy_doors_open(logged, min_success_rate=0.45)[0]  # walls still
    assert checks.strategy_doors_open(logged, min_success_rate=0.45, max_login_wall_share=0.5)[0]
    passed, meta = checks.strategy_doors_open(
        logged, min_success_rate=0.6, max_login_wall_share=0.5
    )
    assert not passed and meta["offending"][0]["reasons"] == ["success_rate 0.5 < 0.6"]


def test_rate_limits_are_not_a_closing_door(con: duckdb.DuckDBPyConnection) -> None:
    """A tight IP budget made every strategy look half shut: success_rate counted the
    rate-limited answers (each retried after a rotation) against the door."""
    rows = [
        row(DAY1 + timedelta(minutes=i), u, "web_profile_info", "ok") for i, u in enumerate(USERS)
    ]
    for i, u in enumerate(USERS):  # day 2: every profile limited once, then served
        at = DAY2 + timedelta(minutes=2 * i)
        rows.append(row(at, u, "web_profile_info", "rate_limited", run_id="run-2"))
        rows.append(row(at + timedelta(seconds=30), u, "web_profile_info", "ok", run_id="run-2"))
    rows.append(row(DAY2 + timedelta(hours=3), "x", "embedded_page", "rate_limited"))
    load_fetch_log(con, pl.DataFrame(rows))
    health = _health(con)
    assert health[(DAY2.date(), "profile", "web_profile_info")]["success_rate"] == 1.0
    assert health[(DAY2.date(), "profile", "embedded_page")]["success_rate"] is None
    passed, meta = checks.strategy_doors_open(con)
    assert passed, meta["offending"]


def test_check_one_strategy_gone_answer_is_enough(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        row(DAY1 + timedelta(minutes=i), u, "graphql_doc_id", "ok") for i, u in enumerate(USERS)
    ]
    # Day 2: 30 good answers, then the doc_id goes stale and the fetcher drops the strategy.
    rows += [
        row(DAY2 + timedelta(minutes=i), f"u{i}", "graphql_doc_id", "ok", run_id="run-2")
        for i in range(30)
    ]
    rows.append(row(DAY2 + timedelta(hours=2), "u30", "graphql_doc_id", "strategy_gone"))
    load_fetch_log(con, pl.DataFrame(rows))
    passed, meta = checks.strategy_doors_open(con)
    assert not passed
    assert meta["offending"][0]["reasons"] == ["strategy_gone 1 of 31 requests"]
    assert meta["offending"][0]["success_rate"] == round(30 / 31, 4)


def test_rate_limits_do_not_hide_a_login_wall(con: duckdb.DuckDBPyConnection) -> None:
    """4 walls in 10 answers is a closing door, however many requests the IP had refused."""
    rows = [
        row(DAY1 + timedelta(minutes=i), u, "web_profile_info", "ok") for i, u in enumerate(USERS)
    ]
    for i, u in enumerate(USERS):
        outcome = "login_wall" if i < 4 else "ok"
        rows.append(row(DAY2 + timedelta(minutes=i), u, "web_profile_info", outcome, run_id="r2"))
    rows += [
        row(DAY2 + timedelta(hours=1, minutes=i), f"x{i}", "web_profile_info", "rate_limited")
        for i in range(12)
    ]
    load_fetch_log(con, pl.DataFrame(rows))
    passed, meta = checks.strategy_doors_open(con)
    assert not passed
    assert meta["offending"][0]["reasons"] == ["login_wall share 0.4 > 0.25"]
