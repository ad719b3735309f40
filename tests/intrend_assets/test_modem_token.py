"""A modem token the service refuses is a configuration error: the run stops with one line.

An outage is waited out and retried; a wrong token is not an outage. Retrying it kept the
fetch sending refused requests on the limited IP for minutes (issue 17, item 7).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient, ModemRejected
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.instagram.errors import ConfigurationError
from intrend_assets.raw_store.store import LocalRawStore
from sandbox.world import SandboxConfig, start_sandbox
from tests import defaults

pytestmark = pytest.mark.slow
WRONG = "not-the-token-Xq7"


def test_a_refused_token_is_a_configuration_error_naming_no_secret() -> None:
    config = SandboxConfig(profiles=5, seed=3, rotation_seconds=0.0)
    with start_sandbox(config) as world:

        async def go() -> None:
            modem = ModemClient(world.modem_url, WRONG)
            try:
                await modem.rotate()
            finally:
                await modem.aclose()

        with pytest.raises(ModemRejected) as caught:
            asyncio.run(go())
    assert isinstance(caught.value, ConfigurationError)
    assert "HTTP 401" in str(caught.value) or "HTTP 403" in str(caught.value)
    assert WRONG not in str(caught.value) and "\n" not in str(caught.value)


def test_a_wrong_modem_token_stops_the_fetch_at_the_first_rotation(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=60, seed=3, budget=5, speed=100.0, rotation_seconds=0.0)
    with start_sandbox(config) as world:
        names = world.usernames()[:50]

        async def go() -> None:
            client = InstagramClient(
                defaults.client_config(world.instagram_url, proxy_url=world.proxy_url)
            )
            modem = ModemClient(world.modem_url, WRONG)
            try:
                gate = RotationGate(modem.rotate, current_ip=None, backoff_seconds=0.2)
                await fetch_profiles(
                    names,
                    BoundStrategies.from_clients(
                        client, ["web_profile_info"], ["graphql_query_hash"]
                    ),
                    gate,
                    LocalRawStore(tmp_path),
                    defaults.policy(concurrency=4),
                )
            finally:
                await client.aclose()
                await modem.aclose()

        started = time.perf_counter()
        with pytest.raises(ConfigurationError, match="modem service"):
            asyncio.run(go())
        elapsed = time.perf_counter() - started
        refused = world.stats()["total"]
    # Stopped at once: no backoff through the gate's attempts, no stream of refused requests.
    assert elapsed < 5
    assert refused["401"] + refused["429"] <= 4 + 1
