"""Opening the warehouse: one DuckDB file, schema applied on every writable open.

The schema lives in ``warehouse/schema/*.sql``, applied in file-name order; every statement is
``CREATE ... IF NOT EXISTS`` or ``CREATE OR REPLACE VIEW``, so applying it again is a no-op
and a newer file adds what an older warehouse lacks. Sessions run in UTC so that days and
hours in every query are UTC days and hours, whatever the machine's zone.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb

DEFAULT_PATH = Path("data/warehouse.duckdb")
ENV_PATH = "INTREND_WAREHOUSE_PATH"


def default_path() -> Path:
    """``$INTREND_WAREHOUSE_PATH`` or ``data/warehouse.duckdb``."""
    return Path(os.environ.get(ENV_PATH) or DEFAULT_PATH)


def schema_statements() -> list[tuple[str, str]]:
    """``(file name, SQL)`` of the schema files, in the order they apply."""
    folder = resources.files("warehouse") / "schema"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create whatever tables and views are missing, in one transaction."""
    con.begin()
    try:
        for _name, sql in schema_statements():
            con.execute(sql)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def connect(
    path: str | os.PathLike[str] | None = None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (``:memory:`` works too); writable opens create and migrate it.

    Read-only opens of a file that does not exist fail with ``FileNotFoundError`` instead of
    DuckDB's less direct message.
    """
    target = str(default_path() if path is None else path)
    if read_only and target != ":memory:" and not Path(target).exists():
        raise FileNotFoundError(f"no warehouse at {target}")
    if not read_only and target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target, read_only=read_only and target != ":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not read_only or target == ":memory:":
            apply_schema(con)
    except BaseException:
        con.close()
        raise
    return con
