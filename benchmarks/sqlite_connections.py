"""What a Dagster SQLite transaction costs, by how its connection is made.

Dagster's SQLite storages are in WAL mode and open a connection per transaction (and, for
the run and schedule storages, a SQLAlchemy engine too). Closing the last connection to a
WAL database checkpoints it and deletes its WAL, so every transaction paid that. This
prints the cost per transaction (write: one insert; read: one count) on a database in a
temporary folder, three ways: an engine per transaction (Dagster's run storage), one engine
with a connection per transaction (Dagster's event log, and run shards here), and one
engine keeping its connection (the index and runs.db here, intrend_assets/lib/storage/).

Run:  .venv/bin/python benchmarks/sqlite_connections.py [--transactions 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from intrend_assets.lib.storage import sqlite_engine


def _per_transaction(
    connect: Callable[[], AbstractContextManager[Connection]], n: int, write: bool
) -> float:
    """Milliseconds per transaction."""
    statement = text("INSERT INTO t (v) VALUES ('x')" if write else "SELECT count(*) FROM t")
    started = time.perf_counter()
    for _ in range(n):
        with connect() as conn, conn.begin():
            conn.execute(statement).close()
    return (time.perf_counter() - started) * 1000 / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="intrend-sqlite-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with sqlite_engine(url, keep_open=False).begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            conn.execute(text("PRAGMA journal_mode=WAL"))

        def engine_each() -> AbstractContextManager[Connection]:
            return create_engine(url, poolclass=NullPool).connect()

        per_transaction = sqlite_engine(url, keep_open=False)
        kept = sqlite_engine(url, keep_open=True)
        ways = {
            "engine per transaction": engine_each,
            "connection per transaction": per_transaction.connect,
            "kept connection": kept.connect,
        }
        print(f"ms per transaction, {args.transactions} each, WAL database")
        for write in (True, False):
            for name, connect in ways.items():
                ms = _per_transaction(connect, args.transactions, write)
                print(f"  {'write' if write else 'read '}  {name:28s} {ms:6.3f}")
        kept.dispose()
        per_transaction.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
