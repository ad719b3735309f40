"""Whose fault a failed load is: the environment's, or the fetch's own.

The difference decides what happens to the fetch. An error of the fetch's own (its rows break
a constraint, a value does not convert, the contract refuses it) comes back every time that
fetch is loaded, so it is set aside and the rest of the queue goes on. An error of the
environment (the disk is full, an I/O error, a lock held by another process, a read-only file,
memory, a closed connection, DuckDB's schema or DuckDB itself) says nothing about the fetch:
setting fetches aside for it would empty the queue while the warehouse keeps nothing, so the
load stops with :class:`LoadBlocked` and every fetch stays queued for the next run.

A DuckDB error not known to come from the rows counts as the environment's: a fetch wrongly
kept queued fails the run loudly, a fetch wrongly set aside leaves the warehouse quietly. A
Python error raised on the fetch's values (``ValueError``, ``TypeError``, ...) is the
fetch's; an ``OSError`` or ``MemoryError`` never is.
"""

from __future__ import annotations

import errno
from concurrent.futures.process import BrokenProcessPool

import duckdb

# DuckDB errors that come from the rows themselves.
_FETCH_OWN_DUCKDB = (duckdb.IntegrityError, duckdb.DataError, duckdb.InvalidInputException)

# Labels of OS errors by errno, for the one line a blocked load fails with.
_ERRNO_LABELS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EIO: "I/O error",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOMEM: "out of memory",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files",
    errno.EAGAIN: "resource temporarily unavailable",
    errno.EBUSY: "resource busy",
    errno.ESTALE: "stale file handle",
}

# What DuckDB's messages say when the cause is the environment, whatever the exception type
# (a full disk at commit time is a TransactionException naming the WAL file).
_MESSAGE_LABELS = (
    ("no space left on device", "disk full"),
    ("disk quota exceeded", "disk quota exceeded"),
    ("input/output error", "I/O error"),
    ("read-only file system", "read-only file system"),
    ("read-only mode", "warehouse opened read-only"),
    ("could not set lock", "warehouse locked"),
    ("conflicting lock", "warehouse locked"),
    ("database has been invalidated", "warehouse invalidated"),
    ("out of memory", "out of memory"),
    ("connection already closed", "connection closed"),
    ("too many open files", "too many open files"),
)

_DUCKDB_LABELS: tuple[tuple[type[BaseException], str], ...] = (
    (duckdb.OutOfMemoryException, "out of memory"),
    (duckdb.ConnectionException, "connection closed"),
    (duckdb.TransactionException, "transaction failed"),
    (duckdb.IOException, "I/O error"),
    (duckdb.FatalException, "warehouse invalidated"),
    (duckdb.InterruptException, "interrupted"),
    (duckdb.PermissionException, "not permitted by the warehouse's configuration"),
    (duckdb.CatalogException, "warehouse schema"),
    (duckdb.BinderException, "warehouse schema"),
)


class LoadBlocked(RuntimeError):
    """The environment stopped the load; the fetches not committed stay queued."""

    def __init__(self, cause: BaseException, label: str, queued: int) -> None:
        self.label = label
        self.queued = queued
        line = (str(cause).strip().splitlines() or [""])[0][:300]
        super().__init__(
            f"the warehouse load stopped ({label}: {type(cause).__name__}: {line}); "
            f"{queued} fetches stay queued for the next run"
        )


def environment_label(exc: BaseException) -> str | None:
    """What in the environment ``exc`` comes from ("disk full", ...), or None when it is the
    fetch's own error (see the module docstring for which is which)."""
    if isinstance(exc, LoadBlocked):
        return exc.label
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, BrokenProcessPool):  # a parse process killed (the OOM killer)
        return "a parse process died"
    if isinstance(exc, OSError):
        return _ERRNO_LABELS.get(exc.errno or 0) or (
            errno.errorcode.get(exc.errno or 0) or "OS error"
        )
    message = str(exc).lower()
    for marker, label in _MESSAGE_LABELS:
        if marker in message:
            return label
    if isinstance(exc, _FETCH_OWN_DUCKDB):
        return None
    for kind, label in _DUCKDB_LABELS:
        if isinstance(exc, kind):
            return label
    if isinstance(exc, duckdb.Error):  # parser, internal, not implemented: DuckDB's side
        return f"DuckDB {type(exc).__name__}"
    return None
