"""The proxy host: an HTTP forward proxy whose egress IP is the simulated modem's.

Clients use it as ``httpx.AsyncClient(proxy=proxy_url)`` for plain ``http://`` targets, so
requests arrive in absolute form (``GET http://127.0.0.1:PORT/path HTTP/1.1``). uvicorn's
h11 protocol keeps that target in ``scope["raw_path"]``; the httptools one would drop the
scheme and host, so the proxy always runs on h11 (see ``tests/sandbox/test_proxy.py``).

Each forwarded request carries the modem's current public IP in :data:`EGRESS_HEADER`;
while the modem reconnects the proxy answers 503 like a dead link. Only loopback targets are
forwarded: the sandbox never reaches the internet. In-flight requests and open client
connections are counted, with their peaks, so tests can check a fetcher's connection limit.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import Any

import httpx
from uvicorn.protocols.http.h11_impl import H11Protocol

from sandbox.instagram import EGRESS_HEADER

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        EGRESS_HEADER,  # clients cannot choose their egress IP
    }
)

RECONNECTING_BODY = b"sandbox proxy: the modem is reconnecting; no route to the internet (503)\n"


class Gauge:
    """A thread-safe up/down counter that remembers its peak."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self.total = 0
        self._lock = threading.Lock()

    def up(self) -> None:
        with self._lock:
            self.current += 1
            self.total += 1
            self.peak = max(self.peak, self.current)

    def down(self) -> None:
        with self._lock:
            self.current -= 1

    def reset_peak(self) -> None:
        with self._lock:
            self.peak = self.current


class ProxyState:
    """Counters of the proxy host and the source of its egress IP."""

    def __init__(self, egress_ip: Callable[[], str | None]) -> None:
        self.egress_ip = egress_ip
        self.requests = Gauge()  # requests being forwarded right now
        self.connections = Gauge()  # client TCP connections open right now
        self.refused_reconnecting = 0
        self.faults: Any = None  # a sandbox.faults.SandboxFaults when the world sets one

    def snapshot(self) -> dict[str, int]:
        return {
            "in_flight": self.requests.current,
            "peak_in_flight": self.requests.peak,
            "requests_total": self.requests.total,
            "connections": self.connections.current,
            "peak_connections": self.connections.peak,
            "connections_total": self.connections.total,
            "refused_reconnecting": self.refused_reconnecting,
        }


def counting_protocol(gauge: Gauge) -> type[H11Protocol]:
    """An h11 protocol class that counts its open connections on ``gauge``."""

    class CountingH11Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            gauge.up()
            super().connection_made(transport)

        def connection_lost(self, exc: Exception | None) -> None:
            gauge.down()
            super().connection_lost(exc)

    return CountingH11Protocol


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _reply(send: Any, status: int, body: bytes, content_type: bytes = b"text/plain") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class ForwardProxy:
    """The ASGI app of the proxy host (run it with :func:`counting_protocol` on h11)."""

    def __init__(self, state: ProxyState, upstream_timeout: float = 30.0) -> None:
        self.state = state
        self._timeout = upstream_timeout
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            self.state.requests.up()
            try:
                await self._forward(scope, receive, send)
            finally:
                self.state.requests.down()

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Our own pool, no environment proxies: the upstream is always loopback.
                self._client = httpx.AsyncClient(
                    trust_env=False,
                    timeout=self._timeout,
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _forward(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Check the target, stamp the egress IP, relay the upstream answer (maybe cut)."""
        url = await _target(scope, send)
        if url is None:
            return
        body = await _read_body(receive)
        egress = self.state.egress_ip()
        if egress is None:
            self.state.refused_reconnecting += 1
            await _reply(send, 503, RECONNECTING_BODY)
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in HOP_BY_HOP
        ]
        headers.append((EGRESS_HEADER, egress))
        assert self._client is not None, "the proxy's lifespan did not run"
        request = self._client.build_request(scope["method"], url, headers=headers, content=body)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await _reply(send, 502, f"sandbox proxy: upstream failed: {exc!r}\n".encode())
            return
        try:
            payload = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        await self._relay(send, response, payload)

    async def _relay(self, send: Any, response: httpx.Response, payload: bytes) -> None:
        """The upstream answer, hop-by-hop headers dropped; a ``truncate`` fault cuts it."""
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
        ]
        out_headers.append((b"content-length", str(len(payload)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": out_headers}
        )
        faults = self.state.faults
        if faults is not None and len(payload) > 1 and faults.take("truncate"):
            # Cut mid-stream: half the promised body, then the connection closes (uvicorn
            # closes it when the app returns without finishing the response).
            await send(
                {
                    "type": "http.response.body",
                    "body": payload[: len(payload) // 2],
                    "more_body": True,
                }
            )
            return
        await send({"type": "http.response.body", "body": payload})


async def _target(scope: dict[str, Any], send: Any) -> httpx.URL | None:
    """The absolute http:// loopback URL a request names; None once it has been refused."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    if scope["method"] == "CONNECT":
        await _reply(send, 501, b"sandbox proxy: CONNECT (https) is not supported\n")
        return None
    if not raw_path.startswith(b"http://"):
        await _reply(send, 400, b"sandbox proxy: send an absolute-form http:// target\n")
        return None
    target = raw_path.decode("latin-1")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    url = httpx.URL(target)
    if not is_loopback_host(url.host):
        await _reply(send, 403, b"sandbox proxy: only loopback targets are forwarded\n")
        return None
    return url
