"""The analysis queries: SQL files in ``warehouse/queries/``, run with bound parameters.

Each file starts with a header that is its documentation and its parameter list::

    -- rising_hashtags: one-line summary.
    --
    -- Longer explanation.
    --
    -- @param as_of timestamptz = null  What it means.

Types: ``int``, ``float``, ``str``, ``bool``, ``date``, ``timestamptz`` and ``hashtag`` (a
string normalised like stored tags, NFC + casefold, ``#`` dropped). Values given as text
(the command line) are converted by type; every value reaches DuckDB as a bound ``$name``
parameter, never formatted into the SQL.

A file may hold several statements. Every statement before the last returns one row, whose
columns become further bound parameters of the statements after it (``$win_as_of`` from a
column ``win_as_of``). That is how a query computes its window bounds once: bound as
constants, they let DuckDB skip the row groups of posts_wide outside the window, whereas a
scalar subquery in the WHERE clause is compared row by row in every scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import polars as pl

from warehouse.contract import normalize_hashtag

_PARAM_RE = re.compile(r"^--\s*@param\s+(\w+)\s+(\w+)\s*=\s*(\S+)\s*(.*)$")
_TITLE_RE = re.compile(r"^--\s*(\w+):\s*(.*)$")
TYPES = ("int", "float", "str", "bool", "date", "timestamptz", "hashtag")


class QueryError(ValueError):
    """Unknown query, unknown parameter, or a value that does not fit its type."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    help: str


@dataclass(frozen=True)
class Query:
    name: str
    summary: str
    description: str
    params: tuple[Param, ...]
    sql: str


def _convert(param: Param, value: Any) -> Any:
    """A value for DuckDB from Python or command-line text; ``None``/"null" stays null."""
    if value is None or (isinstance(value, str) and value.lower() in ("null", "none", "")):
        return None
    try:
        match param.type:
            case "int":
                if isinstance(value, bool):
                    raise ValueError("a bool is not an int")
                return int(value)
            case "float":
                return float(value)
            case "bool":
                if isinstance(value, str):
                    if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError(value)
                    return value.lower() in ("true", "1", "yes")
                return bool(value)
            case "date":
                if isinstance(value, datetime):
                    return value.date()
                return value if isinstance(value, date) else date.fromisoformat(str(value))
            case "timestamptz":
                if isinstance(value, date) and not isinstance(value, datetime):
                    value = datetime(value.year, value.month, value.day)
                moment = (
                    value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
                )
                return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
            case "hashtag":
                return normalize_hashtag(str(value))
            case _:
                return str(value)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"parameter {param.name}: {value!r} is not a valid {param.type}") from exc


def parse_query(name: str, text: str) -> Query:
    """A query from the text of its file (header comments, then its statements)."""
    summary, description, params = "", [], []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        if match := _PARAM_RE.match(line):
            pname, ptype, default, help_text = match.groups()
            if ptype not in TYPES:
                raise QueryError(f"{name}.sql: parameter {pname} has unknown type {ptype}")
            param = Param(pname, ptype, None, help_text.strip())
            params.append(Param(pname, ptype, _convert(param, default), help_text.strip()))
        elif not summary and (match := _TITLE_RE.match(line)):
            summary = match.group(2).strip()
        elif summary:
            description.append(line[2:].strip())
    return Query(name, summary, "\n".join(description).strip(), tuple(params), text)


@cache
def _catalog() -> dict[str, Query]:
    folder = resources.files("warehouse") / "queries"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return {
        f.name.removesuffix(".sql"): parse_query(f.name.removesuffix(".sql"), f.read_text("utf-8"))
        for f in files
    }


def list_queries() -> list[Query]:
    """Every query with its summary and parameters, by name."""
    return list(_catalog().values())


def get_query(name: str) -> Query:
    try:
        return _catalog()[name]
    except KeyError:
        known = ", ".join(_catalog())
        raise QueryError(f"unknown query {name!r}; known queries: {known}") from None


def bind(query: Query, params: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in, values converted; unknown names are an error, not ignored."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise QueryError(
            f"{query.name} has no parameter {', '.join(unknown)}; "
            f"it takes: {', '.join(declared) or 'none'}"
        )
    return {
        name: _convert(p, params[name]) if name in params else p.default
        for name, p in declared.items()
    }


def _needed(statement: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values a statement references: DuckDB refuses parameters a statement lacks."""
    return {name: values[name] for name in statement.named_parameters if name in values}


def run_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run the named query with bound parameters; the result as a polars frame."""
    return execute(con, get_query(name), **params)


def execute(con: duckdb.DuckDBPyConnection, query: Query, **params: Any) -> pl.DataFrame:
    """Run ``query``'s statements in order; the last one's result as a polars frame.

    The statements before the last compute values (window bounds) that the later ones get
    as parameters; see the module docstring.
    """
    values = bind(query, params)
    *first, last = con.extract_statements(query.sql)
    for statement in first:
        relation = con.sql(statement.query, params=_needed(statement, values))
        rows = relation.fetchall()
        if len(rows) != 1:
            raise QueryError(
                f"{query.name}.sql: a statement before the last returned {len(rows)} rows, not 1"
            )
        derived = dict(zip(relation.columns, rows[0], strict=True))
        if clash := sorted(set(derived) & set(values)):
            raise QueryError(f"{query.name}.sql: computed {', '.join(clash)} shadows a parameter")
        values |= derived
    return con.sql(last.query, params=_needed(last, values)).pl()
