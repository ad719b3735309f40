"""Everything a fetch run needs to reach Instagram, as one value: the seam the Dagster
resources expose and tests swap (a fake with the same methods serves canned answers).

Clients are opened by the code that uses them, inside its own event loop, and closed there:
this object holds configuration only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.routes import EgressRoute
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.client import ClientConfig, InstagramClient
from intrend_assets.instagram.session import load_session_cookies


@dataclass(frozen=True)
class InstagramAccess:
    """Instagram's public web endpoints, reached through the modem (proxy host or VPN route)."""

    client_config: ClientConfig
    policy: FetchPolicy
    profile_strategies: Sequence[str]
    timeline_strategies: Sequence[str]
    session_cookies_file: Path | None = None

    def through(self, route: EgressRoute) -> InstagramAccess:
        """This access with its requests sent through ``route``'s proxy."""
        return replace(self, client_config=replace(self.client_config, proxy_url=route.proxy_url))

    def open_client(self) -> InstagramClient:
        """A pooled client; call inside the event loop that will use it, and aclose() it."""
        return InstagramClient(self.client_config)

    def open_session_client(self, pool_of: InstagramClient | None = None) -> InstagramClient | None:
        """The logged-in client, or None without a session; a bad cookie file raises
        :class:`~intrend_assets.instagram.session.SessionFileError` (never showing a value).

        Pass the anonymous client as ``pool_of``: the session then sends through its
        connection pool, so both together never open more than ``max_connections``.
        """
        if not self.session_cookies_file:
            return None
        cookies = load_session_cookies(Path(self.session_cookies_file))
        return InstagramClient(self.client_config, cookies=cookies.values, pool_of=pool_of)

    def bind(
        self, client: InstagramClient, session_client: InstagramClient | None
    ) -> BoundStrategies:
        """The configured fetch strategies, in order, bound to these clients."""
        return BoundStrategies.from_clients(
            client, self.profile_strategies, self.timeline_strategies, session_client
        )
