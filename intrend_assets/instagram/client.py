"""The pooled async HTTP client for Instagram's public web endpoints.

One client per run: one connection pool, bounded by ``max_connections`` so all concurrent
fetches together stay under what the proxy host accepts. ``proxy_url`` is None when the
network itself routes Instagram's hosts through the modem (a VPN app connector).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx

from intrend_assets.instagram.errors import NetworkError
from intrend_assets.usernames import validate_username

WEB_APP_ID = "936619743392459"
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PROFILE_PATH = "/api/v1/users/web_profile_info/"
TIMELINE_PATH = "/graphql/query/"
# The query hash of the profile timeline (edge_owner_to_timeline_media). Instagram changes
# these every few months: it is configuration (INTREND_TIMELINE_QUERY_HASH), not code.
TIMELINE_QUERY_HASH = "42323d64886122307be10013ad2dcc44"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as it came: status, raw body, how long it took."""

    status: int
    body: bytes
    latency_ms: float


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


class InstagramClient:
    def __init__(self, config: ClientConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            proxy=config.proxy_url,
            transport=transport,
            headers={
                "x-ig-app-id": config.app_id,
                "user-agent": config.user_agent,
                "accept": "application/json",
                "accept-encoding": "gzip, deflate",
            },
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout, pool=None),
            trust_env=False,
        )

    async def get_profile(self, username: str) -> Answer:
        """GET web_profile_info for a validated username; network failures raise NetworkError."""
        return await self._get(PROFILE_PATH, {"username": validate_username(username)})

    async def get_timeline_page(self, user_id: str, after: str | None, first: int = 12) -> Answer:
        """One page of a profile's timeline after cursor ``after`` (pagination)."""
        if not user_id.isdigit():
            raise ValueError(f"user id must be digits, got {user_id!r}")
        variables = json.dumps({"id": user_id, "first": first, "after": after})
        params = {"query_hash": self.config.timeline_query_hash, "variables": variables}
        return await self._get(TIMELINE_PATH, params)

    async def _get(self, path: str, params: dict[str, str]) -> Answer:
        started = time.perf_counter()
        try:
            response = await self._http.get(path, params=params)
            body = await response.aread()
        except httpx.HTTPError as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
        return Answer(response.status_code, body, (time.perf_counter() - started) * 1000)

    async def aclose(self) -> None:
        await self._http.aclose()
