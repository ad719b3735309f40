"""A pool of modems on the sandbox (issue 20): profiles per sandbox-hour with 1, 2 and 4 routes.

Every route is a simulated modem with its own proxy host, modem service and carrier blocks;
the fake Instagram limits each public IP to the same budget (``--budget`` lookups per window)
and a rotation takes ``--rotation-seconds`` (3) sandbox seconds. The fetch is production's:
the settings name the routes (``INTREND_ROUTES``), ``build_resources`` makes the modem pool,
and ``fetch_through_routes`` spreads the profiles over one lane per route, each with its own
rotation gate, burst pacing and learnt IP budget.

Each route gets the same work (``--profiles-per-route``: N routes fetch N times as many
profiles), so a run's fixed costs (learning the IP budget, the first burst pause, the tail
when the last profiles finish) weigh the same whatever the number of routes. Prints, per
number of routes, the median over ``--repetitions`` of profiles per sandbox-hour and its
ratio to one route (goal: at least 0.8 x routes), and a run with two routes whose second
modem is unplugged a third of the way in (goal: 0 profiles lost; the profiles of the dead
route move to the other).

The configurations alternate within each repetition, and each sandbox runs in its own
process (``python -m sandbox``): in one process the fetcher and the servers would share one
interpreter lock, and the figures would measure that rather than the modems.

Run:  .venv/bin/python benchmarks/modem_pool.py            (about 7 minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from intrend_assets.defs.resources import build_resources
from intrend_assets.fetching.fetcher import fetch_through_routes
from intrend_assets.fetching.lanes import open_lanes
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.routes import bench_seconds, egress_routes
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.process import sandbox_process

GOAL = 0.8  # profiles per sandbox-hour with N routes >= GOAL x N x one route's


@dataclass
class PoolRun:
    routes: int
    stored: int
    lost: int
    sandbox_seconds: float
    report: FetchReport

    @property
    def per_hour(self) -> float:
        return self.stored / self.sandbox_seconds * 3600 if self.sandbox_seconds else 0.0


def pool_settings(info: dict[str, Any], data_dir: Path, **overrides: Any) -> IntrendSettings:
    """The code location's settings on a sandbox of ``info`` (its JSON line), routes and all."""
    return IntrendSettings(
        data_dir=data_dir,
        instagram_base_url=info["instagram_url"],
        proxy_url=info["proxy_url"],
        modem_url=info["modem_url"],
        modem_token=info["modem_token"],
        routes=info.get("routes", "[]"),
        first_fetch_days=0,  # profile lookups only: the budget measured is the lookups'
        **overrides,
    )


async def fetch_pool(
    settings: IntrendSettings,
    names: list[str],
    kill: tuple[str, int] | None = None,
    unplug: Any = None,
    clock: Any = None,
) -> tuple[FetchReport, float]:
    """Fetch ``names`` through every route of ``settings``: the report and the sandbox
    seconds the fetch took (by ``clock()``, once the lanes are open; 0 without). With
    ``kill`` (route, after how many profiles), ``unplug(route)`` is called once that many
    are done."""
    resources = build_resources(settings)
    instagram, modem = resources["instagram"], resources["modem"]
    store = LocalRawStore(settings.resolved_raw_dir())
    killed = False

    def progress(done: int, total: int, report: FetchReport) -> None:
        nonlocal killed
        if kill is not None and not killed and done >= kill[1]:
            killed = True
            unplug(kill[0])

    routes = egress_routes(modem)  # type: ignore[arg-type]
    async with open_lanes(instagram, routes, bench_seconds(modem)) as lanes:  # type: ignore[arg-type]
        started = clock() if clock else 0.0
        policy = instagram.policy  # type: ignore[attr-defined]
        report = await fetch_through_routes(names, lanes, store, policy, on_progress=progress)
        return report, (clock() - started if clock else 0.0)


def _sandbox(args: argparse.Namespace, routes: int, profiles: int):
    return sandbox_process(
        f"--routes={routes}",
        f"--profiles={profiles + 20}",
        "--seed=5",
        f"--budget={args.budget}",
        "--window-seconds=600",
        f"--speed={args.speed}",
        f"--rotation-seconds={args.rotation_seconds}",
        "--private-share=0.0",
        "--burst-limit=0",
        f"--duration={args.max_seconds}",
    )


def one_run(args: argparse.Namespace, routes: int, kill: bool = False) -> PoolRun:
    profiles = args.profiles_per_route * routes
    with _sandbox(args, routes, profiles) as info, tempfile.TemporaryDirectory() as tmp:
        names = info["truth"]["public_usernames"][:profiles]
        admin = info["instagram_url"] + "/_sandbox"

        def unplug(route: str) -> None:
            httpx.post(f"{admin}/routes/{route}", params={"down": "true"}).raise_for_status()

        def clock() -> float:
            return float(httpx.get(f"{admin}/clock").json()["now"])

        settings = pool_settings(info, Path(tmp))
        plan = ("modem-2", profiles // 3) if kill else None
        report, seconds = asyncio.run(fetch_pool(settings, names, plan, unplug, clock))
    stored = report.stored
    return PoolRun(routes, stored, len(names) - stored, seconds, report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--profiles-per-route", type=int, default=120)
    parser.add_argument("--budget", type=int, default=12, help="lookups per IP per window")
    parser.add_argument("--rotation-seconds", type=float, default=3.0, help="sandbox seconds")
    parser.add_argument("--speed", type=float, default=1.0, help="sandbox seconds per second")
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="per sandbox")
    args = parser.parse_args()
    counts = (1, 2, 4)
    runs: dict[int, list[PoolRun]] = {n: [] for n in counts}
    for _ in range(args.repetitions):
        for n in counts:
            runs[n].append(one_run(args, n))
    base = statistics.median(r.per_hour for r in runs[1])
    print(
        f"{args.profiles_per_route} profiles per route, budget {args.budget} lookups per IP, "
        "rotation "
        f"{args.rotation_seconds:g} sandbox s, speed {args.speed:g}, "
        f"median of {args.repetitions}"
    )
    print("routes  profiles/sandbox-hour  x one route  goal        rotations  lost")
    for n in counts:
        rate = statistics.median(r.per_hour for r in runs[n])
        ratio = rate / base if base else 0.0
        rotations = statistics.median(r.report.rotations for r in runs[n])
        lost = max(r.lost for r in runs[n])
        verdict = "ok" if ratio >= GOAL * n else "MISSED"
        print(
            f"{n:>6}  {rate:>21,.0f}  {ratio:>11.2f}  {GOAL * n:>4.1f} {verdict:<6} "
            f"{rotations:>5.0f}  {lost:>4}"
        )
    killed = one_run(args, 2, kill=True)
    shares = json.dumps(killed.report.routes, sort_keys=True)
    print(
        f"2 routes, modem-2 unplugged after {2 * args.profiles_per_route // 3} profiles: "
        f"{killed.stored} stored, {killed.lost} lost (goal 0), "
        f"{killed.per_hour:,.0f} profiles/sandbox-hour; per route {shares}"
    )


if __name__ == "__main__":
    main()
