"""Dagster's event log storages, with batches of asset events written in one go, and its
SQLite run storage on a kept connection.

Why: a ranged run over N profile partitions makes Dagster write, per partitioned asset, N
``ASSET_MATERIALIZATION_PLANNED`` events when the run is created and N
``ASSET_MATERIALIZATION`` events when its step ends. With ``DAGSTER_EVENT_BATCH_SIZE`` set,
Dagster hands each of those groups to the storage as one batch (``store_event_batch``), but
the SQLite storage then stores the batch one event at a time, four fresh SQLite connections
and two commits per event (about 11 ms), and dagster-postgres batches materializations only,
so planned events still cost two new connections each (NullPool, password auth: 20-40 ms).
Per partition that was most of a 1,000-profile backfill's wall time (profiled: 85-90%).

The subclasses here write such a batch as one multi-row insert (SQLite: into the run's shard
and into the index shard; PostgreSQL: into the one table) and then update each asset's row
once per event type, which leaves the rows the one-by-one path leaves. Everything else is
Dagster's own: reads, watchers (the UI follows a run's log through them), single events and
other event types. On SQLite, the databases nobody watches (the index, ``runs.db``) also
keep their connection between transactions (see ``BatchingSqliteEventLogStorage``).

Configured in ``dagster.yaml`` (``event_log_storage``, ``run_storage``) and in
``deploy/dagster/dagster.postgres.yaml``. The SQLite ones take ``dagster_home`` (the
instance folder) and keep their files where Dagster's default SQLite storage does,
``history/`` under it, so switching between the two keeps the history.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dagster._config import StringSource
from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from dagster_postgres.event_log.event_log import PostgresEventLogStorage
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

if TYPE_CHECKING:
    from dagster_postgres.auth import PgTokenProvider

# The batched event types whose storage is an insert plus an asset-key row update (and, for
# materializations, indexed tags): the events one ranged step or one run creation produces.
BULK_EVENT_TYPES = frozenset(
    {
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_OBSERVATION,
        DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    }
)

# How many events Dagster buffers before handing them to ``store_event_batch``: larger than
# the partitions of one ranged run (at most 500 profiles x 2 events at run creation), so a
# run's planned events and a step's materializations are each one batch.
EVENT_BATCH_SIZE = 1000


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


def _bulk_key(event: EventLogEntry) -> tuple[str, str] | None:
    """(run id, event type) if ``event`` may be stored in bulk, else None."""
    dagster_event = event.dagster_event
    if dagster_event is None or dagster_event.asset_key is None:
        return None
    if dagster_event.event_type not in BULK_EVENT_TYPES:
        return None
    return event.run_id, dagster_event.event_type_value


class _BulkAssetEvents:
    """``store_event_batch`` for a SQL event log: runs of asset events go in bulk.

    Mixed into a subclass of a Dagster SQL event log storage (for ``_event_to_row``,
    ``store_event``, ``index_transaction``, ``_store_asset_event_tags``, ``_store_asset_event``).
    """

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Store runs of consecutive bulk-able events (same run, same type) together, the
        others one by one. Order is kept: storage ids grow in the order of ``events``."""
        group: list[EventLogEntry] = []
        for event in events:
            key = _bulk_key(event)
            if group and (key is None or key != _bulk_key(group[0])):
                self._store_bulk(group)
                group = []
            if key is None:
                self.store_event(event)  # type: ignore[attr-defined]
            else:
                group.append(event)
        if group:
            self._store_bulk(group)

    def _insert_run_rows(self, run_id: str, rows: list[dict[str, Any]]) -> None:
        """Where a storage keeps run events apart from the index (SQLite's run shards)."""

    def _store_bulk(self, events: list[EventLogEntry]) -> None:
        storage: Any = self
        if len(events) == 1:
            storage.store_event(events[0])
            return
        rows = [storage._event_to_row(event) for event in events]
        self._insert_run_rows(events[0].run_id, rows)
        with storage.index_transaction() as conn:
            result = conn.execute(
                SqlEventLogStorageTable.insert().returning(
                    SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
                ),
                rows,
            )
            event_ids = [int(row[0]) for row in result.fetchall()]
            storage._store_asset_event_tags(conn, events, event_ids)
            # Stored one by one, each event overwrites its asset's row with the columns its
            # type sets; the last event of each (asset, type) therefore decides the row.
            last: dict[tuple[str, str], int] = {}
            for index, event in enumerate(events):
                dagster_event = event.get_dagster_event()
                asset_key = dagster_event.asset_key
                assert asset_key is not None  # _bulk_key admitted only asset events
                last[(asset_key.to_string(), dagster_event.event_type_value)] = index
            for index in sorted(last.values()):
                storage._store_asset_event(conn, events[index], event_ids[index])


class BatchingSqliteEventLogStorage(_BulkAssetEvents, SqliteEventLogStorage):
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


class BatchingPostgresEventLogStorage(_BulkAssetEvents, PostgresEventLogStorage):
    """dagster-postgres' event log, batching planned events too (one insert, one transaction),
    on a small pool of connections.

    dagster-postgres opens a new connection for every statement (NullPool) except in the
    webserver, which it switches to a pool itself. With password (SCRAM) authentication a
    connection costs more than the statements it carries: every event, and every query of
    an automation evaluation, paid one. A run worker or the daemon holds at most
    ``POOL_SIZE`` idle connections; ``pool_pre_ping`` replaces those the server dropped.

    Same configuration as dagster-postgres (``postgres_db`` or ``postgres_url``).
    """

    POOL_SIZE = 2

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
        token_provider: PgTokenProvider | None = None,
    ) -> None:
        super().__init__(postgres_url, should_autocreate_tables, inst_data, token_provider)
        self._engine.dispose()
        self._engine = create_pg_engine(
            self.postgres_url,
            self._token_provider,
            isolation_level="AUTOCOMMIT",
            pool_size=self.POOL_SIZE,
            max_overflow=8,
            pool_recycle=3600,
            pool_pre_ping=True,
        )

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> BatchingPostgresEventLogStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )


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
