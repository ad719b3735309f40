"""The pooled async HTTP client for Instagram's public web endpoints.

One client per run: one connection pool, bounded by ``max_connections`` so all concurrent
fetches together stay under what the proxy host accepts. ``proxy_url`` is None when the
network itself routes Instagram's hosts through the modem (a VPN app connector).

It sends whatever a strategy (:mod:`.strategies`) builds. A logged-in session is a second
client with the session's cookies; its cookie header never reaches a log or the warehouse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from intrend_assets.instagram.errors import NetworkError
from intrend_assets.instagram.strategies import (
    IPAD_APP_ID,
    PROFILE_DOC_ID,
    TIMELINE_DOC_ID,
    TIMELINE_QUERY_HASH,
    WEB_APP_ID,
    HttpRequest,
    StrategyConfig,
    profile_request,
    timeline_request,
)
from intrend_assets.tls import verified_context

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
__all__ = [
    "DEFAULT_USER_AGENT",
    "TIMELINE_QUERY_HASH",
    "WEB_APP_ID",
    "Answer",
    "ClientConfig",
    "InstagramClient",
]


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as it came: status, raw body, how long it took."""

    status: int
    body: bytes
    latency_ms: float
    location: str | None = None  # a redirect's target (the login wall of the HTML page)


@dataclass(frozen=True)
class ClientConfig:
    base_url: str = "https://i.instagram.com"
    proxy_url: str | None = None
    app_id: str = WEB_APP_ID
    user_agent: str = DEFAULT_USER_AGENT
    timeline_query_hash: str = TIMELINE_QUERY_HASH
    max_connections: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    www_base_url: str | None = None
    ipad_app_id: str = IPAD_APP_ID
    profile_doc_id: str = PROFILE_DOC_ID
    timeline_doc_id: str = TIMELINE_DOC_ID

    def strategies(self) -> StrategyConfig:
        return StrategyConfig(
            api_base=self.base_url,
            www_base=self.www_base_url,
            web_app_id=self.app_id,
            ipad_app_id=self.ipad_app_id,
            profile_doc_id=self.profile_doc_id,
            timeline_doc_id=self.timeline_doc_id,
            timeline_query_hash=self.timeline_query_hash,
        )


class InstagramClient:
    def __init__(
        self,
        config: ClientConfig,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        cookies: dict[str, str] | None = None,
    ):
        self.config = config
        self.strategy_config = config.strategies()
        self.logged_in = bool(cookies)
        headers = {
            "x-ig-app-id": config.app_id,
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
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            proxy=config.proxy_url,
            transport=transport,
            headers=headers,
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout, pool=None),
            verify=verified_context(),
            trust_env=False,
        )

    async def get_profile(self, username: str) -> Answer:
        """GET web_profile_info for a validated username; network failures raise NetworkError."""
        return await self.send(profile_request("web_profile_info", username, self.strategy_config))

    async def get_timeline_page(self, user_id: str, after: str | None, first: int = 12) -> Answer:
        """One graph (query_hash) page of a profile's timeline after cursor ``after``."""
        if not user_id.isdigit():
            raise ValueError(f"user id must be digits, got {user_id!r}")
        # The query_hash endpoint is keyed by id; the username is only validated, not sent.
        request = timeline_request(
            "graphql_query_hash", "x", user_id, after, self.strategy_config, first
        )
        return await self.send(request)

    async def send(self, request: HttpRequest) -> Answer:
        """Send one strategy request; redirects are answers (the login wall is one)."""
        started = time.perf_counter()
        try:
            response = await self._http.request(
                request.method,
                request.url,
                params=request.params,
                data=request.data,
                headers=request.headers,
                follow_redirects=False,
            )
            body = await response.aread()
        except httpx.HTTPError as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
        return Answer(
            response.status_code,
            body,
            (time.perf_counter() - started) * 1000,
            response.headers.get("location"),
        )

    async def aclose(self) -> None:
        await self._http.aclose()
