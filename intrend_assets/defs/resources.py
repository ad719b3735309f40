"""Resources: the seams to every outside system (Instagram, the modem, storage, warehouse).

They hold configuration only; clients are opened by the code that uses them, inside its own
event loop, and closed there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import dagster as dg
from pydantic import Field

from intrend_assets.fetching.fetcher import FetchPolicy
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.instagram.client import (
    DEFAULT_USER_AGENT,
    TIMELINE_QUERY_HASH,
    ClientConfig,
    InstagramClient,
)
from intrend_assets.instagram.session import load_session_cookies
from intrend_assets.instagram.strategies import (
    IPAD_APP_ID,
    PROFILE_DOC_ID,
    PROFILE_STRATEGIES,
    TIMELINE_DOC_ID,
    TIMELINE_STRATEGIES,
    StrategyConfig,
)
from intrend_assets.instagram.ways import Ways
from intrend_assets.raw_store.store import LocalRawStore

if TYPE_CHECKING:
    import duckdb


class InstagramResource(dg.ConfigurableResource):
    """Instagram's public web endpoints, reached through the modem (proxy host or VPN route)."""

    base_url: str = "https://i.instagram.com"
    proxy_url: str | None = None
    app_id: str = "936619743392459"
    user_agent: str = DEFAULT_USER_AGENT
    max_connections: int = Field(8, ge=1)
    concurrency: int = Field(8, ge=1)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_attempts: int = Field(4, ge=1)
    max_rate_limited: int = Field(8, ge=1)
    backoff_seconds: float = 0.5
    pacing: Literal["none", "fixed", "jittered"] = "none"
    pacing_seconds: float = 0.0
    max_posts: int = Field(12, ge=1, description="Posts per profile; past 12 pages the timeline.")
    fast_update: bool = Field(True, description="Stop paging at the first post already stored.")
    timeline_query_hash: str = TIMELINE_QUERY_HASH
    www_base_url: str | None = None
    ipad_app_id: str = IPAD_APP_ID
    profile_strategies: list[str] = Field(
        default_factory=lambda: list(PROFILE_STRATEGIES),
        description="Ways to fetch a profile, in the order they are tried.",
    )
    timeline_strategies: list[str] = Field(
        default_factory=lambda: list(TIMELINE_STRATEGIES),
        description="Ways to fetch timeline pages, in the order they are tried.",
    )
    profile_doc_id: str = PROFILE_DOC_ID
    timeline_doc_id: str = TIMELINE_DOC_ID
    session_cookies_file: str | None = Field(
        None, description="Path of a logged-in session's cookie export; the cookies stay secret."
    )
    session_pacing_seconds: float = Field(5.0, ge=0)

    def client_config(self) -> ClientConfig:
        """The field names are what deployments configure, so they stay as they are and are
        mapped here onto :class:`StrategyConfig`'s (``base_url`` is ``api_base``, ``app_id``
        the web app's id)."""
        return ClientConfig(
            strategies=StrategyConfig(
                api_base=self.base_url,
                www_base=self.www_base_url,
                web_app_id=self.app_id,
                ipad_app_id=self.ipad_app_id,
                profile_doc_id=self.profile_doc_id,
                timeline_doc_id=self.timeline_doc_id,
                timeline_query_hash=self.timeline_query_hash,
            ),
            proxy_url=self.proxy_url,
            user_agent=self.user_agent,
            max_connections=self.max_connections,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
        )

    def open_client(self) -> InstagramClient:
        """A pooled client; call inside the event loop that will use it, and aclose() it."""
        return InstagramClient(self.client_config())

    def open_session_client(self) -> InstagramClient | None:
        """The logged-in client, or None without a session; a bad cookie file raises
        :class:`~intrend_assets.instagram.session.SessionFileError` (never showing a value)."""
        if not self.session_cookies_file:
            return None
        cookies = load_session_cookies(Path(self.session_cookies_file))
        return InstagramClient(self.client_config(), cookies=cookies.values)

    def ways(self, client: InstagramClient, session_client: InstagramClient | None) -> Ways:
        return Ways.from_clients(
            client, self.profile_strategies, self.timeline_strategies, session_client
        )

    def policy(self, strategy_name: str = "default") -> FetchPolicy:
        return FetchPolicy(
            # Never more requests in flight than connections the proxy allows.
            concurrency=min(self.concurrency, self.max_connections),
            max_attempts=self.max_attempts,
            max_rate_limited=self.max_rate_limited,
            backoff_seconds=self.backoff_seconds,
            pacing=self.pacing,
            pacing_seconds=self.pacing_seconds,
            max_posts=self.max_posts,
            fast_update=self.fast_update,
            strategy_name=strategy_name,
            session_pacing_seconds=self.session_pacing_seconds,
        )


class ModemResource(dg.ConfigurableResource):
    """The modem service on the 4G box: rotate the public IP, read it, read its IP log."""

    url: str = "http://127.0.0.1:8000"
    token: str | None = Field(None, description="Bearer token; set it through an EnvVar.")
    timeout: float = 300.0

    def open_client(self) -> ModemClient:
        return ModemClient(self.url, self.token, timeout=self.timeout)


class RawStoreResource(dg.ConfigurableResource):
    """Where raw answers are kept (a local or mounted folder)."""

    root: str = "data/raw"

    def store(self) -> LocalRawStore:
        return LocalRawStore(Path(self.root))


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. One writer at a time: writers share the ``warehouse`` pool."""

    path: str = "data/warehouse.duckdb"

    def folder(self) -> Path:
        """Where the warehouse file lives; reports are written beside it."""
        folder = Path(self.path).parent
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        from warehouse.db import connect

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = connect(self.path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
