"""The redaction point is where ``raw_profile`` writes: an error nobody foresaw that quotes a
secret (a library's message, a peer's answer) still never reaches the event log, the
metadata or the failure records, because the run's settings told the redaction point the
values. Instagram and the modem are faked (``tests/fakes.py``); the secrets are real values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import httpx
import pytest

from intrend_assets import redaction
from intrend_assets.defs.profiles.assets import raw_profile
from intrend_assets.defs.resources import build_resources, instagram_access
from intrend_assets.fetching.modem_client import ModemUnavailable
from intrend_assets.lib.ranged_runs import range_run_requests
from intrend_assets.settings import IntrendSettings
from sandbox.written import occurrences
from tests.fakes import FakeInstagram, FakeModem, FakeModemClient

TOKEN = "tok-Rd4SecretValue-19c"  # distinctive, to grep for
PROXY_PASSWORD = "pRoXy-Rd4-secretpw"
NAMES = ["alice", "leaky", "bob"]


@dataclass(frozen=True)
class LeakyInstagram(FakeInstagram):
    """Answers like the fake, but the network under ``leaky`` fails with a message that quotes
    the secrets, as an unforeseen library error might."""

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if "leaky" in str(request.url) or b"leaky" in request.content:
            raise httpx.ReadError(
                f"peer hung up on Bearer {TOKEN}; proxy http://me:{PROXY_PASSWORD}@p.test"
            )
        return super()._answer(request)


class LeakyModemClient(FakeModemClient):
    async def current_ip(self) -> str | None:
        raise ModemUnavailable(f"GET /ip: odd answer echoing {TOKEN}")


@dataclass(frozen=True)
class LeakyModem(FakeModem):
    def open_client(self) -> FakeModemClient:  # type: ignore[override]
        return LeakyModemClient(self.state)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    (tmp_path / "dagster").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster"))
    try:
        instance.add_dynamic_partitions("profiles", NAMES)
        yield instance
    finally:
        instance.dispose()
        redaction.forget()


def test_an_unforeseen_message_quoting_secrets_is_scrubbed_where_the_run_writes(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    settings = IntrendSettings(
        data_dir=tmp_path / "data",
        modem_token=TOKEN,
        proxy_url=f"http://me:{PROXY_PASSWORD}@127.0.0.1:9",
        max_attempts=1,
        backoff_seconds=0.0,
    )
    instagram = LeakyInstagram.of(instagram_access(settings), {})
    (request,) = range_run_requests(NAMES)
    result = dg.materialize(
        [raw_profile],
        resources={**build_resources(settings), "instagram": instagram, "modem": LeakyModem()},
        instance=instance,
        tags=request.tags,
    )
    assert result.success
    metadata = result.asset_materializations_for_node("raw_profile")[0].metadata
    failed = metadata["failed_profiles"].value
    assert list(failed) == ["leaky"] and redaction.REDACTED in failed["leaky"]
    events = [dg.serialize_value(record) for record in instance.all_logs(result.run_id)]
    warned = [e for e in events if "modem service unreachable at start" in e]
    assert warned and all(redaction.REDACTED in e for e in warned)
    found = occurrences(
        [tmp_path / "data", tmp_path / "dagster"],
        {"token": TOKEN, "proxy password": PROXY_PASSWORD},
        extra=[*events, str(failed)],
    )
    assert found == {}
