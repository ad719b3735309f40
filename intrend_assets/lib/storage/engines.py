"""SQLAlchemy engines on SQLite databases, opened as Dagster opens them."""

from __future__ import annotations

from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool, QueuePool


def sqlite_engine(url: str, *, keep_open: bool) -> Engine:
    """An engine on one SQLite database, as Dagster opens them (busy timeout), either
    connecting per transaction (``NullPool``, Dagster's way) or keeping one connection open.

    A kept connection holds no lock between transactions (WAL readers and writers take
    theirs per transaction), so other processes see the same database as before. The pool
    hands it to one thread at a time (``check_same_thread`` is off for that); a second
    concurrent checkout opens an extra connection, closed when returned.
    """
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    if not keep_open:
        return create_engine(url, poolclass=NullPool, connect_args=connect_args)
    return create_engine(
        url,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=8,
        connect_args={**connect_args, "check_same_thread": False},
    )
