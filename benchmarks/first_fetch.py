"""What a first fetch's history costs: pages per new profile, rotations, requests per stored
profile, and the posts per profile inside the report's 35-day window, with the first-fetch
depth off (``INTREND_FIRST_FETCH_DAYS=0``: today's single lookup) and on (the defaults).

Each run is its own process with its own sandbox (same seed: the same world), new profiles
in an empty raw store; the modes alternate (off, on, off, on, ...) so machine noise falls on
both. Medians over the repetitions.

    .venv/bin/python benchmarks/first_fetch.py --profiles 300 --repetitions 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from intrend_assets.defs.resources import instagram_access
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.parsing.profile import parse_profile
from intrend_assets.raw_store.store import LocalRawStore, decompress
from intrend_assets.settings import IntrendSettings
from sandbox.world import SandboxConfig, start_sandbox

WINDOW_DAYS = 35  # the report's recent and baseline windows


def _window_posts(store: LocalRawStore, username: str, since: datetime) -> int:
    obj = store.latest(username)
    if obj is None:
        return 0
    ids: set[str] = set()
    for key in [obj.key, *store.pages(obj)]:
        posts = parse_profile(decompress(store.read(key)), username=username).posts
        for post_id, taken_at in zip(posts["post_id"], posts["taken_at"], strict=True):
            if taken_at is not None and taken_at >= since:
                ids.add(post_id)
    return len(ids)


def _child(args: argparse.Namespace) -> dict[str, Any]:
    config = SandboxConfig(profiles=args.profiles, seed=args.seed, budget=args.budget, speed=1.0)
    with start_sandbox(config) as world, tempfile.TemporaryDirectory() as root:
        names = world.public_usernames()
        overrides = {} if args.child == "on" else {"first_fetch_days": 0.0}
        settings = IntrendSettings(
            instagram_base_url=world.instagram_url,
            proxy_url=world.proxy_url,
            **overrides,  # type: ignore[arg-type]
        )
        access, policy = instagram_access(settings), settings.fetch_policy()

        async def go() -> Any:
            client = access.open_client()
            modem = ModemClient(world.modem_url, world.modem_token)
            try:
                gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
                return await fetch_profiles(
                    names, access.bind(client, None), gate, LocalRawStore(root), policy
                )
            finally:
                await client.aclose()
                await modem.aclose()

        started = datetime.now(UTC)
        report = asyncio.run(go())
        seconds = (datetime.now(UTC) - started).total_seconds()
        store = LocalRawStore(root)
        since = datetime.now(UTC) - timedelta(days=WINDOW_DAYS)
        stored = [o for o in report.outcomes.values() if o.outcome == "stored"]
        posts = [_window_posts(store, o.username, since) for o in stored]
        pages = sum(1 for row in report.log if row["kind"] == "page")
        return {
            "mode": args.child,
            "stored": len(stored),
            "incomplete": sum(1 for o in stored if not o.complete),
            "pages_per_profile": pages / max(1, len(stored)),
            "requests_per_stored": len(report.log) / max(1, len(stored)),
            "rotations": report.rotations,
            "window_posts_median": statistics.median(posts) if posts else 0,
            "window_posts_mean": statistics.fmean(posts) if posts else 0.0,
            "thin_profiles": sum(1 for n in posts if n <= 12),
            "seconds": seconds,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--budget", type=int, default=200, help="sandbox lookups per IP")
    parser.add_argument("--child", choices=("off", "on"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args)))
        return 0
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for _ in range(args.repetitions):
        for mode in ("off", "on"):
            cmd = [sys.executable, __file__, "--child", mode, "--profiles", str(args.profiles)]
            cmd += ["--seed", str(args.seed), "--budget", str(args.budget)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=Path.cwd())
            runs[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    keys = [k for k in runs["off"][0] if k != "mode"]
    print(f"{args.profiles} sandbox profiles, {args.repetitions} runs per mode, medians")
    print(f"{'':<22}{'depth off':>12}{'depth on':>12}{'on/off':>9}")
    for key in keys:
        off = statistics.median(r[key] for r in runs["off"])
        on = statistics.median(r[key] for r in runs["on"])
        ratio = f"{on / off:.2f}" if off else "-"
        print(f"{key:<22}{off:>12.3f}{on:>12.3f}{ratio:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
