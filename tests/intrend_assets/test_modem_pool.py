"""Several egress routes in one fetch: each rotates its own modem, a dead or stuck one is
benched and its profiles move to the others, a lone one behaves as a single modem always has."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from intrend_assets.fetching.fetcher import Lane, fetch_through_routes
from intrend_assets.fetching.modem_client import ModemUnavailable, Rotation
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.fetching.routes import RouteHealth
from intrend_assets.instagram.client import Answer
from intrend_assets.raw_store.store import LocalRawStore
from tests import defaults, scripted

WAIT = b'{"message":"Please wait a few minutes before you try again.","require_login":true}'
FAST = defaults.policy(concurrency=4, backoff_seconds=0.001, max_backoff_seconds=0.01)
NAMES = [f"user{i:03d}" for i in range(120)]


class FakeRoute:
    """One modem and the Instagram its IPs see: ``budget`` lookups per IP, then refusals.
    ``down``: no egress (the proxy answers 503) and the modem service does not answer;
    ``stuck``: rotations keep the IP."""

    def __init__(self, name: str, budget: int = 10) -> None:
        self.name = name
        self.budget = budget
        self.ip = f"{name}.0"
        self.used: Counter[str] = Counter()
        self.rotations = 0
        self.down = False
        self.stuck = False

    async def rotate(self) -> Rotation:
        if self.down:
            raise ModemUnavailable("connection refused")
        self.rotations += 1
        if self.stuck:
            return Rotation(self.ip, self.ip, False, 1, 1)
        old, self.ip = self.ip, f"{self.name}.{self.rotations}"
        return Rotation(old, self.ip, True, 1, 1)

    async def current_ip(self) -> str | None:
        if self.down:
            raise ModemUnavailable("connection refused")
        return self.ip

    async def get_profile(self, username: str) -> Answer:
        await asyncio.sleep(0.001)
        if self.down:
            return Answer(503, b"no route to the internet", 1.0)
        self.used[self.ip] += 1
        if self.used[self.ip] > self.budget:
            return Answer(401, WAIT, 1.0)
        user = {"id": "1", "username": username, "is_private": False}
        return Answer(200, json.dumps({"data": {"user": user}, "status": "ok"}).encode(), 1.0)

    def lane(self, bench_seconds: float = 60.0) -> Lane:
        gate = RotationGate(self.rotate, current_ip=self.ip, backoff_seconds=0.001, max_attempts=3)
        health = RouteHealth(self.name, self.current_ip, bench_seconds)
        return Lane(self.name, scripted.bound(self.get_profile), gate, health)


def _fetch(
    routes: list[FakeRoute],
    tmp_path: Path,
    kill: tuple[FakeRoute, int] | None = None,
    policy: FetchPolicy = FAST,
) -> FetchReport:
    def progress(done: int, total: int, report: FetchReport) -> None:
        if kill is not None and done == kill[1]:
            kill[0].down = True

    async def go() -> FetchReport:
        lanes = [route.lane() for route in routes]
        store = LocalRawStore(tmp_path)
        return await fetch_through_routes(NAMES, lanes, store, policy, on_progress=progress)

    return asyncio.run(asyncio.wait_for(go(), 60))


def test_profiles_spread_over_the_routes_each_rotating_its_own_modem(tmp_path: Path) -> None:
    routes = [FakeRoute("a"), FakeRoute("b"), FakeRoute("c")]
    report = _fetch(routes, tmp_path)
    assert report.stored == len(NAMES)
    assert {o.route for o in report.outcomes.values()} == {"a", "b", "c"}
    for route in routes:
        assert route.rotations > 0  # each route spent its own IPs' budgets
        assert report.routes[route.name]["rotations"] == route.rotations
        assert max(route.used.values()) <= route.budget + 4  # no IP was hammered past it
    # Every request went out on its route's own IPs, and says so in the log.
    assert report.log and all(
        str(row["egress_ip"]).startswith(f"{row['route']}.") for row in report.log
    )
    assert sum(report.routes[r.name]["profiles"] for r in routes) == len(NAMES)


def test_a_route_whose_modem_dies_mid_run_hands_its_profiles_over(tmp_path: Path) -> None:
    """Without the bench, the dead route's profiles would spend their attempts on 503s and be
    recorded as failed: here none is lost, and the live route fetches the rest."""
    a, b = FakeRoute("a"), FakeRoute("b")
    report = _fetch([a, b], tmp_path, kill=(b, 30))
    assert report.stored == len(NAMES)
    assert report.count("gave_up") == 0
    assert LocalRawStore(tmp_path).failures() == []
    assert report.routes["b"]["benched"] == 1
    assert report.routes["a"]["benched"] == 0
    assert report.routes["a"]["profiles"] > report.routes["b"]["profiles"]


def test_a_stuck_route_is_benched_and_the_others_carry_on(tmp_path: Path) -> None:
    a, b = FakeRoute("a"), FakeRoute("b")
    b.stuck = True  # its rotations keep the limited IP
    report = _fetch([a, b], tmp_path)
    assert report.stored == len(NAMES)
    assert report.routes["b"]["benched"] >= 1
    assert report.routes["b"]["profiles"] <= b.budget  # what its one IP's budget let through


def test_a_lone_route_is_never_benched(tmp_path: Path) -> None:
    """With nowhere else to go, a dead modem's profiles fail with their reason, as they did
    with a single modem (the next run fetches them)."""
    a = FakeRoute("a")
    report = _fetch([a], tmp_path, kill=(a, 30))
    assert len(report.outcomes) == len(NAMES)
    assert report.routes["a"]["benched"] == 0
    assert report.count("gave_up") > 0
    assert report.stored >= 30
