"""How the service is served: uvicorn on h11, with limits a client without a token can't beat.

``/health`` needs no token, so anyone on the VPN reaches the HTTP parser. Three limits keep
one such client from freezing or starving the service:

- the request head is bounded (``MODEM_MAX_HEADER_BYTES``): h11 refuses a larger one at once
  with a 400, where the httptools parser would buffer hundreds of megabytes;
- a connection must deliver its request head within ``MODEM_HEADER_TIMEOUT_SECONDS`` of
  opening or of its last answer: uvicorn's keep-alive timer only runs after a first answer,
  so a socket that never sends a byte (or sends one a minute) would stay open for ever;
- at most ``MODEM_MAX_CONNECTIONS`` connections are kept: a new one beyond it closes the one
  idle the longest, so a flood of idle sockets never exhausts the file limit and a real
  request always gets in.

The access log never carries query strings: a token pasted into a URL must not end up in
the journal.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from modem_service.settings import Settings

ACCESS_LOGGER = "uvicorn.access"


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a request-head deadline and a connection cap.

    ``header_timeout`` and ``max_connections`` are class attributes: :func:`guarded_protocol`
    makes a subclass per server, because uvicorn builds protocols from a class.
    """

    header_timeout: float = 10.0
    max_connections: int = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None
        self.idle_since = time.monotonic()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_deadline()

    @property
    def idle(self) -> bool:
        """No request is being answered: waiting for (the rest of) a request head."""
        return self.cycle is None or self.cycle.response_complete

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self.idle_since = time.monotonic()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.idle and not self.transport.is_closing():
            self.transport.close()

    def _make_room(self) -> None:
        """Close the connection idle the longest (this one if every other is busy)."""
        idle = [
            c
            for c in self.connections
            if isinstance(c, GuardedH11Protocol)
            and c is not self
            and c.idle
            and not c.transport.is_closing()
        ]
        victim = min(idle, key=lambda c: c.idle_since) if idle else self
        victim.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedH11Protocol]:
    """A protocol class carrying this service's limits."""
    return type(
        "ModemServiceProtocol",
        (GuardedH11Protocol,),
        {
            "header_timeout": settings.header_timeout_seconds,
            "max_connections": settings.max_connections,
        },
    )


class RedactQuery(logging.Filter):
    """Drop the query string from uvicorn's access-log line (``GET /ips?<redacted>``).

    uvicorn logs ``(client, method, path_with_query, http_version, status)``; the path is the
    third argument.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            if sep:
                record.args = (*args[:2], f"{path}?<redacted>", *args[3:])
        return True


def install_access_log_filter() -> None:
    """Add :class:`RedactQuery` to the access logger once (uvicorn keeps the logger)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactQuery) for f in logger.filters):
        logger.addFilter(RedactQuery())


def uvicorn_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration the service runs with (``overrides`` for tests)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": False,
        "log_level": settings.log_level,
        "access_log": settings.access_log,
        "http": guarded_protocol(settings),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "ws": "none",
    }
    options.update(overrides)
    config = uvicorn.Config(app, **options)
    install_access_log_filter()  # after Config, which (re)configures the uvicorn loggers
    return config


def raise_open_files_limit() -> int:
    """Raise this process's soft open-files limit to its hard limit; return the new soft one.

    systemd's default is 1,024 soft; the unit sets ``LimitNOFILE`` too, this covers a start
    by hand.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft
