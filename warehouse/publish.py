"""The published warehouse: a read-only copy for analysts, swapped in whole after each write.

DuckDB lets one process write a file, or any number of processes read it, never both: a
reader's shared lock makes the next writer fail, and a writer's lock makes every reader fail.
So readers never open the pipeline's working file. After each successful writing step the
writer (which holds the ``warehouse`` pool, so it is the only one) publishes a copy:

1. on its own writable connection, ``CHECKPOINT`` (the WAL is folded into the file, and the
   lock keeps any other writer out while the copy is taken);
2. the bytes go to a temporary file beside the published one: a plain file copy when the
   working file's storage format is one every supported DuckDB reads, else
   ``ATTACH ... (STORAGE_VERSION ...)`` + ``COPY FROM DATABASE``, which rewrites it in that
   format;
3. ``os.replace`` swaps it in: a reader opening the path gets the old copy or the new one,
   never half of one. A reader that already has the old copy open keeps reading it (the
   old inode lives until its last descriptor is closed); its next open sees the new copy.

The published copy is written in storage version :data:`PUBLISHED_STORAGE`, which DuckDB
1.4 LTS and every later release read. Working files created by :func:`warehouse.db.connect`
use the same version, so publishing is a file copy (tens of milliseconds for a warehouse
of a million posts); an older working file in a newer format is rewritten on each publish
(seconds at that size) until it is replaced by its own published copy (see the README).

``python -m warehouse.publish [WORKING_FILE]`` publishes by hand (e.g. a warehouse built
before publishing existed); do it while no pipeline step writes.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.db import PUBLISHED_STORAGE, connect, default_path

PUBLISHED_FOLDER = "published"


def published_path(working: Path) -> Path:
    """Where the copy of ``working`` is published: ``published/<name>`` beside it."""
    return working.parent / PUBLISHED_FOLDER / working.name


def _version(tag: str) -> tuple[int, ...]:
    """``'v1.4.0+'`` -> ``(1, 4, 0)``; an unreadable tag counts as newer than anything."""
    match = re.match(r"v(\d+)\.(\d+)\.(\d+)", tag)
    return tuple(int(g) for g in match.groups()) if match else (10**6,)


def storage_version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage format of the connection's main database file, e.g. ``'v1.4.0+'``."""
    row = con.execute(
        "SELECT tags['storage_version'] FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchone()
    return str(row[0]) if row and row[0] else "unknown"


def readable_by_published_readers(tag: str) -> bool:
    """Whether a file in storage format ``tag`` opens in DuckDB :data:`PUBLISHED_STORAGE`."""
    return _version(tag) <= _version(PUBLISHED_STORAGE)


@dataclass(frozen=True)
class Published:
    """What one publish did: ``method`` is ``copy`` (file copy) or ``rewrite``."""

    path: Path
    method: str
    seconds: float
    bytes: int


def _rewrite(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Write the connection's database into ``target`` in the published storage format."""
    alias = f"publish_{uuid.uuid4().hex[:8]}"
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    source = str(row[0]).replace('"', '""')
    quoted = str(target).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS {alias} (STORAGE_VERSION '{PUBLISHED_STORAGE}')")
    try:
        con.execute(f'COPY FROM DATABASE "{source}" TO {alias}')
    finally:
        con.execute(f"DETACH {alias}")


def _wal_is_empty(working: Path) -> bool:
    wal = working.with_name(working.name + ".wal")
    return not wal.exists() or wal.stat().st_size == 0


def publish_from(
    con: duckdb.DuckDBPyConnection, working: Path, target: Path | None = None
) -> Published:
    """Publish ``working`` through ``con``, a writable connection to it with no transaction
    open (it holds DuckDB's lock, so nothing writes the file while it is copied)."""
    started = time.perf_counter()
    target = published_path(working) if target is None else target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    con.execute("CHECKPOINT")
    method = "rewrite"
    try:
        if readable_by_published_readers(storage_version(con)) and _wal_is_empty(working):
            method = "copy"
            shutil.copyfile(working, tmp)
        else:
            _rewrite(con, tmp)
        with open(tmp, "rb") as handle:  # the bytes on disk before the name points at them
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return Published(target, method, time.perf_counter() - started, target.stat().st_size)


def publish(working: Path, target: Path | None = None) -> Published:
    """Open ``working`` for writing (creating it if need be) and publish it."""
    con = connect(working)
    try:
        return publish_from(con, working, target)
    finally:
        con.close()


def connect_published(working: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published copy of ``working``, in UTC like every session.

    Raises ``FileNotFoundError`` when nothing has been published yet.
    """
    path = published_path(working)
    if not path.exists():
        raise FileNotFoundError(
            f"no published warehouse at {path}: every writing pipeline step publishes one, "
            f"or run `python -m warehouse.publish {working}`"
        )
    return connect(path, read_only=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    working = Path(args[0]) if args else default_path()
    if not working.exists():
        print(f"no warehouse file at {working}", file=sys.stderr)
        return 1
    done = publish(working)
    print(f"published {working} -> {done.path} ({done.method}, {done.seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
