"""Prometheus metrics of the service, on a registry of its own per app.

A registry per app (not the global default) lets tests build many apps in one process
without "Duplicated timeseries" errors, and keeps library metrics out of the scrape.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from modem_service.rotation import RotationResult

__all__ = ["CONTENT_TYPE_LATEST", "ServiceMetrics"]

DURATION_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 120, 300)


class ServiceMetrics:
    """Rotations by result, their duration, IP changes, errors by kind, the IP's uptime."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self.rotations = Counter(
            "modem_rotations",
            "POST /rotate answers by result: changed, unchanged, failed (modem offline), "
            "coalesced (answered from a running or recent rotation).",
            ["result"],
            registry=self.registry,
        )
        for result in ("changed", "unchanged", "failed", "coalesced"):
            # A labelled series exists from its first increment; present from 0, the first
            # rotation after a scrape shows in increase() and rate() instead of being the
            # series' starting value.
            self.rotations.labels(result)
        self.rotation_duration = Histogram(
            "modem_rotation_duration_seconds",
            "Wall time of a whole rotation ladder walk.",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.ip_changes = Counter(
            "modem_ip_changes", "Times the public IP was seen to change.", registry=self.registry
        )
        self.unchanged_rotations = Counter(
            "modem_unchanged_rotations",
            "Rotations that ended with the same public IP after the whole ladder.",
            registry=self.registry,
        )
        self.steps = Counter(
            "modem_rotation_steps", "Ladder steps run, by step.", ["step"], registry=self.registry
        )
        self.errors = Counter(
            "modem_errors",
            "Errors by kind (step, echo, offline).",
            ["kind"],
            registry=self.registry,
        )
        self.iplog_write_failures = Counter(
            "modem_iplog_write_failures",
            "Writes to the IP log that failed (disk full, read-only...); the sighting waits "
            "in memory.",
            registry=self.registry,
        )
        self.iplog_unwritten = Gauge(
            "modem_iplog_unwritten",
            "Sightings waiting in memory because the IP log could not take them.",
            registry=self.registry,
        )
        self.iplog_dropped = Counter(
            "modem_iplog_dropped",
            "Waiting sightings dropped because the in-memory queue was full.",
            registry=self.registry,
        )
        self.present = Gauge(
            "modem_present",
            "1 while the backend sees a modem (as of the last /health or scrape), else 0.",
            registry=self.registry,
        )
        self.connected = Gauge(
            "modem_connected",
            "1 while the modem has a data connection (as of the last /health or scrape).",
            registry=self.registry,
        )
        self._ip_since: float | None = None
        self.ip_uptime = Gauge(
            "modem_ip_uptime_seconds",
            "Seconds since the current public IP was first seen (0 before any).",
            registry=self.registry,
        )
        self.ip_uptime.set_function(self._uptime)

    def _uptime(self) -> float:
        return 0.0 if self._ip_since is None else self._clock() - self._ip_since

    def modem_state(self, *, present: bool, connected: bool) -> None:
        self.present.set(1 if present else 0)
        self.connected.set(1 if connected else 0)

    def ip_seen(self, changed: bool) -> None:
        """Note an observation of the public IP; ``changed`` restarts the uptime."""
        if changed or self._ip_since is None:
            self._ip_since = self._clock()
        if changed:
            self.ip_changes.inc()

    def rotation_done(self, result: RotationResult) -> None:
        if result.coalesced:
            self.rotations.labels("coalesced").inc()
            return
        outcome = (
            "changed" if result.changed else "failed" if result.new_ip is None else "unchanged"
        )
        self.rotations.labels(outcome).inc()
        self.rotation_duration.observe(result.took_ms / 1000)
        for step in result.steps:
            self.steps.labels(step).inc()
        for error in result.errors:
            self.errors.labels("echo" if error.startswith("public_ip:") else "step").inc()
        if outcome == "unchanged":
            self.unchanged_rotations.inc()
        if outcome == "failed":
            self.errors.labels("offline").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
