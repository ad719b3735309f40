"""``python -m warehouse`` / ``intrend-warehouse``: list and run the analysis queries.

Reads the published copy of the warehouse by default (``warehouse.publish``), which no pipeline
step ever locks: a query runs while a Dagster run loads the warehouse, and the run never waits
for the query. ``--db`` names another file (the working file too, when no run is writing it).
A read-only open does not migrate, so a warehouse no writer has opened since a schema file was
added lacks its tables and views; the error then says so instead of only "does not exist".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb
import polars as pl

from warehouse.db import ENV_PATH, connect, default_path
from warehouse.formatting import format_table
from warehouse.publish import published_path
from warehouse.queries import QueryError, get_query, list_queries, run_query

FORMATS = ("table", "csv", "json", "parquet")

STRATEGY_HEALTH_HELP = """\
Is each way into Instagram still open? One row per UTC day, kind and fetch strategy (the
strategy_health view; "strategy" is the fetch strategy in fetch_log.endpoint, e.g.
web_profile_info, graphql_doc_id, not the pacing strategy). Newest day first.

columns:
  day                  UTC day of the requests
  kind                 profile (a profile answer) or page (a timeline page)
  strategy             the fetch strategy the requests used
  requests             requests logged, retries after a rate limit included
  served               distinct profiles that got an ok/private answer this way
  success_rate         (ok + private + not_found) / requests not rate limited: of the
                       answers Instagram gave, the share that worked (empty: all limited)
  success_rate_change  success_rate minus the strategy's previous day with requests;
                       a door closing shows as a large negative number here
  login_wall           answers asking for a login (the door is closing to anonymous requests)
  strategy_gone        answers in a shape the strategy no longer uses (the door is closed;
                       the fetcher drops the strategy after one, so 1 is already a lot)
  rate_limited         IP throttled (the modem rotates; not a closed door)
  not_found            the profile does not exist (a working answer)
  errors               upstream + network + configuration errors
  ok                   ok + private answers
  profiles             distinct profiles asked for
  session_requests     requests made with a logged-in session (they pass login walls)
  previous_day         the day success_rate_change compares with

examples:
  intrend-warehouse strategy-health
  intrend-warehouse strategy-health --days 30 --kind profile
  intrend-warehouse strategy-health --as-of 2026-06-02 --format csv --output health.csv
"""


def _missing(db: Path, published: bool) -> str:
    """Why there is nothing to read at ``db``, and what to do about it."""
    if not published:
        return f"no warehouse file at {db}"
    working = default_path()
    if working.exists():
        return (
            f"no published warehouse at {db}: the pipeline publishes it after each write; "
            f"publish {working} now with `python -m warehouse.publish {working}`"
        )
    return f"no warehouse at {db} (set --db, ${ENV_PATH} or $INTREND_DATA_DIR)"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"warehouse file (default: ${ENV_PATH}, else $INTREND_DATA_DIR/warehouse.duckdb)",
    )
    parser.add_argument("--format", "-f", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--output", "-o", type=Path, default=None, help="write to FILE")


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param wants key=value, got {pair!r}")
        params[key.strip()] = value
    return params


def _write(frame: pl.DataFrame, fmt: str, output: Path | None, stdout: TextIO) -> None:
    if fmt == "parquet":
        if output is None:
            raise QueryError("--format parquet needs --output FILE")
        frame.write_parquet(output)
        return
    if fmt == "table":
        text = format_table(frame) + "\n"
    elif fmt == "csv":
        text = frame.write_csv()
    else:
        text = frame.write_json() + "\n"
    if output is None:
        stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intrend-warehouse",
        description=(
            "Run intrend's hashtag-trend analysis queries against the DuckDB warehouse "
            "(opened read-only)."
        ),
        epilog=(
            "examples:\n"
            "  intrend-warehouse list\n"
            "  intrend-warehouse query rising_hashtags --param recent_days=7 --param limit=10\n"
            "  intrend-warehouse query ip_ranges --format csv --output ranges.csv\n"
            "  intrend-warehouse strategy-health --days 14\n"
            "  intrend-warehouse report --out /tmp/report\n"
            f"The database defaults to ${ENV_PATH}, else $INTREND_DATA_DIR/warehouse.duckdb "
            "(data/warehouse.duckdb), the file the pipeline writes."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lister = sub.add_parser("list", help="list the queries and their parameters")
    lister.add_argument("-v", "--verbose", action="store_true", help="show each description")
    _add_query_command(sub)
    _add_strategy_health_command(sub)
    _add_report_command(sub)
    return parser


def _add_report_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report",
        help="write the trend report (Markdown and charts) to a folder",
        description="The trend_report asset's report, from the published copy: rising "
        "hashtags by lift_low, their days as lines, who drives them, emerging tags, "
        "mentions, keywords and the same weeks a year earlier.",
    )
    report.add_argument(
        "--as-of", type=_moment, default=None, metavar="ISO-TIME", help="end of the windows"
    )
    report.add_argument("--recent-days", type=_positive_int, default=7, metavar="N")
    report.add_argument("--baseline-days", type=_positive_int, default=28, metavar="N")
    report.add_argument(
        "--min-profiles",
        type=_positive_int,
        default=None,
        metavar="N",
        help="distinct profiles a trend needs (default $INTREND_TREND_MIN_PROFILES, 3)",
    )
    report.add_argument(
        "--out", type=Path, default=Path("trend_report"), help="folder to write (./trend_report)"
    )
    report.add_argument("--db", type=Path, default=None, help="DuckDB file (default: published)")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO time, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _write_report(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> Path:
    """The report's Markdown and charts in ``args.out``; returns the Markdown's path."""
    from warehouse.report import ReportParams, build_report
    from warehouse.settings import WarehouseSettings

    params = ReportParams(
        as_of=args.as_of,
        recent_days=args.recent_days,
        baseline_days=args.baseline_days,
        min_profiles=args.min_profiles or WarehouseSettings().trend_min_profiles,
    )
    report = build_report(con, params)
    args.out.mkdir(parents=True, exist_ok=True)
    files = {name: f"trend_{name}.png" for name in ("rising", "series", "profiles")}
    for name, png in report.draw().items():
        (args.out / files[name]).write_bytes(png)
    path = args.out / "trend_report.md"
    path.write_text(report.markdown(files), encoding="utf-8")
    return path


def _add_query_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    query = sub.add_parser(
        "query",
        help="run one query",
        description="Run one query. See `intrend-warehouse list` for names and parameters.",
    )
    query.add_argument("name", help="query name, e.g. rising_hashtags")
    query.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a query parameter; repeatable; 'null' for none",
    )
    _add_output_options(query)


def _add_strategy_health_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    health = sub.add_parser(
        "strategy-health",
        help="is each way into Instagram still open? (per day and fetch strategy)",
        description=STRATEGY_HEALTH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    health.add_argument(
        "--days",
        type=_positive_int,
        default=7,
        metavar="N",
        help="days to show, ending at --as-of (default 7)",
    )
    health.add_argument(
        "--as-of",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day shown (default: the latest day the fetch log holds)",
    )
    health.add_argument(
        "--kind", choices=("profile", "page"), default=None, help="only profile or page rows"
    )
    _add_output_options(health)


def _list(verbose: bool, stdout: TextIO) -> None:
    for q in list_queries():
        stdout.write(f"{q.name}\n    {q.summary}\n")
        if verbose and q.description:
            for line in q.description.splitlines():
                stdout.write(f"    {line}\n".rstrip() + "\n")
        for p in q.params:
            default = "null" if p.default is None else p.default
            stdout.write(f"    --param {p.name}=<{p.type}>  (default {default})  {p.help}\n")
        stdout.write("\n")


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Entry point; returns the exit status (0 ok, 2 usage or query error, 1 database error)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    if args.command == "list":
        _list(args.verbose, stdout)
        return 0
    try:
        if args.command == "report":
            name, params = "", {}
        elif args.command == "strategy-health":
            name = "strategy_health"
            params: dict[str, Any] = {"days": args.days, "as_of": args.as_of, "kind": args.kind}
        else:
            name = args.name
            get_query(name)
            params = dict(_parse_params(args.param))
        db = args.db or published_path(default_path())
        if not Path(db).exists():
            stderr.write(f"error: {_missing(db, args.db is None)}\n")
            return 1
        con = connect(db, read_only=True)
        try:
            if args.command == "report":
                stdout.write(f"wrote {_write_report(con, args)}\n")
                return 0
            frame = run_query(con, name, **params)
        finally:
            con.close()
        _write(frame, args.format, args.output, stdout)
    except QueryError as exc:
        stderr.write(f"error: {exc}\n")
        return 2
    except duckdb.CatalogException as exc:
        stderr.write(
            f"error: {exc}\nThe warehouse may predate a schema migration: this command opens "
            "it read-only, which does not migrate. Any pipeline run (a writable open) will.\n"
        )
        return 1
    except Exception as exc:  # duckdb errors: locked file, corrupt db, bad SQL
        stderr.write(f"error: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
