"""The fetch loop against a scripted Instagram: every profile ends stored or failed-with-reason."""

import asyncio
import json
from pathlib import Path

import pytest

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.client import Answer
from intrend_assets.instagram.errors import ConfigurationError, NetworkError
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted

WAIT = b'{"message":"Please wait a few minutes before you try again.","require_login":true}'


def body(username: str, private: bool = False) -> bytes:
    user = {"id": "1", "username": username, "is_private": private}
    return json.dumps({"data": {"user": user}, "status": "ok"}).encode()


class FakeInstagram:
    """Rate-limits per IP after ``budget`` requests; some names behave specially."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.ip = "209.29.168.1"
        self.used: dict[str, int] = {}
        self.rotations = 0
        self.flaky: dict[str, int] = {}

    async def rotate(self) -> Rotation:
        self.rotations += 1
        old, self.ip = self.ip, f"209.29.168.{self.rotations + 1}"
        return Rotation(old, self.ip, True, 1, 1)

    async def get_profile(self, username: str) -> Answer:
        await asyncio.sleep(0.001)
        if self.flaky.get(username, 0) > 0:
            self.flaky[username] -= 1
            if username.startswith("net"):
                raise NetworkError("read timeout")
            return Answer(503, b"upstream", 1.0)
        self.used[self.ip] = self.used.get(self.ip, 0) + 1
        if self.used[self.ip] > self.budget:
            return Answer(401, WAIT, 1.0)
        if username.startswith("ghost"):
            return Answer(404, b"", 1.0)
        if username == "badheaders":
            return Answer(401, b'{"message":"useragent mismatch"}', 1.0)
        return Answer(200, body(username, private=username.startswith("priv")), 1.0)


FAST = defaults.policy(concurrency=8, backoff_seconds=0.001, max_backoff_seconds=0.01)


def _run(ig: FakeInstagram, names: list[str], tmp_path: Path, policy: FetchPolicy = FAST):
    async def go():
        gate = RotationGate(ig.rotate, current_ip=ig.ip, backoff_seconds=0.001)
        return await fetch_profiles(
            names, scripted.bound(ig.get_profile), gate, LocalRawStore(tmp_path), policy
        )

    return asyncio.run(go())


def test_rate_limit_rotates_and_every_profile_ends_somewhere(tmp_path: Path) -> None:
    names = [f"user{i}" for i in range(100)] + ["ghost1", "priv1", "../etc", "a b"]
    ig = FakeInstagram(budget=20)
    report = _run(ig, names, tmp_path)
    assert len(report.outcomes) == len(names)  # nothing lost
    assert report.count("stored") == 100
    assert report.outcomes["priv1"].outcome == "private"
    assert report.outcomes["ghost1"].outcome == "not_found"
    assert report.outcomes["../etc"].outcome == "invalid"
    assert report.outcomes["a b"].outcome == "invalid"
    # 102 answers at 20 per IP need exactly 6 IPs: 5 rotations. The first IP's refusal teaches
    # the budget (requests in flight under it come back limited too, and retry without
    # rotating again); the IPs after it are rotated at that count (``fetching.budget``), so
    # not every rotation costs a refused request.
    limited = sum(1 for e in report.log if e["outcome"] == "rate_limited")
    assert ig.rotations == 5
    assert 1 <= limited < 5
    store = LocalRawStore(tmp_path)
    assert {f["username"] for f in store.failures()} == {"ghost1", "../etc", "a b"}
    assert len(list(store.usernames())) == 101


def test_upstream_and_network_errors_back_off_and_retry(tmp_path: Path) -> None:
    ig = FakeInstagram(budget=1000)
    ig.flaky = {"flaky1": 2, "net1": 2, "hopeless": 99}
    report = _run(ig, ["flaky1", "net1", "hopeless"], tmp_path)
    assert report.outcomes["flaky1"].outcome == "stored"
    assert report.outcomes["net1"].outcome == "stored"
    assert report.outcomes["hopeless"].outcome == "gave_up"
    assert "upstream_error" in report.outcomes["hopeless"].reason
    assert LocalRawStore(tmp_path).failures()[0]["username"] == "hopeless"


def test_wrong_headers_stop_the_run(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        _run(FakeInstagram(budget=10), ["badheaders"], tmp_path)


def test_request_log_has_one_entry_per_request(tmp_path: Path) -> None:
    ig = FakeInstagram(budget=3)
    report = _run(ig, [f"u{i}" for i in range(10)], tmp_path, defaults.policy(concurrency=1))
    assert len(report.log) == 10 + sum(1 for e in report.log if e["outcome"] == "rate_limited")
    first = report.log[0]
    assert set(first) >= {"requested_at", "username", "egress_ip", "status", "latency_ms"}
    assert first["egress_ip"] == "209.29.168.1"


def test_errors_caused_by_a_reconnect_are_retried_without_backoff(tmp_path: Path) -> None:
    """A request in flight while the modem reconnects gets the proxy's 503; once the rotation
    is done its cause is gone, so it must not sit out a (here: 30 s) backoff."""

    class Reconnecting(FakeInstagram):
        async def rotate(self) -> Rotation:
            self.rotating = True
            self.reconnecting.set()
            await asyncio.sleep(0.2)
            self.rotating = False
            return await super().rotate()

        async def get_profile(self, username: str) -> Answer:
            if username == "slow" and not getattr(self, "slow_done", False):
                self.slow_done = True
                self.slow_in_flight.set()
                # Answered while the rotation runs: wait for it rather than for a fixed time,
                # which a loaded machine can stretch past the rotation's start (flaky).
                await self.reconnecting.wait()
                return Answer(503, b"modem reconnecting", 1.0)
            if username == "limited" and self.rotations == 0:
                # Only once "slow" is in flight: were the rate limit answered first, "slow"
                # would be sent after the rotation, and its 503 would rightly back off
                # (which of the two workers goes first varies: flaky under load).
                await self.slow_in_flight.wait()
                return Answer(401, WAIT, 1.0)
            return await super().get_profile(username)

    ig = Reconnecting(budget=100)
    policy = defaults.policy(concurrency=2, backoff_seconds=30.0, max_backoff_seconds=30.0)

    async def go():
        ig.reconnecting = asyncio.Event()
        ig.slow_in_flight = asyncio.Event()
        gate = RotationGate(ig.rotate, current_ip=ig.ip)
        return await asyncio.wait_for(
            fetch_profiles(
                ["slow", "limited"],
                scripted.bound(ig.get_profile),
                gate,
                LocalRawStore(tmp_path),
                policy,
            ),
            timeout=5,
        )

    report = asyncio.run(go())
    assert report.outcomes["slow"].outcome == "stored"
    assert report.outcomes["slow"].attempts == 2
