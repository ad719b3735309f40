"""Everything a run wrote, read back as text, to look for values that must never be there.

A secret can hide from ``grep`` in what a run writes: Dagster keeps its run and execution-plan
snapshots zlib-compressed in SQLite, the raw store zstd-compresses every answer, the request
log is compressed Parquet and DuckDB compresses its strings. :func:`occurrences` opens each of
those the way its reader would, so a count of 0 means the value is nowhere, not merely
nowhere in plain bytes. Used by the secrets tests and the fault matrix.
"""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path


def _sqlite_texts(path: Path) -> Iterator[bytes]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in con.execute(f'select * from "{table}"'):  # noqa: S608 - its own tables
                for cell in row:
                    if isinstance(cell, str):
                        yield cell.encode()
                    elif isinstance(cell, bytes):
                        yield cell
                        with contextlib.suppress(zlib.error):
                            yield zlib.decompress(cell)  # Dagster's snapshots
    finally:
        con.close()


def _duckdb_texts(path: Path) -> Iterator[bytes]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            query = f'select * from "{schema}"."{table}"'  # noqa: S608 - its own tables
            for row in con.execute(query).fetchall():
                yield repr(row).encode()
    finally:
        con.close()


def _parquet_texts(path: Path) -> Iterator[bytes]:
    import polars as pl

    yield pl.read_parquet(path).write_csv().encode()


def _zstd_texts(path: Path) -> Iterator[bytes]:
    import zstandard

    yield zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes())


def texts(path: Path) -> Iterator[bytes]:
    """The bytes of ``path`` and, for the formats a run writes compressed, what they hold."""
    data = path.read_bytes()
    yield data
    readers = {".db": _sqlite_texts, ".sqlite": _sqlite_texts, ".sqlite3": _sqlite_texts}
    readers |= {".duckdb": _duckdb_texts, ".parquet": _parquet_texts, ".zst": _zstd_texts}
    reader = readers.get(path.suffix)
    if reader is None and data.startswith(b"SQLite format 3\x00"):
        reader = _sqlite_texts
    if reader is not None:
        yield from reader(path)


def files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file())


def occurrences(
    roots: Iterable[Path], secrets: Mapping[str, str], extra: Iterable[str] = ()
) -> dict[str, list[str]]:
    """``{secret name: [where it was found, ...]}`` over every file under ``roots`` (read by
    :func:`texts`) and the strings ``extra`` (captured output, metadata); empty when none."""
    found: dict[str, list[str]] = {}
    needles = {name: value.strip().encode() for name, value in secrets.items() if value.strip()}

    def look(where: str, blob: bytes) -> None:
        for name, needle in needles.items():
            if needle in blob and where not in found.get(name, []):
                found.setdefault(name, []).append(where)

    for path in files(roots):
        for blob in texts(path):
            look(str(path), blob)
    for number, text in enumerate(extra):
        look(f"<extra {number}>", text.encode())
    return found
