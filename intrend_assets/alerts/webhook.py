"""Notify through a webhook: one JSON POST per alert.

The body is ``{"text": ..., "title": ..., "lines": [...]}``: Slack's incoming webhooks (and
Mattermost's, Rocket.Chat's) read ``text``; a generic receiver has the parts as fields. A
webhook is one HTTP call, so dagster-slack (a bot token and its client) is not needed for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from intrend_assets.redaction import redact, redact_data

MAX_LINES = 30  # a chat message, not a report: the rest is counted


class AlertNotSent(RuntimeError):
    """The webhook did not take the alert (unreachable, or not a 2xx answer)."""


@dataclass(frozen=True)
class Webhook:
    """Where alerts go; ``url`` None (``INTREND_ALERT_WEBHOOK_URL`` unset): alerts are off."""

    url: str | None
    timeout: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def send(self, title: str, lines: Sequence[str] = ()) -> None:
        """Post one alert; raises :class:`AlertNotSent` when it was not taken, so the sensor's
        tick fails where the UI shows it rather than the alert being lost quietly."""
        if not self.url:
            raise AlertNotSent("no webhook configured (INTREND_ALERT_WEBHOOK_URL)")
        shown = list(lines[:MAX_LINES])
        if len(lines) > MAX_LINES:
            shown.append(f"... and {len(lines) - MAX_LINES} more")
        # A message leaving the machine, through the redaction point like every other.
        title, shown = redact(title), redact_data(shown)
        body = {"text": "\n".join([title, *shown]), "title": title, "lines": shown}
        try:
            answer = httpx.post(self.url, json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise AlertNotSent(f"alert webhook unreachable: {type(exc).__name__}") from None
        if not answer.is_success:
            raise AlertNotSent(f"alert webhook answered {answer.status_code}")
