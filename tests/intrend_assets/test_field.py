"""The fetch loop against what the field does and the friendly sandbox does not: a modem
with a cooldown, a strategy throttled for every IP, odd 4xx answers for one profile, GraphQL's
own rate limit (issue 15). Every fake here is in-process and runs on a virtual clock."""

import asyncio
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import Rotation
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.http import Answer
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted

WAIT = b'{"message":"Please wait a few minutes before you try again.","require_login":true}'
FAST = defaults.policy(
    concurrency=8, backoff_seconds=0.001, max_backoff_seconds=0.01, burst_pause_seconds=0.01
)


def _ok(username: str) -> bytes:
    user = {"id": "7", "username": username, "is_private": False}
    return json.dumps({"data": {"user": user}, "status": "ok"}).encode()


class Clock:
    """Virtual seconds: the gate's sleeps advance it, so a 60 s cooldown costs no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class CooldownModem:
    """The modem service's Rotator: within ``cooldown`` after a rotation it answers the last
    result again, ``coalesced: true`` (optionally saying how long is left)."""

    def __init__(self, clock: Clock, cooldown: float, *, says_how_long: bool) -> None:
        self.clock = clock
        self.cooldown = cooldown
        self.says_how_long = says_how_long
        self.ip = "10.0.0.1"
        self.steps = 0  # real rotations
        self.asked = 0
        self._last: Rotation | None = None
        self._at = float("-inf")

    async def rotate(self) -> Rotation:
        self.asked += 1
        left = self.cooldown - (self.clock.now - self._at)
        if self._last is not None and left > 0:
            retry = left if self.says_how_long else None
            return Rotation(
                self._last.old_ip, self._last.new_ip, True, 0, 0, True, retry_after_seconds=retry
            )
        self.steps += 1
        old, self.ip = self.ip, f"10.0.0.{self.steps + 1}"
        self._last, self._at = Rotation(old, self.ip, True, 5, 1), self.clock.now
        return self._last


class PerIpLimit:
    """web_profile_info with a per-IP budget; counts every answer per IP."""

    def __init__(self, modem: CooldownModem, budget: int) -> None:
        self.modem = modem
        self.budget = budget
        self.used: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    async def get_profile(self, username: str) -> Answer:
        await asyncio.sleep(0)
        ip = self.modem.ip
        self.used[ip] += 1
        if self.used[ip] > self.budget:
            self.refused[ip] += 1
            return Answer(401, WAIT, 1.0)
        return Answer(200, _ok(username), 1.0)


def _run(
    strategies: BoundStrategies, names: list[str], root: Path, modem, clock: Clock, policy=FAST
) -> FetchReport:
    async def go() -> FetchReport:
        gate = RotationGate(modem.rotate, current_ip=modem.ip, sleep=clock.sleep, clock=clock.time)
        return await fetch_profiles(names, strategies, gate, LocalRawStore(root), policy)

    return asyncio.run(go())


@pytest.mark.parametrize("says_how_long", [True, False])
def test_a_modem_in_cooldown_is_waited_out_not_hammered(
    tmp_path: Path, says_how_long: bool
) -> None:
    clock = Clock()
    modem = CooldownModem(clock, cooldown=60.0, says_how_long=says_how_long)
    instagram = PerIpLimit(modem, budget=20)
    names = [f"user{i}" for i in range(115)]
    report = _run(scripted.bound(instagram.get_profile), names, tmp_path, modem, clock)
    assert report.count("gave_up") == 0, Counter(o.reason for o in report.outcomes.values())
    assert report.stored == 115
    # One client rotation per modem step, not one per coalesced answer.
    assert report.rotations <= modem.steps + 1
    # No IP is asked again once limited: at most the requests in flight when it was.
    # (and the one probe sent after a burst pause, which found the IP used up)
    assert max(instagram.refused.values()) <= FAST.concurrency + 1
    if says_how_long:  # it waited what the service said, not a guess
        assert any(abs(s - 60.0) < 1 for s in clock.slept)


@pytest.mark.parametrize(
    ("extra", "retry"),
    [
        ({"retry_after_seconds": 42.5}, 42.5),
        ({"cooldown_remaining_seconds": 12}, 12.0),
        ({"retry_after_seconds": None, "cooldown_remaining_seconds": 12}, 12.0),
        ({}, None),
        ({"retry_after_seconds": "soon"}, None),
    ],
)
def test_the_modem_client_reads_coalesced_answers(extra: dict, retry: float | None) -> None:
    import httpx

    from intrend_assets.fetching.modem_client import ModemClient

    answer = {"old_ip": "a", "new_ip": "b", "changed": True, "coalesced": True, **extra}

    async def go() -> Rotation:
        client = ModemClient("http://modem.test", None)
        await client.aclose()
        client._http = httpx.AsyncClient(
            base_url="http://modem.test",
            transport=httpx.MockTransport(lambda _: httpx.Response(200, json=answer)),
        )
        try:
            return await client.rotate()
        finally:
            await client.aclose()

    rotation = asyncio.run(go())
    assert rotation.coalesced and rotation.retry_after_seconds == retry


class FreshModem:
    """A modem without cooldown: every rotation gives a new IP."""

    def __init__(self) -> None:
        self.ip = "10.1.0.1"
        self.steps = 0

    async def rotate(self) -> Rotation:
        self.steps += 1
        old, self.ip = self.ip, f"10.1.0.{self.steps + 1}"
        return Rotation(old, self.ip, True, 5, 1)


def test_a_strategy_throttled_for_everyone_is_benched_and_profiles_move_on(
    tmp_path: Path,
) -> None:
    """One strategy answers "Please wait" whatever the IP; the next one works."""
    clock, modem = Clock(), FreshModem()
    asked: Counter[str] = Counter()

    async def throttled(username: str) -> Answer:
        asked["throttled"] += 1
        await asyncio.sleep(0)
        return Answer(401, WAIT, 1.0)

    async def working(username: str) -> Answer:
        asked["working"] += 1
        await asyncio.sleep(0)
        return Answer(200, _ok(username), 1.0)

    strategies = BoundStrategies(
        (scripted.profile(throttled, "first"), scripted.profile(working, "second"))
    )
    names = [f"user{i}" for i in range(20)]
    report = _run(strategies, names, tmp_path, modem, clock)
    assert report.stored == 20, Counter(o.reason for o in report.outcomes.values())
    assert report.served() == {"second": 20}
    assert report.rotations <= 2  # the IP was never the problem
    assert asked["throttled"] <= 3 * FAST.concurrency
    assert report.benched == {"profile:first": 1}


def test_a_bench_ends_and_the_strategy_is_judged_afresh() -> None:
    from intrend_assets.fetching.throttle import Throttles

    now = [0.0]
    throttles = Throttles(900.0, clock=lambda: now[0])
    assert not throttles.answered("profile:a", 0, False, True)  # the run's first IP: not fresh
    assert not throttles.answered("profile:a", 1, True, True)
    assert throttles.answered("profile:a", 2, True, True)
    throttles.bench("profile:a")
    assert throttles.is_benched("profile:a")
    now[0] = 901.0
    assert not throttles.is_benched("profile:a")
    assert not throttles.answered("profile:a", 3, True, True)  # one strike after the bench
    # A per-IP limit lets a fresh IP's first request through: never a strike.
    assert not throttles.answered("profile:b", 1, True, False)
    assert not throttles.answered("profile:b", 1, True, True)
    assert not throttles.answered("profile:b", 2, True, False)


DELETED_ASSET = (
    b'{"message":"Asset 1234567 of type ig_business_category_subvertical has been deleted",'
    b'"status":"fail"}'
)
FEEDBACK = b'{"message":"feedback_required","spam":true,"status":"fail"}'


@pytest.mark.parametrize(
    ("status", "body"),
    [(400, DELETED_ASSET), (403, b'{"message":"","status":"fail"}'), (400, FEEDBACK)],
)
def test_an_odd_4xx_for_one_profile_moves_it_to_the_next_strategy(
    tmp_path: Path, status: int, body: bytes
) -> None:
    clock, modem = Clock(), FreshModem()
    asked: Counter[str] = Counter()

    async def odd(username: str) -> Answer:
        asked[username] += 1
        if username == "shop":
            return Answer(status, body, 1.0)
        return Answer(200, _ok(username), 1.0)

    async def fallback(username: str) -> Answer:
        return Answer(200, _ok(username), 1.0)

    strategies = BoundStrategies(
        (scripted.profile(odd, "first"), scripted.profile(fallback, "second"))
    )
    report = _run(strategies, ["anna", "shop"], tmp_path, modem, clock)
    assert report.outcomes["shop"].outcome == "stored"
    assert report.outcomes["shop"].strategy == "second"
    assert asked["shop"] == 1  # not retried as if it were transient
    assert report.rotations == 0 and not report.gone and not report.benched


def test_a_profile_every_strategy_refuses_is_recorded_with_each_reason(tmp_path: Path) -> None:
    clock, modem = Clock(), FreshModem()

    async def deleted_asset(username: str) -> Answer:
        return Answer(400, DELETED_ASSET, 1.0)

    async def forbidden(username: str) -> Answer:
        return Answer(403, b"Forbidden", 1.0)

    strategies = BoundStrategies(
        (scripted.profile(deleted_asset, "first"), scripted.profile(forbidden, "second"))
    )
    root = tmp_path / "raw"
    report = _run(strategies, ["shop"], root, modem, clock)
    outcome = report.outcomes["shop"]
    assert outcome.outcome == "refused"
    assert "first: HTTP 400" in outcome.reason and "deleted" in outcome.reason
    assert "second: HTTP 403" in outcome.reason
    assert len(report.log) == 2
    [failure] = LocalRawStore(root).failures()
    assert failure["outcome"] == "refused" and failure["reason"] == outcome.reason


GRAPHQL_LIMIT = b'{"errors":[{"message":"Rate limit exceeded","code":1675004}],"data":null}'
EXECUTION_ERROR = b'{"data":null,"errors":[{"message":"execution error","severity":"CRITICAL"}]}'


@pytest.mark.parametrize("status", [200, 429])
def test_graphqls_own_rate_limit_rotates(status: int) -> None:
    from intrend_assets.instagram.errors import RateLimited
    from intrend_assets.instagram.strategies import PROFILE_STRATEGIES, TIMELINE_STRATEGIES

    for strategy in (PROFILE_STRATEGIES["graphql_doc_id"], TIMELINE_STRATEGIES["graphql_doc_id"]):
        with pytest.raises(RateLimited):
            strategy.classify(Answer(status, GRAPHQL_LIMIT, 1.0))


def test_a_graphql_execution_error_is_transient() -> None:
    from intrend_assets.instagram.errors import UpstreamError
    from intrend_assets.instagram.strategies import PROFILE_STRATEGIES

    with pytest.raises(UpstreamError):
        PROFILE_STRATEGIES["graphql_doc_id"].classify(Answer(200, EXECUTION_ERROR, 1.0))


def test_one_gone_answer_does_not_drop_a_strategy(tmp_path: Path) -> None:
    """An intermittent odd answer moves one profile on; only gone answers in a row drop."""
    clock, modem = Clock(), FreshModem()
    answers: Counter[str] = Counter()

    async def flaky(username: str) -> Answer:
        answers["flaky"] += 1
        if answers["flaky"] == 2:  # one stale-looking answer among good ones
            return Answer(200, b'{"data":null,"errors":[{"message":"PersistedQueryNotFound"}]}', 1)
        return Answer(200, _ok(username), 1.0)

    async def fallback(username: str) -> Answer:
        return Answer(200, _ok(username), 1.0)

    strategies = BoundStrategies(
        (scripted.profile(flaky, "first"), scripted.profile(fallback, "second"))
    )
    names = [f"user{i}" for i in range(30)]
    report = _run(strategies, names, tmp_path, modem, clock, defaults.policy(concurrency=1))
    assert report.stored == 30
    assert not report.gone
    assert report.served() == {"first": 29, "second": 1}


def test_a_session_stint_keeps_one_ip_while_anonymous_requests_are_limited(
    tmp_path: Path,
) -> None:
    """Walled profiles go through the session (limited once each, so each takes two requests
    with a pause between) while anonymous profiles keep hitting rate limits: no rotation
    happens while a profile's session requests are under way, so each profile's requests
    leave from one IP; the rotations the anonymous limits ask for wait for the stint."""
    clock, modem = Clock(), FreshModem()
    walled = [f"walled{i}" for i in range(3)]
    limited = [f"limited{i}" for i in range(6)]
    wall = b'{"message":"Please make sure you are logged in to see this profile.","status":"fail"}'
    in_session: set[str] = set()  # profiles whose session requests have begun, not ended
    rotated_mid_stint: list[set[str]] = []

    async def rotate() -> Rotation:
        if in_session:
            rotated_mid_stint.append(set(in_session))
        return await modem.rotate()

    async def anonymous(username: str) -> Answer:
        await asyncio.sleep(0.001)
        if username.startswith("walled"):
            return Answer(400, wall, 1.0)
        return Answer(401, WAIT, 1.0)  # this IP, any IP: limited

    async def session(username: str) -> Answer:
        await asyncio.sleep(0.002)
        if username not in in_session:  # limited once per profile: the retry waits a little
            in_session.add(username)
            return Answer(429, WAIT, 1.0)
        in_session.discard(username)
        return Answer(200, _ok(username), 1.0)

    strategies = BoundStrategies((scripted.profile(anonymous),), (), (scripted.profile(session),))
    policy = defaults.policy(
        concurrency=6, backoff_seconds=0.005, max_backoff_seconds=0.01, session_pacing_seconds=0
    )
    names = [n for pair in zip(walled, limited[:3], strict=True) for n in pair] + limited[3:]

    async def go() -> FetchReport:
        gate = RotationGate(rotate, current_ip=modem.ip, sleep=clock.sleep, clock=clock.time)
        return await fetch_profiles(names, strategies, gate, LocalRawStore(tmp_path), policy)

    report = asyncio.run(go())
    assert [report.outcomes[n].outcome for n in walled] == ["stored"] * 3
    assert report.rotations >= 1  # the limits did rotate, between stints
    assert rotated_mid_stint == []
    for name in walled:
        ips = {e["egress_ip"] for e in report.log if e["session"] and e["username"] == name}
        assert len(ips) == 1, (name, ips)


class BurstLimit(PerIpLimit):
    """PerIpLimit plus a burst rule: more than ``burst`` lookups from one IP within
    ``window`` real seconds are refused (and remembered, as Instagram's are)."""

    def __init__(self, modem: CooldownModem, budget: int, burst: int, window: float) -> None:
        super().__init__(modem, budget)
        self.burst, self.window = burst, window
        self.arrivals: dict[str, list[float]] = {}

    async def get_profile(self, username: str) -> Answer:
        await asyncio.sleep(0.001)
        now = asyncio.get_running_loop().time()
        ip = self.modem.ip
        recent = [t for t in self.arrivals.get(ip, []) if t > now - self.window] + [now]
        self.arrivals[ip] = recent
        if len(recent) > self.burst:
            self.used[ip] += 1
            self.refused[ip] += 1
            return Answer(401, WAIT, 1.0)
        return await super().get_profile(username)


def test_a_burst_limit_is_paused_for_not_rotated_away(tmp_path: Path) -> None:
    clock = Clock()
    modem = CooldownModem(clock, cooldown=60.0, says_how_long=True)
    instagram = BurstLimit(modem, budget=40, burst=6, window=0.05)
    names = [f"user{i}" for i in range(200)]
    policy = replace(FAST, burst_pause_seconds=0.06)
    report = _run(scripted.bound(instagram.get_profile), names, tmp_path, modem, clock, policy)
    assert report.stored == 200
    # The budget allows 200 / 40 - 1 = 4 rotations; rotating at each burst would take ~33.
    assert report.rotations <= 8, report.rotations


class CostlyFreshModem(FreshModem):
    """No cooldown, but each rotation takes ``seconds`` of the virtual clock (a reconnect)."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds

    async def rotate(self) -> Rotation:
        self.clock.now += self.seconds
        return await super().rotate()


@pytest.mark.parametrize("rotation_seconds", [0.0, 0.04])
def test_a_burst_limit_is_paced_even_when_rotations_are_cheaper_than_a_pause(
    tmp_path: Path, rotation_seconds: float
) -> None:
    """Rotating an IP that still has budget wastes it: once two IPs in a row were limited
    after a few lookups (or rotations have cost a pause in all), the fetcher pauses once,
    learns the burst, and paces instead of rotating."""
    clock = Clock()
    modem = CostlyFreshModem(clock, rotation_seconds)  # a rotation costs less than the pause
    instagram = BurstLimit(modem, budget=40, burst=6, window=0.05)  # type: ignore[arg-type]
    names = [f"user{i}" for i in range(240)]
    policy = replace(FAST, burst_pause_seconds=0.06)
    report = _run(scripted.bound(instagram.get_profile), names, tmp_path, modem, clock, policy)
    assert report.stored == 240
    # The budget allows 240 / 40 - 1 = 5 rotations; rotating at each burst takes ~40. The
    # learnt budget explores past it on every fourth IP and the burst window is short real
    # time, so a loaded machine sees a rotation or two more (9 seen); pacing stays far below 40.
    assert report.rotations <= 10, report.rotations


def test_the_next_fetch_of_a_profile_starts_with_the_strategy_that_served_it(
    tmp_path: Path,
) -> None:
    """An odd 4xx costs one extra request the first time only: the store remembers which
    strategy served the profile and tries it first; when it refuses, the others follow in order."""
    clock, modem = Clock(), FreshModem()
    asked: Counter[tuple[str, str]] = Counter()
    second_works, shop_odd = True, True

    async def odd(username: str) -> Answer:
        asked["first", username] += 1
        if username == "shop" and shop_odd:
            return Answer(400, DELETED_ASSET, 1.0)
        return Answer(200, _ok(username), 1.0)

    async def fallback(username: str) -> Answer:
        asked["second", username] += 1
        if not second_works:
            return Answer(400, DELETED_ASSET, 1.0)
        return Answer(200, _ok(username), 1.0)

    strategies = BoundStrategies(
        (scripted.profile(odd, "first"), scripted.profile(fallback, "second"))
    )
    first = _run(strategies, ["anna", "shop"], tmp_path, modem, clock)
    assert len(first.log) == 3  # anna 1, shop 2 (the 400, then the next strategy)
    assert LocalRawStore(tmp_path).read_served("shop") == "second"
    assert LocalRawStore(tmp_path).read_served("anna") is None  # the usual order serves it
    asked.clear()
    again = _run(strategies, ["anna", "shop"], tmp_path, modem, clock)
    assert len(again.log) == 2
    assert asked == Counter({("first", "anna"): 1, ("second", "shop"): 1})
    assert again.outcomes["shop"].strategy == "second"
    second_works, shop_odd = False, False  # the remembered one refuses, the first serves
    third = _run(strategies, ["shop"], tmp_path, modem, clock)
    assert third.outcomes["shop"].strategy == "first"
    assert LocalRawStore(tmp_path).read_served("shop") is None


def test_an_odd_4xx_skips_the_strategies_on_the_same_endpoint(tmp_path: Path) -> None:
    """The odd 400 is the endpoint's answer for that profile (a deleted asset in its data),
    whatever app id asks: another strategy on the same endpoint would only repeat it."""
    from intrend_assets.instagram.bound import BoundProfileStrategy

    clock, modem = Clock(), FreshModem()
    asked: Counter[tuple[str, str]] = Counter()

    def answering(label: str, odd_for: str | None):
        async def fetch(username: str) -> Answer:
            asked[label, username] += 1
            if username == odd_for:
                return Answer(400, DELETED_ASSET, 1.0)
            return Answer(200, _ok(username), 1.0)

        return fetch

    twin = scripted.profile(answering("twin", "shop"), "twin")
    strategies = BoundStrategies(
        (
            scripted.profile(answering("first", "shop"), "first"),
            BoundProfileStrategy(replace(twin.strategy, endpoint="first"), twin.fetch),
            scripted.profile(answering("other", None), "other"),
        )
    )
    report = _run(strategies, ["anna", "shop"], tmp_path, modem, clock)
    assert report.outcomes["shop"].strategy == "other"
    assert asked["twin", "shop"] == 0
    assert len(report.log) == 3
