"""Fetch-layer figures on the sandbox (issue 3).

Prints, for N profiles at a budget of B profile requests per IP per window:
- stored / failed / lost profiles (lost must be 0);
- wall time against the ideal (rotations x rotation time + requests x latency / concurrency)
  and the efficiency ideal / actual (target >= 0.8);
- profiles per sandbox-hour with rotation against the fixed-sleep, no-rotation strategy
  (target >= 5x);
- how many rotations 50 requests hitting the limit together cause (target exactly 1).

Run:  .venv/bin/python benchmarks/fetch_throughput.py --profiles 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from intrend_assets.fetching import FetchPolicy, fetch_profiles
from intrend_assets.instagram.client import ClientConfig, InstagramClient
from intrend_assets.modem_client import ModemClient
from intrend_assets.raw_store import LocalRawStore
from intrend_assets.rotation_gate import RotationGate
from sandbox.world import SandboxConfig, start_sandbox


async def _run(world, usernames, policy, store_dir, connections):  # type: ignore[no-untyped-def]
    client = InstagramClient(
        ClientConfig(
            base_url=world.instagram_url, proxy_url=world.proxy_url, max_connections=connections
        )
    )
    modem = ModemClient(world.modem_url, world.modem_token)
    try:
        gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
        started = time.perf_counter()
        report = await fetch_profiles(
            usernames, client.get_profile, gate, LocalRawStore(store_dir), policy
        )
        return report, time.perf_counter() - started
    finally:
        await client.aclose()
        await modem.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--window", type=float, default=600.0, help="sandbox seconds")
    parser.add_argument("--rotation-seconds", type=float, default=3.0, help="sandbox seconds")
    parser.add_argument("--speed", type=float, default=10.0, help="sandbox seconds per second")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--baseline-seconds", type=float, default=60.0, help="real seconds for the baseline"
    )
    args = parser.parse_args(argv)

    config = SandboxConfig(
        profiles=args.profiles,
        seed=3,
        budget=args.budget,
        window_seconds=args.window,
        speed=args.speed,
        rotation_seconds=args.rotation_seconds,
        private_share=0.03,
        missing_share=0.02,
    )
    with start_sandbox(config) as world, tempfile.TemporaryDirectory() as tmp:
        names = list(world.usernames())[: args.profiles]
        names += list(world.unknown_usernames())[: max(0, args.profiles - len(names))]
        policy = FetchPolicy(concurrency=args.concurrency, strategy_name="rotate")
        report, wall = asyncio.run(_run(world, names, policy, Path(tmp) / "a", args.concurrency))
        ok_latency = [e["latency_ms"] for e in report.log if e["latency_ms"] is not None]
        latency_s = statistics.median(ok_latency) / 1000 if ok_latency else 0.0
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
        print(f"median latency      {latency_s * 1000:.1f} ms")
        print(f"wall time           {wall:.2f} s real = {wall * args.speed:.0f} s sandbox")
        print(f"ideal               {ideal:.2f} s real")
        print(f"efficiency          {ideal / wall:.2f}  (target >= 0.80)")

        # Baseline: fixed sleep between requests, no rotation; run for a bounded time.
        world.reset_limits() if hasattr(world, "reset_limits") else None
        baseline = FetchPolicy(
            concurrency=1,
            rotate=False,
            pacing="fixed",
            pacing_seconds=1.0 / args.speed,
            backoff_seconds=args.window / args.speed / 4,
            max_backoff_seconds=args.window / args.speed,
            max_rate_limited=1000,
            strategy_name="fixed-sleep-no-rotation",
        )

        async def bounded():  # type: ignore[no-untyped-def]
            try:
                return await asyncio.wait_for(
                    _run(world, names, baseline, Path(tmp) / "b", 1), args.baseline_seconds
                )
            except TimeoutError:
                return None

        started = time.perf_counter()
        asyncio.run(bounded())
        base_wall = time.perf_counter() - started
        base_stored = len(list(LocalRawStore(Path(tmp) / "b").usernames()))
        per_hour_baseline = base_stored / (base_wall * args.speed) * 3600
        print(f"rotating            {per_hour_rotating:.0f} profiles per sandbox-hour")
        print(f"fixed sleep, no rot {per_hour_baseline:.0f} profiles per sandbox-hour")
        print(f"speed-up            {per_hour_rotating / max(per_hour_baseline, 1e-9):.1f}x")

        # 50 concurrent requests that hit the limit together.
        async def burst() -> int:
            modem = ModemClient(world.modem_url, world.modem_token)
            try:
                gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
                generation = await gate.wait_open()
                await asyncio.gather(*(gate.rotate(generation) for _ in range(50)))
                return gate.stats.rotations
            finally:
                await modem.aclose()

        print(f"50 limited at once  {asyncio.run(burst())} rotation(s)")
    return 0 if lost == 0 else 1


def _reasons(report) -> str:  # type: ignore[no-untyped-def]
    counts: dict[str, int] = {}
    for outcome in report.outcomes.values():
        if outcome.outcome not in ("stored", "private"):
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    return str(counts) if counts else ""


if __name__ == "__main__":
    raise SystemExit(main())
