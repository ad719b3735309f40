"""An instance plugin: Dagster's own event log and run storages, with batches of asset events
written in one go and SQLite connections kept open.

**Tied to the pinned Dagster version (1.13.27).** These classes subclass Dagster's private
storage classes (``dagster._core.storage``) and override private members (``_connect``,
``_event_to_row``, ``_store_asset_event``, ...). A Dagster upgrade may change them without
notice: run ``tests/intrend_assets/test_dagster_storage.py`` (it compares what they store
with Dagster's stock storage through the public instance API) before moving the pin, and
switch the plugin off (``INTREND_DAGSTER_STORAGE=stock``) if it fails.

Why it exists: a ranged run over N profile partitions makes Dagster write, per partitioned
asset, N ``ASSET_MATERIALIZATION_PLANNED`` events when the run is created and N
``ASSET_MATERIALIZATION`` events when its step ends. With ``DAGSTER_EVENT_BATCH_SIZE`` set,
Dagster hands each of those groups to the storage as one batch (``store_event_batch``), but
the SQLite storage then stores the batch one event at a time, four fresh SQLite connections
and two commits per event (about 11 ms), and dagster-postgres batches materializations only,
so planned events still cost two new connections each (NullPool, password auth: 20-40 ms).
Per partition that was most of a 1,000-profile backfill's wall time (profiled: 85-90%).

The subclasses write such a batch as one multi-row insert (SQLite: into the run's shard and
into the index shard; PostgreSQL: into the one table) and then update each asset's row once
per event type, which leaves the rows the one-by-one path leaves. Everything else is
Dagster's own: reads, watchers (the UI follows a run's log through them), single events and
other event types. On SQLite, the databases nobody watches (the index, ``runs.db``) also keep
their connection between transactions (see :class:`BatchingSqliteEventLogStorage`).

How it is plugged in: the project's root ``dagster.yaml`` names only Dagster's stock storage,
so any Dagster tool works from the project root. ``intrend_assets.lib.instance`` writes
``$DAGSTER_HOME/dagster.yaml`` as that file merged with :data:`SQLITE_OVERLAY` (this
package's ``sqlite.yaml``); on PostgreSQL ``deploy/dagster/dagster.postgres.yaml`` names
:class:`BatchingPostgresEventLogStorage` itself. Modules: ``bulk`` (the batch writer shared by
both), ``sqlite``, ``postgres``, ``engines`` (SQLite engines), ``slots`` (pool slot claims two
runs cannot both win, a race of Dagster's own on PostgreSQL).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from intrend_assets.lib.storage.bulk import BULK_EVENT_TYPES
from intrend_assets.lib.storage.engines import sqlite_engine
from intrend_assets.lib.storage.postgres import BatchingPostgresEventLogStorage
from intrend_assets.lib.storage.sqlite import (
    BatchingSqliteEventLogStorage,
    KeptConnectionSqliteRunStorage,
)

# How many events Dagster buffers before handing them to ``store_event_batch``: larger than
# the partitions of one ranged run (at most 500 profiles x 2 events at run creation), so a
# run's planned events and a step's materializations are each one batch.
EVENT_BATCH_SIZE = 1000

# The instance-config sections that plug the SQLite storages in (shipped with the package).
SQLITE_OVERLAY: Traversable = files(__name__) / "sqlite.yaml"

__all__ = [
    "BULK_EVENT_TYPES",
    "EVENT_BATCH_SIZE",
    "SQLITE_OVERLAY",
    "BatchingPostgresEventLogStorage",
    "BatchingSqliteEventLogStorage",
    "KeptConnectionSqliteRunStorage",
    "sqlite_engine",
]
