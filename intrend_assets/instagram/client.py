"""The pooled async HTTP client for Instagram's public web endpoints.

One client per run: one connection pool, bounded by ``max_connections`` so all concurrent
fetches together stay under what the proxy host accepts. ``proxy_url`` is None when the
network itself routes Instagram's hosts through the modem (a VPN app connector).

It sends whatever a strategy (:mod:`.strategies`) builds. A logged-in session is a second
client with the session's cookies; its cookie header never reaches a log or the warehouse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from intrend_assets.instagram.bounded import (
    DEFAULT_MAX_ANSWER_BYTES,
    BoundedDecoder,
    DecodeError,
    Kept,
    TooLarge,
)
from intrend_assets.instagram.errors import AnswerTooLarge, NetworkError
from intrend_assets.instagram.http import Answer, HttpRequest
from intrend_assets.instagram.strategies import (
    PROFILE_STRATEGIES,
    TIMELINE_STRATEGIES,
    StrategyConfig,
)
from intrend_assets.instagram.tls import verified_context
from intrend_assets.redaction import http_error_text, quotes_headers

__all__ = ["Answer", "ClientConfig", "InstagramClient"]


@dataclass(frozen=True)
class ClientConfig:
    """What one client needs: where and how to ask (``strategies``), and how to connect.

    The hosts and ids live only in :class:`StrategyConfig`, so a new strategy knob is added in
    one place; the client takes its base URL and default ``x-ig-app-id`` (the web app's) from
    there. The rest is the HTTP client's own: the proxy, agent, pool size and timeouts, and
    the most an answer may decode to (:mod:`.bounded`). The proxy's password is kept apart
    from its URL and out of the repr.
    """

    strategies: StrategyConfig
    proxy_url: str | None
    user_agent: str
    max_connections: int
    connect_timeout: float
    read_timeout: float
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    proxy_password: str | None = field(default=None, repr=False)

    def proxy(self) -> httpx.Proxy | None:
        """The proxy with its credentials as auth (httpx masks the password in its repr)."""
        if self.proxy_url is None:
            return None
        url = httpx.URL(self.proxy_url)
        if self.proxy_password is None:
            return httpx.Proxy(url)
        bare = url.copy_with(username=None, password=None)
        return httpx.Proxy(bare, auth=(url.username, self.proxy_password))


class _Borrowed(httpx.AsyncBaseTransport):
    """Another client's connection pool, used but never closed by the borrower."""

    def __init__(self, pool: httpx.AsyncBaseTransport) -> None:
        self._pool = pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._pool.handle_async_request(request)

    async def aclose(self) -> None:
        pass  # the owner closes the pool


class InstagramClient:
    def __init__(
        self,
        config: ClientConfig,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        cookies: dict[str, str] | None = None,
        pool_of: InstagramClient | None = None,
    ):
        """``pool_of``: send through that client's connection pool rather than a new one (the
        logged-in session shares the anonymous pool, so both together stay within
        ``max_connections``; the cookie header stays this client's own)."""
        self.config = config
        self.logged_in = bool(cookies)
        headers = {
            "x-ig-app-id": config.strategies.web_app_id,
            "user-agent": config.user_agent,
            "accept": "application/json",
            "accept-encoding": "gzip, deflate",
        }
        if cookies:
            # A plain header rather than a cookie jar: sent to Instagram's hosts and the
            # sandbox alike, and never updated from answers (the session stays the user's).
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            if "csrftoken" in cookies:
                headers["x-csrftoken"] = cookies["csrftoken"]
        if pool_of is not None:
            transport = _Borrowed(pool_of.pool)
        elif transport is None:
            transport = httpx.AsyncHTTPTransport(
                proxy=config.proxy(),
                limits=httpx.Limits(
                    max_connections=config.max_connections,
                    max_keepalive_connections=config.max_connections,
                ),
                verify=verified_context(),
                trust_env=False,
            )
        self.pool: httpx.AsyncBaseTransport = transport
        self._http = httpx.AsyncClient(
            base_url=config.strategies.api_base,
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout, pool=None),
            trust_env=False,
        )

    async def get_profile(self, username: str) -> Answer:
        """GET web_profile_info for a validated username; network failures raise NetworkError."""
        strategy = PROFILE_STRATEGIES["web_profile_info"]
        return await self.send(strategy.build_request(username, self.config.strategies))

    async def get_timeline_page(self, user_id: str, after: str | None, first: int = 12) -> Answer:
        """One graph (query_hash) page of a profile's timeline after cursor ``after``."""
        if not user_id.isdigit():
            raise ValueError(f"user id must be digits, got {user_id!r}")
        # The query_hash endpoint is keyed by id; the username is only validated, not sent.
        strategy = TIMELINE_STRATEGIES["graphql_query_hash"]
        request = strategy.build_request("x", user_id, after, self.config.strategies, first)
        return await self.send(request)

    async def send(self, request: HttpRequest) -> Answer:
        """Send one strategy request; redirects are answers (the login wall is one).

        The body is read as it comes and decoded here, not by httpx, so that an answer
        decoding to more than ``max_answer_bytes`` is refused (:class:`AnswerTooLarge`) once
        that many bytes are decoded, before it fills the memory."""
        started = time.perf_counter()
        outgoing = self._http.build_request(
            request.method,
            request.url,
            params=request.params,
            data=request.data,
            headers=request.headers,
        )
        try:
            response = await self._http.send(outgoing, stream=True, follow_redirects=False)
            try:
                body = await self._read(response)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            # h11's message quotes a header it refuses (the cookie header): never copied,
            # and not chained either, since Dagster stores an error's cause with it.
            error = NetworkError(http_error_text(exc))
            raise error from (None if quotes_headers(exc) else exc)
        return Answer(
            response.status_code,
            body,
            (time.perf_counter() - started) * 1000,
            response.headers.get("location"),
        )

    async def _read(self, response: httpx.Response) -> bytes:
        limit = self.config.max_answer_bytes
        decoder = BoundedDecoder(response.headers.get("content-encoding"), limit)
        try:
            if response.is_stream_consumed:
                # A transport that read the answer itself (httpx.MockTransport does): httpx
                # decoded it already, so only its size is left to check.
                Kept(limit).write(response.content)
                return response.content
            async for chunk in response.aiter_raw():
                decoder.feed(chunk)
            return decoder.body()
        except TooLarge as exc:
            status = response.status_code
            raise AnswerTooLarge(f"HTTP {status}: {exc}", status=status) from None
        except DecodeError as exc:  # as httpx's own decoding error: the answer came broken
            raise NetworkError(f"DecodingError: {exc}") from None

    async def aclose(self) -> None:
        await self._http.aclose()
