"""The two values a fetch strategy and the client exchange: the request to send, the answer
that came. Plain data, so the strategies and classifiers stay free of httpx."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class HttpRequest:
    """One request to send; ``url`` is absolute, so strategies may use different hosts."""

    method: Literal["GET", "POST"]
    url: str
    params: dict[str, str] | None = None
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as it came: status, raw body, how long it took."""

    status: int
    body: bytes
    latency_ms: float
    location: str | None = None  # a redirect's target (the login wall of the HTML page)
