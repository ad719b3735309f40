"""Push a step's metrics to a Prometheus Pushgateway when it ends.

Why a push and not a scrape: every run is a short-lived process (a run worker, or a pod past
one machine) that is gone before Prometheus's next scrape; nothing long-lived sees the fetch.

Grouping: one group per step, ``{job="intrend", step="raw_profile"}``, replaced by each run's
``pushadd`` (the families it pushes replace the group's previous ones). A group per run
would keep every run's series in the Pushgateway forever (it never expires a group): about
300 series a run, thousands of runs a month. Per step the Pushgateway holds two groups of
bounded size whatever the history, and each reads "the step's last run", stamped with the
Pushgateway's own ``push_time_seconds``. Totals across runs stay in the warehouse
(``fetch_log``); the long-lived modem service is scraped directly for its own counters.

A push that fails is a warning in the step's log, never the step's failure: metrics must
not cost a fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import pushadd_to_gateway

from intrend_assets.fetching.metrics import FetchMetrics, LoadMetrics, StepMetrics
from intrend_assets.fetching.report import FetchReport
from intrend_assets.loading.queue import LoadReport

JOB = "intrend"


@dataclass(frozen=True)
class MetricsGateway:
    """Where steps push their metrics; ``url`` None (``INTREND_PUSHGATEWAY_URL`` unset): off."""

    url: str | None
    timeout: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def push(self, step: str, metrics: StepMetrics, warn: Callable[[str], None]) -> bool:
        """Push ``metrics`` as the group of ``step``; True when the Pushgateway took them."""
        if not self.url:
            return False
        try:
            pushadd_to_gateway(
                self.url,
                job=JOB,
                registry=metrics.registry,
                grouping_key={"step": step},
                timeout=self.timeout,
            )
        except Exception as exc:  # unreachable, refused, bad URL: the step goes on
            warn(f"metrics not pushed to the Pushgateway: {exc}")
            return False
        return True

    def push_fetch(self, report: FetchReport, warn: Callable[[str], None]) -> bool:
        """``raw_profile``'s push: the fetch run's requests, rotations and profiles."""
        if not self.url:
            return False
        metrics = FetchMetrics()
        metrics.observe(report)
        return self.push("raw_profile", metrics, warn)

    def push_load(self, report: LoadReport, seconds: float, warn: Callable[[str], None]) -> bool:
        """``posts``' push: what the load of the raw store's queue did."""
        if not self.url:
            return False
        metrics = LoadMetrics()
        metrics.observe(
            fetches=report.fetches, posts=report.posts, set_aside=report.set_aside, seconds=seconds
        )
        return self.push("posts", metrics, warn)
