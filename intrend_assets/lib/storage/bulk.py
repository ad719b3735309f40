"""``store_event_batch`` for Dagster's SQL event logs: runs of asset events in one insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable

# The batched event types whose storage is an insert plus an asset-key row update (and, for
# materializations, indexed tags): the events one ranged step or one run creation produces.
BULK_EVENT_TYPES = frozenset(
    {
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.ASSET_OBSERVATION,
        DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    }
)


def _bulk_key(event: EventLogEntry) -> tuple[str, str] | None:
    """(run id, event type) if ``event`` may be stored in bulk, else None."""
    dagster_event = event.dagster_event
    if dagster_event is None or dagster_event.asset_key is None:
        return None
    if dagster_event.event_type not in BULK_EVENT_TYPES:
        return None
    return event.run_id, dagster_event.event_type_value


class BulkAssetEvents:
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
