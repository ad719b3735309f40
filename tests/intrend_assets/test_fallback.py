"""The fetch loop over several strategies: walls move a profile on, gone strategies drop out
once with one warning, a session is the last resort and never rotates the IP."""

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundProfileStrategy, BoundStrategies
from intrend_assets.instagram.client import Answer
from intrend_assets.instagram.errors import ConfigurationError
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted

WALL = b'{"message":"Please make sure you are logged in to see this profile.","status":"fail"}'
WAIT = b'{"message":"Please wait a few minutes before you try again.","require_login":true}'
GONE_HTML = b"<html><body>Page Not Found</body></html>"
FAST = defaults.policy(
    concurrency=4, backoff_seconds=0.001, max_backoff_seconds=0.01, session_pacing_seconds=0
)


def _ok(username: str) -> bytes:
    user = {"id": "7", "username": username, "is_private": False}
    return json.dumps({"data": {"user": user}, "status": "ok"}).encode()


class Door:
    """One scripted strategy: answers per username from a rule; counts what it was asked."""

    def __init__(self, name: str, rule) -> None:
        self.name = name
        self.rule = rule
        self.asked: Counter[str] = Counter()

    def bound(self) -> BoundProfileStrategy:
        async def fetch(username: str) -> Answer:
            self.asked[username] += 1
            await asyncio.sleep(0.001)
            status, body = self.rule(username)
            return Answer(status, body, 1.0)

        return scripted.profile(fetch, self.name)


class Modem:
    def __init__(self) -> None:
        self.rotations = 0

    async def rotate(self) -> Rotation:
        self.rotations += 1
        return Rotation("1.1.1.1", f"2.2.2.{self.rotations}", True, 1, 1)


def _run(
    strategies: BoundStrategies, names: list[str], root: Path, warnings: list[str] | None = None
):
    modem = Modem()

    async def go():
        gate = RotationGate(modem.rotate, current_ip="1.1.1.1", backoff_seconds=0.001)
        return await fetch_profiles(
            names,
            strategies,
            gate,
            LocalRawStore(root),
            FAST,
            on_warning=None if warnings is None else warnings.append,
        )

    return asyncio.run(go()), modem


def test_a_login_wall_moves_the_profile_to_the_next_strategy_and_is_remembered(
    tmp_path: Path,
) -> None:
    names = [f"user{i}" for i in range(20)]
    walled = set(names[::2])  # web_profile_info walls half the profiles
    first = Door("web_profile_info", lambda u: (400, WALL) if u in walled else (200, _ok(u)))
    second = Door("graphql_doc_id", lambda u: (200, _ok(u)))
    ways = BoundStrategies((first.bound(), second.bound()))

    report, modem = _run(ways, names, tmp_path)

    assert report.stored == 20 and report.failed == 0
    assert report.served() == {"web_profile_info": 10, "graphql_doc_id": 10}
    assert set(second.asked) == walled
    assert modem.rotations == 0  # a wall is not a rate limit: no rotation helps
    walls = [e for e in report.log if e["outcome"] == "login_wall"]
    assert {e["username"] for e in walls} == walled
    assert {e["endpoint"] for e in walls} == {"web_profile_info"}

    # The next run asks the walled profiles' open door first: no request spent on a wall.
    first.asked.clear()
    report, _ = _run(ways, names, tmp_path)
    assert report.stored == 20
    assert not set(first.asked) & walled
    assert LocalRawStore(tmp_path).read_walls(names[0]) == {"web_profile_info"}


def test_a_wall_that_lifts_is_forgotten(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    store.write_walls("anna", {"web_profile_info"})
    only = Door("web_profile_info", lambda u: (200, _ok(u)))
    report, _ = _run(BoundStrategies((only.bound(),)), ["anna"], tmp_path)
    assert report.stored == 1
    assert store.read_walls("anna") == frozenset()


def test_a_gone_strategy_is_dropped_for_the_run_with_one_warning(tmp_path: Path) -> None:
    names = [f"user{i}" for i in range(40)]
    gone = Door("web_profile_info", lambda u: (404, GONE_HTML))
    fallback = Door("embedded_page", lambda u: (200, _ok(u)))
    warnings: list[str] = []

    report, _ = _run(BoundStrategies((gone.bound(), fallback.bound())), names, tmp_path, warnings)

    assert report.stored == 40
    assert report.served() == {"embedded_page": 40}
    assert len(warnings) == 1 and "web_profile_info" in warnings[0]
    assert list(report.gone) == ["profile:web_profile_info"]
    # Only the requests already in flight when it was found gone reached it.
    assert sum(gone.asked.values()) <= FAST.concurrency


def test_every_strategy_gone_stops_the_run_with_a_configuration_error(tmp_path: Path) -> None:
    a = Door("web_profile_info", lambda u: (410, b""))
    b = Door("graphql_doc_id", lambda u: (200, b'{"data":null,"errors":[{"message":"nope"}]}'))
    with pytest.raises(ConfigurationError, match="every profile strategy is gone"):
        # Three gone answers in a row drop a strategy: three profiles find both gone.
        _run(BoundStrategies((a.bound(), b.bound())), ["anna", "bob", "carl"], tmp_path)


def test_walled_everywhere_without_a_session_is_recorded_with_its_reason(tmp_path: Path) -> None:
    a = Door("web_profile_info", lambda u: (400, WALL))
    b = Door("embedded_page", lambda u: (400, WALL))
    report, _ = _run(BoundStrategies((a.bound(), b.bound())), ["anna"], tmp_path)
    outcome = report.outcomes["anna"]
    assert outcome.outcome == "login_wall"
    assert "web_profile_info" in outcome.reason and "embedded_page" in outcome.reason
    failures = LocalRawStore(tmp_path).failures()
    assert [f["outcome"] for f in failures] == ["login_wall"]


def test_a_session_serves_walled_profiles_on_a_held_ip(tmp_path: Path) -> None:
    names = ["anna", "bob", "carl", "dora"]
    anonymous = Door("web_profile_info", lambda u: (400, WALL) if u != "dora" else (401, WAIT))
    limited_once: set[str] = set()

    def session_rule(username: str) -> tuple[int, bytes]:
        if username not in limited_once:  # the session is rate limited once per profile
            limited_once.add(username)
            return 429, WAIT
        return 200, _ok(username)

    session = Door("web_profile_info", session_rule)
    ways = BoundStrategies((anonymous.bound(),), (), (session.bound(),))

    report, modem = _run(ways, names, tmp_path)

    assert {n: o.outcome for n, o in report.outcomes.items()} == {
        "anna": "stored",
        "bob": "stored",
        "carl": "stored",
        "dora": "gave_up",  # rate limited anonymously, never walled: no session for it
    }
    assert report.served() == {"web_profile_info+session": 3}
    session_rows = [e for e in report.log if e["session"]]
    assert {e["status"] for e in session_rows} == {429, 200}
    # Every rotation came from dora's anonymous rate limits, none from the session's 429s.
    anonymous_limits = sum(1 for e in report.log if not e["session"] and e["status"] == 401)
    assert modem.rotations <= anonymous_limits
    assert "cookie" not in json.dumps([{k: str(v) for k, v in e.items()} for e in report.log])
    # Served through the session, the anonymous way is still walled for them: remembered.
    assert LocalRawStore(tmp_path).read_walls("anna") == {"web_profile_info"}


def test_a_rotation_waits_for_a_session_request_in_flight() -> None:
    events: list[str] = []

    async def rotate() -> Rotation:
        events.append("rotate")
        return Rotation("1.1.1.1", "2.2.2.2", True, 1, 1)

    async def go() -> None:
        gate = RotationGate(rotate, current_ip="1.1.1.1")

        async def session_request() -> None:
            async with gate.hold():
                events.append("session start")
                await asyncio.sleep(0.05)
                events.append("session end")

        async def limited_request() -> None:
            await asyncio.sleep(0.01)  # the session is in flight by now
            await gate.rotate(gate.generation)

        await asyncio.gather(session_request(), limited_request())
        assert not gate.held

    asyncio.run(go())
    assert events == ["session start", "session end", "rotate"]
