"""dagster-postgres' event log with batches in bulk, on a small connection pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dagster._core.storage.event_log.schema import ConcurrencyLimitsTable
from dagster._serdes import ConfigurableClassData
from dagster_postgres.event_log.event_log import PostgresEventLogStorage
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)
from sqlalchemy.dialects.postgresql import insert

from intrend_assets.lib.storage.bulk import BulkAssetEvents
from intrend_assets.lib.storage.slots import AtomicSlotClaims

if TYPE_CHECKING:
    from dagster_postgres.auth import PgTokenProvider


class BatchingPostgresEventLogStorage(AtomicSlotClaims, BulkAssetEvents, PostgresEventLogStorage):
    """dagster-postgres' event log, batching planned events too (one insert, one transaction),
    on a small pool of connections, with pool slots two runs cannot both claim
    (:class:`~intrend_assets.lib.storage.slots.AtomicSlotClaims`).

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

    def initialize_concurrency_limit_to_default(self, concurrency_key: str) -> bool:
        """Dagster's, safe when two runs create the same pool at once (both saw it missing).

        Dagster inserts the pool's row and, on a unique-key error, updates it in the same
        transaction: fine on SQLite, but PostgreSQL has aborted that transaction, so the
        second run failed. Here one upsert does both; the row lock it takes (also when it
        changes nothing) makes the second run allocate slots only after the first committed
        its own, so the pool keeps ``default_limit`` slots. Every other case is Dagster's.
        """
        default_limit = (
            self._instance.global_op_concurrency_default_limit if self.has_instance else None
        )
        if (
            default_limit is None
            or not self.has_concurrency_limits_table
            or not self.has_default_pool_limit_col
        ):
            return super().initialize_concurrency_limit_to_default(concurrency_key)
        self._reconcile_concurrency_limits_from_slots()
        limits = ConcurrencyLimitsTable
        upsert = (
            insert(limits)
            .values(concurrency_key=concurrency_key, limit=default_limit, using_default_limit=True)
            .on_conflict_do_update(
                index_elements=[limits.c.concurrency_key],
                set_={"limit": default_limit},
                where=limits.c.limit != default_limit,
            )
        )
        with self.index_transaction() as conn:
            conn.execute(upsert)
            self._allocate_concurrency_slots(conn, concurrency_key, default_limit)
        return True

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
