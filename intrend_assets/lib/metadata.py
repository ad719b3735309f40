"""Small renderers for Dagster metadata: what a user sees on an asset's page.

Every asset that writes a warehouse table reports :func:`table_metadata` on each
materialization (the catalog's row count and Columns tab, from the table as written), and
the tables whose columns the warehouse contract fixes carry :func:`contract_columns` in their
definition, so their columns show before the first run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb
import polars as pl


def frame_markdown(frame: pl.DataFrame, limit: int = 30) -> str:
    """A Markdown table of the first ``limit`` rows (the UI renders it on the asset page)."""
    if frame.is_empty():
        return "_no rows_"
    head = frame.head(limit)
    lines = [
        "| " + " | ".join(head.columns) + " |",
        "|" + "---|" * len(head.columns),
    ]
    for row in head.iter_rows():
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if frame.height > limit:
        lines.append(f"\n_{frame.height - limit} more rows_")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")


def contract_columns(
    table: str, schema: pl.Schema, added: Mapping[str, tuple[str, str]] | None = None
) -> dict[str, Any]:
    """Definition metadata of a table whose columns a :mod:`warehouse.contract` schema fixes;
    ``added``: the columns the warehouse adds itself, ``name: (type, what it holds)``."""
    columns = [dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()]
    columns += [
        dg.TableColumn(name, dtype, description=what)
        for name, (dtype, what) in (added or {}).items()
    ]
    return {
        "dagster/table_name": table,
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """``dagster/row_count`` and ``dagster/column_schema`` of ``table`` as it now is."""
    described = con.execute(
        "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns"
        " WHERE table_name = ? AND table_schema = current_schema() ORDER BY ordinal_position",
        [table],
    ).fetchall()
    if not described:
        raise ValueError(f"no table {table!r} in the warehouse")
    ((rows,),) = con.table(table).aggregate("count(*)").fetchall()
    columns = [
        dg.TableColumn(name, dtype, constraints=dg.TableColumnConstraints(nullable=nullable))
        for name, dtype, nullable in described
    ]
    return {
        "dagster/table_name": table,
        "dagster/row_count": int(rows),
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }
