"""Fetch-layer figures on the sandbox (issue 3).

For N profiles at a budget of B profile requests per IP per window, prints:
- stored / failed / lost profiles (lost must be 0);
- wall time against the ideal (rotations x rotation time + requests x latency / concurrency)
  and the efficiency ideal / actual (target >= 0.8);
- profiles per sandbox-hour with rotation against the fixed-sleep, no-rotation strategy
  (target >= 5x);
- how many rotations 50 requests hitting the limit together cause (target exactly 1).

The sandbox runs in its own process (``python -m sandbox``), as Instagram and the modem are
other machines in the field: in one process the client and the three servers would share
one interpreter lock and the figures would measure that instead.

Run:  .venv/bin/python benchmarks/fetch_throughput.py --profiles 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import replace
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


def _sandbox(args: argparse.Namespace):
    return sandbox_process(
        f"--profiles={args.profiles}",
        "--seed=3",
        f"--budget={args.budget}",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--window", type=float, default=600.0, help="sandbox seconds")
    parser.add_argument("--rotation-seconds", type=float, default=3.0, help="sandbox seconds")
    parser.add_argument("--speed", type=float, default=10.0, help="sandbox seconds per second")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--baseline-seconds", type=float, default=60.0, help="real seconds")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="sandbox lifetime")
    args = parser.parse_args(argv)

    with _sandbox(args) as info, tempfile.TemporaryDirectory() as tmp:
        truth = info["truth"]
        names = truth["public_usernames"] + truth["private_usernames"]
        names = (names + truth["unknown_usernames"])[: args.profiles]
        policy = replace(DEFAULT_POLICY, concurrency=args.concurrency, pacing_name="rotate")
        report, wall = asyncio.run(_run(info, names, policy, Path(tmp) / "a"))
        answered = [e["latency_ms"] for e in report.log if e["latency_ms"] is not None]
        # Mean, not median: at a fixed concurrency throughput is concurrency / mean latency
        # (Little's law), and the sandbox's latency has a long tail.
        latency_s = statistics.fmean(answered) / 1000 if answered else 0.0
        rotation_real = args.rotation_seconds / args.speed
        ideal = report.rotations * rotation_real + len(report.log) * latency_s / args.concurrency
        lost = len(set(names) - set(report.outcomes))
        per_hour_rotating = report.stored / (wall * args.speed) * 3600

        print(f"profiles            {len(names)}")
        print(f"stored              {report.stored}")
        print(f"failed (reasoned)   {report.failed}  {_reasons(report)}")
        print(f"lost                {lost}")
        print(f"requests            {len(report.log)}")
        print(f"rotations           {report.rotations} (unchanged IP {report.unchanged_rotations})")
        print(
            f"latency             mean {latency_s * 1000:.1f} ms, "
            f"median {statistics.median(answered):.1f} ms"
        )
        print(f"wall time           {wall:.2f} s real = {wall * args.speed:.0f} s sandbox")
        print(f"ideal               {ideal:.2f} s real")
        print(f"efficiency          {ideal / wall:.2f}  (target >= 0.80)")

        # Baseline: no rotation, a fixed sleep of window / budget between requests: the best a
        # no-rotation strategy can do (it never hits the limit), run for a bounded time.
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
        base_report, base_wall = asyncio.run(
            _run(info, names, baseline, Path(tmp) / "b", deadline=args.baseline_seconds)
        )
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
