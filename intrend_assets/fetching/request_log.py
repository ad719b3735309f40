"""The request log: one row per request sent, as the ``fetch_log`` warehouse table holds it.

Written as the fetch goes: rows are handed to a sink in batches (every ``FLUSH_ROWS`` rows or
``FLUSH_SECONDS`` seconds, and whatever is left when the run ends, even by an error), so a
crash loses at most the requests of the batch in progress, not the run's whole log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from intrend_assets.instagram.http import Answer

FLUSH_ROWS = 200
FLUSH_SECONDS = 5.0
Row = dict[str, object]
Sink = Callable[[list[Row]], None]  # writes one batch (the raw store's fetch_log/ folder)


class RequestLog:
    """Rows of every request of a run, in the order they were answered."""

    def __init__(
        self,
        run_id: str,
        pacing_name: str,
        sink: Sink | None = None,
        *,
        flush_rows: int = FLUSH_ROWS,
        flush_seconds: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run_id = run_id
        self.pacing_name = pacing_name
        self.rows: list[Row] = []
        self._sink = sink
        self._flush_rows = flush_rows
        self._flush_seconds = flush_seconds
        self._clock = clock
        self._flushed = 0  # rows already handed to the sink
        self._flushed_at = clock()

    def flush(self) -> None:
        """Hand the rows not yet written to the sink (a no-op without one, or nothing new)."""
        if self._sink is None or self._flushed == len(self.rows):
            return
        batch = self.rows[self._flushed :]
        self._sink(batch)
        self._flushed += len(batch)
        self._flushed_at = self._clock()

    def _maybe_flush(self) -> None:
        due = len(self.rows) - self._flushed >= self._flush_rows
        if due or self._clock() - self._flushed_at >= self._flush_seconds:
            self.flush()

    def record(
        self,
        username: str,
        fetch_strategy: str,
        kind: str,
        session: bool,
        answer: Answer | None,
        outcome: str,
        attempt: int,
        ip: str | None,
        rotation: int,
        route: str = "",
    ) -> None:
        # The keys are fetch_log's columns: "strategy" holds the *pacing* (what the rate-limit
        # experiments compare), "endpoint" the *fetch strategy* that sent the request.
        self.rows.append(
            {
                "requested_at": datetime.now(UTC),
                "username": username,
                "egress_ip": ip,
                "strategy": self.pacing_name,
                "endpoint": fetch_strategy,
                "kind": kind,
                "session": session,
                "status": answer.status if answer else None,
                "outcome": outcome,
                "latency_ms": answer.latency_ms if answer else None,
                "bytes": len(answer.body) if answer else 0,
                "attempt": attempt,
                "rotation": rotation,
                "run_id": self.run_id,
                "route": route,  # the egress route (modem) the request went out on
            }
        )
        self._maybe_flush()
