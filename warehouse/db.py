"""Opening the warehouse: one DuckDB file, its schema brought up to date on writable opens.

The schema lives in ``warehouse/schema/*.sql``, applied in file-name order; every statement is
``CREATE ... IF NOT EXISTS`` or ``CREATE OR REPLACE VIEW``, so applying it again is a no-op
and a newer file adds what an older warehouse lacks. Applying costs more than the open itself
and a pipeline run opens the warehouse many times, so the digest of the statements applied is
kept in ``applied_schema`` and a writable open applies them only when they changed (so a
table dropped by hand comes back only after ``DELETE FROM applied_schema``). Sessions
run in UTC so that days and hours in every query are UTC days and hours, whatever the
machine's zone.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from warehouse.settings import WarehouseSettings

ENV_PATH = "INTREND_WAREHOUSE_PATH"

PUBLISHED_STORAGE = "v1.4.0"
"""The storage format of new working files and of the published copy
(:mod:`warehouse.publish`): DuckDB 1.4 LTS reads it, and so does every later release."""


def _settings() -> WarehouseSettings:
    from warehouse.settings import WarehouseSettings

    return WarehouseSettings()


def default_path() -> Path:
    """Where the pipeline writes: ``$INTREND_WAREHOUSE_PATH``, else
    ``$INTREND_DATA_DIR/warehouse.duckdb`` (``data/`` by default)."""
    return _settings().resolved_warehouse_path()


def schema_statements() -> list[tuple[str, str]]:
    """``(file name, SQL)`` of the schema files, in the order they apply."""
    folder = resources.files("warehouse") / "schema"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def schema_digest(statements: Sequence[tuple[str, str]]) -> str:
    """sha256 of the file names and SQL, in order: any edit, new file or rename changes it."""
    digest = hashlib.sha256()
    for name, sql in statements:
        for part in (name, sql):
            digest.update(part.encode("utf-8"))
            digest.update(b"\0")
    return digest.hexdigest()


def applied_digest(con: duckdb.DuckDBPyConnection) -> str | None:
    """The digest of the schema last applied, or None (a new warehouse, or one older than
    the digest table: applying again is harmless)."""
    try:
        rows = con.execute("SELECT digest FROM applied_schema").fetchall()
    except duckdb.CatalogException:
        return None
    return rows[0][0] if rows else None


# Tables a later schema file made views of the same name: a warehouse that still holds one
# as a table has it dropped before the files apply (schema/019 says why SQL cannot).
REPLACED_BY_VIEWS = ("post_hashtags",)


def _drop_replaced_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name in REPLACED_BY_VIEWS:
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_name = $name",
            {"name": name},
        ).fetchall()
        if kind == [("BASE TABLE",)]:
            con.execute(f'DROP TABLE "{name}"')


def apply_schema(
    con: duckdb.DuckDBPyConnection, statements: Sequence[tuple[str, str]] | None = None
) -> None:
    """Create whatever tables and views are missing, and record the digest, in one
    transaction: a failed apply leaves the old digest, so the next open tries again."""
    statements = schema_statements() if statements is None else statements
    con.begin()
    try:
        _drop_replaced_tables(con)
        for _name, sql in statements:
            con.execute(sql)
        con.execute(
            "CREATE TABLE IF NOT EXISTS applied_schema (digest VARCHAR, applied_at TIMESTAMPTZ)"
        )
        con.execute("DELETE FROM applied_schema")
        con.execute(
            "INSERT INTO applied_schema VALUES ($digest, current_timestamp)",
            {"digest": schema_digest(statements)},
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise


def migrate(con: duckdb.DuckDBPyConnection) -> bool:
    """Apply the schema unless this warehouse already holds exactly it; True if applied."""
    statements = schema_statements()
    if applied_digest(con) == schema_digest(statements):
        return False
    apply_schema(con, statements)
    return True


def connect(
    path: str | os.PathLike[str] | None = None,
    read_only: bool = False,
    *,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (``:memory:`` works too); writable opens create and migrate it
    (see :func:`migrate`).

    ``memory_limit`` (DuckDB's, e.g. ``"512MB"``) defaults to
    ``INTREND_WAREHOUSE_MEMORY_LIMIT``. DuckDB's own default is 80% of the machine's memory,
    which a big load takes (a load of 300k posts peaked at 841 MiB without a limit and at
    550 MiB, as fast, with 256 MB).

    New files are made in the storage format DuckDB 1.4 LTS reads (see
    :mod:`warehouse.publish`), so publishing them is a file copy.

    Read-only opens of a file that does not exist fail with ``FileNotFoundError`` instead of
    DuckDB's less direct message.
    """
    target = str(default_path() if path is None else path)
    if read_only and target != ":memory:" and not Path(target).exists():
        raise FileNotFoundError(f"no warehouse at {target}")
    config: dict[str, str] = {"memory_limit": memory_limit or _settings().warehouse_memory_limit}
    if not read_only and target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        if not Path(target).exists():  # the format is chosen once, when the file is made
            config["storage_compatibility_version"] = PUBLISHED_STORAGE
    con = duckdb.connect(target, read_only=read_only and target != ":memory:", config=config)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not read_only or target == ":memory:":
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con
