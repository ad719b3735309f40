"""Fetch-layer figures on the sandbox (issues 3 and 18).

For N profiles at a budget of B profile requests per IP per window, prints:
- stored / failed / lost profiles (lost must be 0);
- wall time against the honest ideal and the efficiency ideal / actual (goal >= 0.90). The
  ideal is what the same client at the same concurrency takes for the same profiles against
  a sandbox whose budget never limits (measured in this invocation, that sandbox in its own
  process), plus the rotations the budget requires (ceil(N / B) - 1) times the rotation time
  measured in the limited run. It credits none of the run's own refused requests or extra
  rotations, and it includes the client's own time;
- profiles per sandbox-hour with rotation against the fixed-sleep, no-rotation strategy
  (target >= 5x);
- how many rotations 50 requests hitting the limit together cause (target exactly 1).

After one unmeasured warm-up pass on each sandbox, the limited and unlimited runs alternate
(``--repetitions``, at least 3) and the medians are printed (the efficiency is the median of
each repetition's ideal / actual): on a shared machine one run alone measures its neighbours
as much as the fetcher.

The sandboxes run in their own processes (``python -m sandbox``), as Instagram and the modem
are other machines in the field: in one process the client and the three servers would share
one interpreter lock and the figures would measure that instead.

Run:  .venv/bin/python benchmarks/fetch_throughput.py --profiles 2000
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.process import sandbox_process

GOAL = 0.90
UNLIMITED_BUDGET = 10**9  # no run comes near it: the sandbox never refuses


def _sandbox(args: argparse.Namespace, budget: int):
    return sandbox_process(
        f"--profiles={args.profiles}",
        "--seed=3",
        f"--budget={budget}",
        f"--window-seconds={args.window}",
        f"--speed={args.speed}",
        f"--rotation-seconds={args.rotation_seconds}",
        "--private-share=0.03",
        f"--duration={args.max_seconds}",
    )


DEFAULT_POLICY = IntrendSettings().fetch_policy()


async def _run(
    info: dict[str, Any],
    usernames: list[str],
    policy: FetchPolicy,
    root: Path,
    deadline: float | None = None,
) -> tuple[FetchReport, float]:
    client = InstagramClient(
        IntrendSettings(
            instagram_base_url=info["instagram_url"],
            proxy_url=info["proxy_url"],
            max_connections=policy.concurrency,
        ).client_config()
    )
    modem = ModemClient(info["modem_url"], info["modem_token"])
    try:
        gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
        started = time.perf_counter()
        report = await fetch_profiles(
            usernames,
            BoundStrategies.from_clients(client, ["web_profile_info"], ["graphql_query_hash"]),
            gate,
            LocalRawStore(root),
            policy,
            stop_after=deadline,
        )
        return report, time.perf_counter() - started
    finally:
        await client.aclose()
        await modem.aclose()


async def _burst(info: dict[str, Any]) -> int:
    modem = ModemClient(info["modem_url"], info["modem_token"])
    try:
        gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
        generation = await gate.wait_open()
        await asyncio.gather(*(gate.rotate(generation) for _ in range(50)))
        return gate.stats.rotations
    finally:
        await modem.aclose()


def _reasons(report: FetchReport) -> str:
    counts: dict[str, int] = {}
    for outcome in report.outcomes.values():
        if outcome.outcome not in ("stored", "private"):
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    return str(counts) if counts else ""


@dataclass
class Repetition:
    """One limited run and the unlimited run beside it, on the same profiles."""

    report: FetchReport
    wall: float
    unlimited_wall: float
    lost: int

    @property
    def rotation_time(self) -> float:
        """Real seconds one rotation held the run up, as the client measured it."""
        rotations = self.report.rotations
        return self.report.rotation_seconds / rotations if rotations else 0.0

    def ideal(self, min_rotations: int) -> float:
        return self.unlimited_wall + min_rotations * self.rotation_time


def _repetitions(
    args: argparse.Namespace, limited: dict[str, Any], unlimited: dict[str, Any], root: Path
) -> tuple[list[str], list[Repetition]]:
    """``args.repetitions`` limited runs, each beside an unlimited one, alternating which goes
    first; both sandboxes' limits reset before every run so each starts equal."""
    truth = limited["truth"]
    names = truth["public_usernames"] + truth["private_usernames"]
    names = (names + truth["unknown_usernames"])[: args.profiles]
    policy = replace(DEFAULT_POLICY, concurrency=args.concurrency, pacing_name="rotate")
    # One unmeasured pass on each sandbox first: each builds its profiles' content on first
    # request (and caches it), which neither measured run should pay.
    for which, info in (("limited", limited), ("unlimited", unlimited)):
        asyncio.run(_run(info, names, policy, root / f"warm-{which}"))
    reps = []
    for rep in range(args.repetitions):
        walls: dict[str, tuple[FetchReport, float]] = {}
        order = ("limited", "unlimited") if rep % 2 == 0 else ("unlimited", "limited")
        for which in order:
            info = limited if which == "limited" else unlimited
            httpx.post(f"{info['instagram_url']}/_sandbox/reset-limits", timeout=30)
            walls[which] = asyncio.run(_run(info, names, policy, root / f"{which}-{rep}"))
        report, wall = walls["limited"]
        free_report, free_wall = walls["unlimited"]
        assert free_report.rotations == 0, "the unlimited sandbox limited a request"
        lost = len(set(names) - set(report.outcomes))
        reps.append(Repetition(report, wall, free_wall, lost))
        print(
            f"  repetition {rep + 1}: {wall:.2f} s limited ({report.rotations} rotations, "
            f"{len(report.log)} requests), {free_wall:.2f} s unlimited "
            f"({len(free_report.log)} requests)",
            flush=True,
        )
    return names, reps


def _print_run(args: argparse.Namespace, names: list[str], reps: list[Repetition]) -> int:
    """The medians over the repetitions; returns the most profiles any repetition lost."""
    median = statistics.median
    min_rotations = max(0, math.ceil(len(names) / args.budget) - 1)
    wall = median(r.wall for r in reps)
    last = reps[-1].report
    answered = [e["latency_ms"] for e in last.log if e["latency_ms"] is not None]
    lost = max(r.lost for r in reps)
    print(f"profiles            {len(names)}  ({len(reps)} repetitions, medians)")
    print(f"stored              {median(r.report.stored for r in reps)}")
    print(f"failed (reasoned)   {median(r.report.failed for r in reps)}  {_reasons(last)}")
    print(f"lost                {lost} (most in one repetition)")
    print(f"requests            {median(len(r.report.log) for r in reps)}")
    print(
        f"rotations           {median(r.report.rotations for r in reps)} "
        f"(minimum the budget needs {min_rotations}; unchanged IP, last run "
        f"{last.unchanged_rotations})"
    )
    print(f"rotation time       {median(r.rotation_time for r in reps):.3f} s real, measured")
    print(f"latency (last run)  median {median(answered):.1f} ms")
    print(f"wall time           {wall:.2f} s real = {wall * args.speed:.0f} s sandbox")
    print(f"unlimited capacity  {median(r.unlimited_wall for r in reps):.2f} s real")
    print(f"ideal               {median(r.ideal(min_rotations) for r in reps):.2f} s real")
    efficiency = median(r.ideal(min_rotations) / r.wall for r in reps)
    print(f"efficiency          {efficiency:.2f}  (goal >= {GOAL:.2f})")
    return lost


def _baseline(
    args: argparse.Namespace, info: dict[str, Any], names: list[str], root: Path
) -> tuple[FetchReport, float]:
    """No rotation, a fixed sleep of window / budget between requests: the best a
    no-rotation strategy can do (it never hits the limit), run for a bounded time."""
    httpx.post(f"{info['instagram_url']}/_sandbox/reset-limits", timeout=30)
    baseline = replace(
        DEFAULT_POLICY,
        concurrency=1,
        rotate=False,
        pacing="fixed",
        pacing_seconds=args.window / args.budget / args.speed,
        backoff_seconds=args.window / args.speed / 4,
        max_backoff_seconds=args.window / args.speed,
        pacing_name="fixed-sleep-no-rotation",
    )
    return asyncio.run(_run(info, names, baseline, root, deadline=args.baseline_seconds))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--window", type=float, default=600.0, help="sandbox seconds")
    parser.add_argument("--rotation-seconds", type=float, default=3.0, help="sandbox seconds")
    parser.add_argument("--speed", type=float, default=10.0, help="sandbox seconds per second")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--baseline-seconds", type=float, default=60.0, help="real seconds")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="sandbox lifetime")
    args = parser.parse_args(argv)
    if args.repetitions < 3:
        parser.error("--repetitions must be at least 3: one run alone measures the machine")

    with (
        _sandbox(args, args.budget) as info,
        _sandbox(args, UNLIMITED_BUDGET) as free,
        tempfile.TemporaryDirectory() as tmp,
    ):
        names, reps = _repetitions(args, info, free, Path(tmp))
        lost = _print_run(args, names, reps)
        per_hour_rotating = statistics.median(
            r.report.stored / (r.wall * args.speed) * 3600 for r in reps
        )
        base_report, base_wall = _baseline(args, info, names, Path(tmp) / "baseline")
        per_hour_baseline = base_report.stored / (base_wall * args.speed) * 3600
        print(f"rotating            {per_hour_rotating:.0f} profiles per sandbox-hour")
        print(
            f"fixed sleep, no rot {per_hour_baseline:.0f} profiles per sandbox-hour"
            f" ({base_report.stored} in {base_wall:.0f} s, "
            f"{sum(e['outcome'] == 'rate_limited' for e in base_report.log)} limited)"
        )
        print(f"speed-up            {per_hour_rotating / max(per_hour_baseline, 1e-9):.1f}x")
        print(f"50 limited at once  {asyncio.run(_burst(info))} rotation(s)")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
