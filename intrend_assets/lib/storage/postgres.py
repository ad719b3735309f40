"""dagster-postgres' event log with batches in bulk, on a small connection pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dagster._serdes import ConfigurableClassData
from dagster_postgres.event_log.event_log import PostgresEventLogStorage
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)

from intrend_assets.lib.storage.bulk import BulkAssetEvents

if TYPE_CHECKING:
    from dagster_postgres.auth import PgTokenProvider


class BatchingPostgresEventLogStorage(BulkAssetEvents, PostgresEventLogStorage):
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
