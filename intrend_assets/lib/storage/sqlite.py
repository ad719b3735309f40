"""The SQLite storages: event log with batches in bulk and kept engines, run storage on a
kept connection. Both keep their files where Dagster's default SQLite storage does
(``history/`` under ``dagster_home``), so switching between them and the stock storage keeps
the history."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster._config import StringSource
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

from intrend_assets.lib.storage.bulk import BulkAssetEvents
from intrend_assets.lib.storage.engines import sqlite_engine
from intrend_assets.lib.storage.slots import AtomicSlotClaims


class BatchingSqliteEventLogStorage(AtomicSlotClaims, BulkAssetEvents, SqliteEventLogStorage):
    """SQLite event log storage whose ``store_event_batch`` costs two transactions, not 2N,
    whose connections come from one engine per database file, not a new engine each, and
    whose index database stays open between transactions.

    Dagster's SQLite storage builds a SQLAlchemy engine for every statement it runs and
    throws it away (``NullPool``, then ``dispose``); building one costs more than the insert
    it carries, and a step's handful of events (start, output, materialization, success)
    paid it several times each.

    The databases are in WAL mode, and closing the last connection to one checkpoints it
    and deletes its WAL: with a connection per transaction, every write paid that (about
    2 ms against 0.4 ms on a kept connection, ``benchmarks/sqlite_connections.py``). The
    index (asset events, asset records, dynamic partitions: every automation evaluation
    reads it) therefore keeps one connection open (see :func:`sqlite_engine`). A run's own
    database does not: the webserver follows a run's log by watching that file for
    changes, and with a kept connection the file changes only at checkpoints, so the log
    would stall. Its engine keeps ``NullPool``, and each transaction closes and checkpoints
    as in Dagster.
    """

    # Engines kept: the index shard, and the run shards written lately (a run worker writes
    # one; the webserver reads many, each engine holding no connection).
    MAX_ENGINES = 16

    def __init__(self, dagster_home: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._dagster_home = dagster_home
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._tables_found: set[str] = set()
        super().__init__(os.path.join(dagster_home, "history", "runs", ""), inst_data=inst_data)

    def has_table(self, table_name: str) -> bool:
        """Dagster asks before many statements whether an optional table exists (20-odd
        times per run), each time on a new engine and connection. A table, once there, stays
        (migrations only add them), so a yes is remembered; a no is asked again."""
        if table_name in self._tables_found:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_found.add(table_name)
        return found

    def _engine_for(self, shard: str) -> Engine:
        """The shard's engine; built (and its database created) on first use, or again after
        ``wipe``/``upgrade`` forgot which databases are initialised. Call under ``_db_lock``."""
        engine = self._engines.get(shard)
        if engine is None or shard not in self._initialized_dbs:
            if engine is not None:
                engine.dispose()
            engine = sqlite_engine(
                self.conn_string_for_shard(shard), keep_open=shard == INDEX_SHARD_NAME
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[shard] = engine
            while len(self._engines) > self.MAX_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
        self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            if self._engines_pid != os.getpid():
                # A forked child must not use its parent's open connections.
                for engine in self._engines.values():
                    engine.dispose(close=False)
                self._engines.clear()
                self._engines_pid = os.getpid()
            engine = self._engine_for(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:  # ty: ignore[invalid-method-override]
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> BatchingSqliteEventLogStorage:
        return cls(dagster_home=config_value["dagster_home"], inst_data=inst_data)

    def _insert_run_rows(self, run_id: str, rows: list[dict[str, Any]]) -> None:
        # Each run has its own SQLite file; the index shard mirrors asset events.
        with self.run_connection(run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)


class KeptConnectionSqliteRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage on one engine that keeps a connection open.

    Dagster's builds an engine per transaction, and its ``runs.db`` is in WAL mode, so each
    transaction also reopened the file and, on closing, checkpointed it and deleted its WAL.
    Creating a run, starting it and ending it are a dozen such transactions. Nothing follows
    ``runs.db`` by watching the file (the webserver polls it), so a kept connection changes
    nothing another process sees. Same place on disk as Dagster's default
    (``$DAGSTER_HOME/history/runs.db``), so switching keeps the history.
    """

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(conn_string, inst_data)
        self._engine_lock = threading.Lock()
        self._engine: Engine | None = None
        self._engine_pid = os.getpid()

    def _kept_engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is not None and self._engine_pid != os.getpid():
                self._engine.dispose(close=False)  # a forked child: not its connections
                self._engine = None
            if self._engine is None:
                self._engine = sqlite_engine(self._conn_string, keep_open=True)
                self._engine_pid = os.getpid()
            return self._engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._kept_engine().connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        with self._engine_lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
        super().dispose()

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:  # ty: ignore[invalid-method-override]
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptConnectionSqliteRunStorage:
        return cls.from_local(
            os.path.join(config_value["dagster_home"], "history", ""), inst_data=inst_data
        )
