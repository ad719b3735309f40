"""The request log: one row per request sent, as the ``fetch_log`` warehouse table holds it."""

from __future__ import annotations

from datetime import UTC, datetime

from intrend_assets.instagram.http import Answer


class RequestLog:
    """Rows of every request of a run, in the order they were answered."""

    def __init__(self, run_id: str, pacing_name: str) -> None:
        self.run_id = run_id
        self.pacing_name = pacing_name
        self.rows: list[dict[str, object]] = []

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
            }
        )
