"""Fetch sandbox profiles into a raw store, then archive their media, with plain code."""

from __future__ import annotations

import asyncio
from pathlib import Path

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.media.archive import MediaReport
from intrend_assets.media.pending import NewFetches
from intrend_assets.media.run import archive_new_fetches
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.world import SandboxWorld


def settings(world: SandboxWorld, root: Path, **changes: object) -> IntrendSettings:
    env = world.intrend_env(root)
    fields = {k.removeprefix("INTREND_").lower(): v for k, v in env.items()}
    return IntrendSettings(**{**fields, "backoff_seconds": 0.01, **changes})


def fetch(world: SandboxWorld, names: list[str], s: IntrendSettings) -> FetchReport:
    async def go() -> FetchReport:
        client = InstagramClient(s.client_config())
        modem = ModemClient(world.modem_url, world.modem_token)
        try:
            gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
            bound = BoundStrategies.from_clients(
                client, ["web_profile_info"], ["graphql_query_hash"]
            )
            return await fetch_profiles(
                names, bound, gate, LocalRawStore(s.resolved_raw_dir()), s.fetch_policy()
            )
        finally:
            await client.aclose()
            await modem.aclose()

    return asyncio.run(go())


def archive(s: IntrendSettings) -> tuple[MediaReport, NewFetches, MediaStore]:
    """One media run, as the ``archived_media`` asset does it."""
    raw = LocalRawStore(s.resolved_raw_dir())
    config = s.client_config()
    report, todo = archive_new_fetches(raw, s.media_config(), lambda: InstagramClient(config))
    return report, todo, MediaStore(raw.root)
