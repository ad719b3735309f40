"""The sandbox's fault switches: settable at runtime, bounded, and off after a reset."""

from __future__ import annotations

import json

import httpx
import pytest

from sandbox.faults import DRIFT_KINDS, MAX_FAULT_SECONDS, SandboxFaults, apply_drift
from sandbox.world import SandboxConfig, start_sandbox


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_counted_switches_are_spent_and_lapse() -> None:
    clock = Clock()
    faults = SandboxFaults(clock)
    faults.set(status_5xx=2, bad_json=1)
    assert [faults.status() for _ in range(3)][2] is None
    assert faults.take("bad_json") and not faults.take("bad_json")
    faults.set(truncate=5)
    clock.now += MAX_FAULT_SECONDS + 1
    assert not faults.take("truncate")  # nothing outlives the bound


def test_timed_switches_end_by_themselves_and_reset_clears_all() -> None:
    clock = Clock()
    faults = SandboxFaults(clock)
    faults.set(refuse_proxy_seconds=2, drift_seconds=10_000, private=["a"], deleted=["b"])
    assert faults.refusing("proxy") and faults.profile_override("B") == "deleted"
    clock.now = 3
    assert not faults.refusing("proxy")
    assert faults.active("drift")
    clock.now = MAX_FAULT_SECONDS + 1
    assert not faults.active("drift") and faults.profile_override("a") is None
    faults.set(slow=3)
    faults.reset()
    assert not faults.take("slow")
    with pytest.raises(ValueError):
        faults.set(no_such_switch=1)


NODE = {
    "id": "9",
    "edge_liked_by": {"count": 2},
    "edge_media_to_caption": {"edges": [{"node": {"text": "#a"}}]},
    "owner": {"id": "1"},
    "taken_at_timestamp": 1,
    "location": {"id": "5", "name": "x"},
}


@pytest.mark.parametrize("kind", DRIFT_KINDS)
def test_every_drift_keeps_the_original_and_stays_json(kind: str) -> None:
    body = {
        "data": {
            "user": {
                "id": "1",
                "edge_followed_by": {"count": 3},
                "edge_owner_to_timeline_media": {
                    "count": 1,
                    "edges": [{"node": NODE}],
                },
            }
        }
    }
    before = json.dumps(body)
    drifted = apply_drift(kind, body)
    assert json.dumps(body) == before
    assert drifted != body
    json.dumps(drifted)


def test_the_admin_endpoint_sets_reads_and_resets_the_switches() -> None:
    with start_sandbox(SandboxConfig(profiles=5, seed=1)) as world:
        base = world.instagram_url
        name = world.public_usernames()[0]
        set_ = httpx.post(f"{base}/_sandbox/faults", json={"status_5xx": 1, "bad_utf8": 1})
        assert set_.status_code == 200 and set_.json()["status_5xx"] == 1
        assert httpx.post(f"{base}/_sandbox/faults", json={"bogus": 1}).status_code == 400
        assert httpx.post(f"{base}/_sandbox/faults", json=[1]).status_code == 400
        url = f"{base}/api/v1/users/web_profile_info/"
        first = httpx.get(url, params={"username": name})
        second = httpx.get(url, params={"username": name})
        third = httpx.get(url, params={"username": name})
        assert first.status_code >= 500
        assert second.status_code == 200
        with pytest.raises(UnicodeDecodeError):
            second.content.decode("utf-8")
        assert third.status_code == 200 and third.json()["data"]["user"]["username"] == name
        assert httpx.get(f"{base}/_sandbox/faults").json()["used"]["status_5xx"] == 1
        reset = httpx.delete(f"{base}/_sandbox/faults").json()
        assert reset["used"]["status_5xx"] == 0


def test_the_proxy_refuses_and_truncates_when_told() -> None:
    with start_sandbox(SandboxConfig(profiles=5, seed=1)) as world:
        url = f"{world.instagram_url}/api/v1/users/web_profile_info/"
        params = {"username": world.public_usernames()[0]}
        with httpx.Client(proxy=world.proxy_url, trust_env=False) as client:
            world.faults.set(truncate=1)
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(url, params=params)
            assert client.get(url, params=params).status_code == 200
        world.faults.set(refuse_proxy_seconds=5)
        with (
            httpx.Client(proxy=world.proxy_url, trust_env=False) as client,
            pytest.raises(httpx.TransportError),
        ):
            client.get(url, params=params)
        world.reset_faults()
        with httpx.Client(proxy=world.proxy_url, trust_env=False) as client:
            assert client.get(url, params=params).status_code == 200
