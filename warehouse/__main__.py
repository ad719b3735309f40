"""``python -m warehouse`` / ``intrend-warehouse``: list and run the analysis queries.

Opens the warehouse read-only, so it can run beside a Dagster run that is loading it... as
long as DuckDB allows (one writer process locks the file; read it from a copy if it must).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import polars as pl

from warehouse.db import ENV_PATH, connect, default_path
from warehouse.formatting import format_table
from warehouse.queries import QueryError, get_query, list_queries, run_query

FORMATS = ("table", "csv", "json", "parquet")


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
            f"The database defaults to ${ENV_PATH}, else data/warehouse.duckdb."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lister = sub.add_parser("list", help="list the queries and their parameters")
    lister.add_argument("-v", "--verbose", action="store_true", help="show each description")
    query = sub.add_parser(
        "query",
        help="run one query",
        description="Run one query. See `intrend-warehouse list` for names and parameters.",
    )
    query.add_argument("name", help="query name, e.g. rising_hashtags")
    query.add_argument(
        "--db", type=Path, default=None, help=f"warehouse file (default: ${ENV_PATH} or data/…)"
    )
    query.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a query parameter; repeatable; 'null' for none",
    )
    query.add_argument("--format", "-f", choices=FORMATS, default="table", help="output format")
    query.add_argument("--output", "-o", type=Path, default=None, help="write to FILE")
    return parser


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
        get_query(args.name)
        params = _parse_params(args.param)
        db = args.db or default_path()
        if not Path(db).exists():
            stderr.write(f"error: no warehouse file at {db} (set --db or ${ENV_PATH})\n")
            return 1
        con = connect(db, read_only=True)
        try:
            frame = run_query(con, args.name, **params)
        finally:
            con.close()
        _write(frame, args.format, args.output, stdout)
    except QueryError as exc:
        stderr.write(f"error: {exc}\n")
        return 2
    except Exception as exc:  # duckdb errors: locked file, corrupt db, bad SQL
        stderr.write(f"error: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
