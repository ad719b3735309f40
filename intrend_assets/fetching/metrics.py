"""Prometheus metrics of one pipeline step, built from what the step already reports.

The fetch loop keeps a :class:`~intrend_assets.fetching.report.FetchReport` (its request log
holds every request with its strategy, outcome and latency) and the load a
:class:`~intrend_assets.loading.queue.LoadReport`; the metrics are read off those once the
step is done, so the fetcher itself counts nothing twice and pays nothing per request.

A registry per step (not prometheus_client's global one), in the modem service's style: the
step's push carries only these families, and tests build as many as they like. Every counter
counts what *this step's run* did: the Pushgateway keeps the last push of each step (see
:mod:`intrend_assets.lib.metrics_push` for the grouping), so a panel reads "the last run".
Label values are bounded by the code, never by the data: strategies and outcomes are names
from :mod:`intrend_assets.instagram`, reasons are the failure kinds, never a username.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from intrend_assets.fetching.report import FetchReport

__all__ = ["LATENCY_BUCKETS", "REFUSALS", "FetchMetrics", "LoadMetrics", "StepMetrics"]

# Instagram answers in 0.1-2 s; a proxy that waits on a reconnecting modem takes longer.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
# Request outcomes that are Instagram saying no (the dashboard's refusal share).
REFUSALS = ("rate_limited", "login_wall", "refused", "strategy_throttled")
STORED = ("stored", "private")


class StepMetrics:
    """A step's registry and its wall time; the families are the subclasses'."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.duration = Gauge(
            "intrend_step_duration_seconds", "Wall time of the step's work.", registry=self.registry
        )

    def render(self) -> bytes:
        """The text exposition format, as the Pushgateway is sent it."""
        return generate_latest(self.registry)


class FetchMetrics(StepMetrics):
    """What a fetch run (``raw_profile``) did: requests, bytes, rotations, profiles."""

    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.requests = Counter(
            "intrend_requests",
            "Requests sent to Instagram, by fetch strategy, kind (profile or timeline) and "
            "outcome (ok, private, rate_limited, login_wall, not_found, network_error...).",
            ["strategy", "kind", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "intrend_request_duration_seconds",
            "Time to Instagram's answer, by fetch strategy and outcome (requests with no "
            "answer, a network error, are not in it).",
            ["strategy", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.response_bytes = Counter(
            "intrend_response_bytes", "Bytes of Instagram's answers as they came.", registry=r
        )
        self.stored_bytes = Counter(
            "intrend_stored_bytes", "Bytes written to the raw store (compressed).", registry=r
        )
        self.rotations = Counter(
            "intrend_rotations",
            "Modem rotations the step asked for, by result (changed, unchanged).",
            ["result"],
            registry=r,
        )
        self.rotation_seconds = Counter(
            "intrend_rotation_wait_seconds",
            "Seconds the step's requests were held while the modem changed IP.",
            registry=r,
        )
        self.profiles_stored = Counter(
            "intrend_profiles_stored",
            "Profiles fetched and stored (private ones included), by the strategy that served.",
            ["strategy"],
            registry=r,
        )
        self.profiles_failed = Counter(
            "intrend_profiles_failed",
            "Profiles not stored, by reason (not_found, login_wall, refused, gave_up...).",
            ["reason"],
            registry=r,
        )

    def observe_requests(self, rows: Iterable[Mapping[str, object]]) -> None:
        """One observation per request-log row (``fetch_log``'s columns)."""
        counts: dict[tuple[str, str, str], int] = {}
        for row in rows:
            strategy, outcome = str(row["endpoint"]), str(row["outcome"])
            key = (strategy, str(row["kind"]), outcome)
            counts[key] = counts.get(key, 0) + 1
            latency = row.get("latency_ms")
            if isinstance(latency, (int, float)):
                self.latency.labels(strategy, outcome).observe(latency / 1000)
        for labels, n in counts.items():
            self.requests.labels(*labels).inc(n)

    def observe(self, report: FetchReport) -> None:
        """Everything the report holds."""
        self.observe_requests(report.log)
        self.response_bytes.inc(report.bytes_raw)
        self.stored_bytes.inc(report.bytes_stored)
        self.rotations.labels("changed").inc(report.rotations - report.unchanged_rotations)
        self.rotations.labels("unchanged").inc(report.unchanged_rotations)
        self.rotation_seconds.inc(report.rotation_seconds)
        for outcome in report.outcomes.values():
            if outcome.outcome in STORED and outcome.complete:
                self.profiles_stored.labels(outcome.strategy or "unknown").inc()
            else:
                reason = outcome.outcome if outcome.complete else "incomplete"
                self.profiles_failed.labels(reason).inc()
        self.duration.set(report.seconds)


class LoadMetrics(StepMetrics):
    """What a load of the raw store's queue (``posts``) did."""

    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.posts_loaded = Counter(
            "intrend_posts_loaded", "Posts loaded into the warehouse.", registry=r
        )
        self.fetches_loaded = Counter(
            "intrend_fetches_loaded", "Stored fetches loaded into the warehouse.", registry=r
        )
        self.fetches_set_aside = Counter(
            "intrend_fetches_set_aside", "Stored fetches the warehouse refused.", registry=r
        )

    def observe(self, *, fetches: int, posts: int, set_aside: int, seconds: float) -> None:
        self.fetches_loaded.inc(fetches)
        self.posts_loaded.inc(posts)
        self.fetches_set_aside.inc(set_aside)
        self.duration.set(seconds)
