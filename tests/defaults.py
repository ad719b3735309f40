"""The production defaults, changed where a test needs it: every default lives in
:class:`IntrendSettings`, so tests build their configs from it rather than spelling one out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.instagram.client import ClientConfig
from intrend_assets.instagram.strategies import StrategyConfig
from intrend_assets.settings import IntrendSettings


def policy(**changes: Any) -> FetchPolicy:
    return replace(IntrendSettings().fetch_policy(), **changes)


def strategy_config(**changes: Any) -> StrategyConfig:
    return replace(IntrendSettings().strategy_config(), **changes)


def client_config(base_url: str, proxy_url: str | None = None, **changes: Any) -> ClientConfig:
    """The default client on another API host (the sandbox, a test server)."""
    settings = IntrendSettings(instagram_base_url=base_url, proxy_url=proxy_url)
    return replace(settings.client_config(), **changes)
