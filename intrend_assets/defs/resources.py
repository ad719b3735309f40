"""The resources: one plain object per outside system, built once from the settings.

Instagram (:class:`InstagramAccess`), the modem services (:class:`ModemPool`: one per egress
route, the first answering as the single modem), the raw store (:class:`RawStore`), the
warehouse file (:class:`WarehouseFile`) and the tracked
profiles file (:class:`ProfilesFile`). They are plain Python values, handed to Dagster as
``ResourceParam``\\ s rather than configurable resources, so every setting is declared once
(in :class:`~intrend_assets.settings.IntrendSettings`) and no secret (the modem token) is
ever part of a run's config or snapshot. Tests swap a resource by passing another object with
the same methods (``tests/fakes.py``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from intrend_assets.alerts.daily import StaleAfter
from intrend_assets.alerts.webhook import Webhook
from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.routes import ModemPool
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.loading.watch import PendingLimit
from intrend_assets.raw_store.store import open_raw_store
from intrend_assets.redaction import remember
from intrend_assets.settings import IntrendSettings
from intrend_assets.tracking.tracked_file import ProfilesFile
from warehouse.db import connect
from warehouse.publish import Published, connect_published, publish, published_path


@dataclass(frozen=True)
class WarehouseFile:
    """The DuckDB warehouse: the pipeline's working file and the copy published for readers.

    One writer at a time: writers share the ``warehouse`` pool, open :meth:`connect` and call
    :meth:`publish` once they have committed. Everything that only reads (the trend report,
    the asset checks, analysts) opens :meth:`connect_published`, so no reader ever holds a
    lock a writer needs, nor waits for one (``warehouse.publish`` says how).
    """

    path: Path
    trend_min_profiles: int = 3  # the trend report's minimum of distinct profiles per tag
    parse_workers: int = 1  # parse processes beside the posts load; 0: none (INTREND_PARSE_WORKERS)

    def folder(self) -> Path:
        """Where the warehouse file lives; reports are written beside it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.path.parent

    @property
    def published(self) -> Path:
        """The read-only copy analysts open."""
        return published_path(self.path)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The working file: for writers, inside the ``warehouse`` pool."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = connect(self.path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def publish(self) -> Published:
        """Swap in a new published copy of what the writers have committed."""
        return publish(self.path)

    @contextmanager
    def connect_published(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the published copy; a writer may publish meanwhile."""
        con = connect_published(self.path)
        try:
            yield con
        finally:
            con.close()


def instagram_access(settings: IntrendSettings) -> InstagramAccess:
    return InstagramAccess(
        client_config=settings.client_config(),
        policy=settings.fetch_policy(),
        profile_strategies=tuple(settings.profile_strategies),
        timeline_strategies=tuple(settings.timeline_strategies),
        session_cookies_file=settings.session_cookies_file,
    )


def modem_pool(settings: IntrendSettings) -> ModemPool:
    """Every egress route; the pool answers for the first one as a single modem would."""
    routes = settings.egress_routes()
    first = routes[0].modem
    return ModemPool(first.url, first.token, first.timeout, routes, settings.route_bench_seconds)


def build_resources(settings: IntrendSettings) -> dict[str, object]:
    """The resources of one deployment; only ``settings`` differ between sandbox and field
    (the sandbox's modem token arrives as ``INTREND_MODEM_TOKEN`` like any other). Its
    secrets are scrubbed from every message the run writes from here on."""
    remember(*settings.secret_values())
    alert_url = settings.alert_webhook_url
    return {
        "instagram": instagram_access(settings),
        "modem": modem_pool(settings),
        "raw_store": open_raw_store(
            settings.raw_store_url(),
            settings.max_answer_bytes,
            endpoint=settings.raw_endpoint,
        ),
        "warehouse": WarehouseFile(
            settings.resolved_warehouse_path(), settings.trend_min_profiles, settings.parse_workers
        ),
        "pending_limit": PendingLimit(settings.max_pending_hours),
        "tracked_profiles": ProfilesFile(settings.profiles_file),
        "media": settings.media_config(),
        "metrics": MetricsGateway(settings.pushgateway_url),
        "alerts": Webhook(alert_url.get_secret_value() if alert_url else None),
        "stale_after": StaleAfter(settings.stale_profile_days),
        "retention": settings.retention_policy(),
    }
