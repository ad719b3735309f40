"""What a rotation costs in refused requests (issue 15: requests per stored profile): an IP is
rotated once it has served the budget learnt from earlier refusals, the first lookup on an IP
goes alone, a strategy back from its bench is re-benched where others answer. Every fake
here is in-process, on the virtual clock of ``test_field``."""

import asyncio
from collections import Counter
from dataclasses import replace
from pathlib import Path

from intrend_assets.fetching.budget import EXPLORE_EVERY, IpBudget
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.http import Answer
from intrend_assets.instagram.strategies import PROFILE_STRATEGIES
from intrend_assets.settings import IntrendSettings
from tests import scripted
from tests.intrend_assets.test_field import (
    FAST,
    WAIT,
    Clock,
    CooldownModem,
    FreshModem,
    PerIpLimit,
    _ok,
    _run,
)


class GrowingBudget(PerIpLimit):
    """Per-IP budgets that differ: ``first`` for the first ``switch_after`` IPs, then more."""

    def __init__(self, modem: CooldownModem, first: int, then: int, switch_after: int) -> None:
        super().__init__(modem, first)
        self.first = first
        self.then = then
        self.switch_after = switch_after

    async def get_profile(self, username: str) -> Answer:
        self.budget = self.then if self.modem.steps >= self.switch_after else self.first
        return await super().get_profile(username)


class ThrottledThenWorking:
    """Two strategies: "first" answers "Please wait" to every IP, "second" works. Counts the
    first's lookups, and the most of them in flight at once after "second" served one (once
    "first" was benched)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.asked = self.in_flight = self.peak = self.served = 0

    async def throttled(self, username: str) -> Answer:
        self.asked += 1
        self.in_flight += 1
        if self.served:
            self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(self.delay)
        self.in_flight -= 1
        return Answer(401, WAIT, 1.0)

    async def working(self, username: str) -> Answer:
        self.served += 1
        await asyncio.sleep(self.delay)
        return Answer(200, _ok(username), 1.0)

    def strategies(self) -> BoundStrategies:
        return BoundStrategies(
            (scripted.profile(self.throttled, "first"), scripted.profile(self.working, "second"))
        )


def test_an_ip_is_rotated_once_it_has_served_the_budget_learnt(tmp_path: Path) -> None:
    """Eight workers on a per-IP budget: without learning, each rotation follows up to eight
    refused lookups. Once one IP ran out, the others are rotated at that count; only the
    exploring IPs (every fourth) go on, one lookup at a time, to a single refusal."""
    clock = Clock()
    modem = CooldownModem(clock, 0.0, says_how_long=True)
    instagram = PerIpLimit(modem, 20)
    names = [f"user{i}" for i in range(400)]
    report = _run(scripted.bound(instagram.get_profile), names, tmp_path, modem, clock)
    assert report.stored == 400
    assert report.rotations == 400 // 20 - 1  # the minimum the budget allows
    refused = sum(instagram.refused.values())
    exploring = (report.rotations + EXPLORE_EVERY - 1) // EXPLORE_EVERY  # the first included
    assert refused <= FAST.concurrency + exploring, instagram.refused
    served = Counter({ip: min(n, 20) for ip, n in instagram.used.items()})
    assert set(served.values()) == {20}  # no IP rotated before it had served its budget


def test_the_learnt_budget_grows_when_an_exploring_ip_serves_more(tmp_path: Path) -> None:
    """IPs with more budget than the first ones: an exploring IP finds it, and the IPs after
    it are no longer cut at the first ones' count."""
    clock = Clock()
    modem = CooldownModem(clock, 0.0, says_how_long=True)
    instagram = GrowingBudget(modem, 20, 30, switch_after=EXPLORE_EVERY)
    names = [f"user{i}" for i in range(20 * EXPLORE_EVERY + 30 * 4)]
    report = _run(scripted.bound(instagram.get_profile), names, tmp_path, modem, clock)
    assert report.stored == len(names)
    ips = [f"10.0.0.{n + 1}" for n in range(EXPLORE_EVERY + 4)]
    granted = [instagram.used[ip] - instagram.refused[ip] for ip in ips]
    assert granted[:EXPLORE_EVERY] == [20] * EXPLORE_EVERY
    assert granted[EXPLORE_EVERY:] == [30] * 4, granted


def test_the_first_lookup_on_an_ip_goes_alone(tmp_path: Path) -> None:
    """A strategy throttled for everyone costs one refused lookup per IP until it is
    benched, not one per worker (and none from the workers that waited meanwhile)."""
    fake = ThrottledThenWorking()
    names = [f"user{i}" for i in range(40)]
    report = _run(fake.strategies(), names, tmp_path, FreshModem(), Clock())
    assert report.stored == 40
    assert report.benched == {"profile:first": 1}
    # On the first IP every worker may ask at once; on each IP after it, one lookup.
    assert fake.asked <= FAST.concurrency + report.rotations


def test_a_strategy_back_from_its_bench_is_benched_again_where_others_answer(
    tmp_path: Path,
) -> None:
    """After its bench, a strategy refused on an IP where another strategy is answering is
    still throttled: benched again at once, not judged on two more fresh IPs (two rotations
    each time its bench ends)."""
    policy = replace(FAST, concurrency=1, bench_seconds=0.0)  # every bench ends at once
    names = [f"user{i}" for i in range(10)]
    report = _run(
        ThrottledThenWorking().strategies(), names, tmp_path, FreshModem(), Clock(), policy
    )
    assert report.stored == 10
    assert report.rotations == 2  # the first verdict's two fresh IPs, and no more
    assert report.benched["profile:first"] >= 9  # once per profile after the first


def test_an_ip_is_not_rotated_early_without_rotation() -> None:
    """With rotation off (the experiments' baseline) an IP at the learnt budget is not
    rotated: lookups go on one at a time."""

    async def go() -> tuple[int, int]:
        rotated: list[int] = []

        async def rotate():
            rotated.append(1)
            raise AssertionError("no rotation without rotate")

        gate = RotationGate(rotate, current_ip="10.0.0.1")
        gate.generation = 1  # not an exploring IP
        budget = IpBudget(gate)
        budget.learned = 10
        for _ in range(10):
            generation = await budget.admit(rotate=False)
            budget.sent(generation)
            budget.done(generation, "web_profile_info", True)
        generation = await budget.admit(rotate=False)
        return generation, len(rotated)

    assert asyncio.run(go()) == (1, 0)


def test_the_default_order_puts_strategies_carrying_posts_first() -> None:
    """A profile a fallback serves costs one request when its answer carries the posts,
    two with graphql_doc_id (its first timeline page): the default order tries those first."""
    carries = [PROFILE_STRATEGIES[n].carries_posts for n in IntrendSettings().profile_strategies]
    assert carries == sorted(carries, reverse=True)


def test_a_strategy_back_from_its_bench_is_tried_by_one_lookup_at_a_time(
    tmp_path: Path,
) -> None:
    """Its trial: were every worker to try it at once, each would be refused."""
    fake = ThrottledThenWorking(delay=0.001)
    policy = replace(FAST, bench_seconds=0.0)  # every bench ends at once
    names = [f"user{i}" for i in range(40)]
    report = _run(fake.strategies(), names, tmp_path, FreshModem(), Clock(), policy)
    assert report.stored == 40
    assert report.rotations == 2
    assert fake.peak == 1
