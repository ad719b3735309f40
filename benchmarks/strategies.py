"""What a closing door costs (issue 8).

On the sandbox (its own process), N profiles are fetched three times with the default
strategy order:

1. every door open: the reference;
2. ``web_profile_info`` login-walled for a share of the profiles (default half): walled
   profiles cost one extra request each and fall back to the next strategy;
3. the same again, a run later: the walls are remembered, so walled profiles go straight to
   the way that worked and no request is spent on a known wall.

Then a stale ``doc_id`` and a gone ``web_profile_info``: how many requests reach a strategy
before it is dropped for the run (at most the requests already in flight), and the run's
wall time against the reference.

For each it prints stored / failed profiles, requests per stored profile, wall time, and which
strategy served how many.

Run:  .venv/bin/python benchmarks/strategies.py --profiles 1000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from intrend_assets.defs.resources import instagram_access
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.process import sandbox_process


async def _run(
    info: dict[str, Any],
    names: list[str],
    root: Path,
    concurrency: int,
    warnings: list[str],
    **overrides: Any,
) -> tuple[FetchReport, float]:
    settings = IntrendSettings(
        instagram_base_url=info["instagram_url"],
        proxy_url=info["proxy_url"],
        max_connections=concurrency,
        concurrency=concurrency,
        backoff_seconds=0.05,
        **overrides,
    )
    resource = instagram_access(settings)
    client = resource.open_client()
    modem = ModemClient(info["modem_url"], info["modem_token"])
    try:
        gate = RotationGate(modem.rotate, current_ip=await modem.current_ip(), backoff_seconds=0.05)
        started = time.perf_counter()
        report = await fetch_profiles(
            names,
            resource.bind(client, None),
            gate,
            LocalRawStore(root),
            resource.policy,
            on_warning=warnings.append,
        )
        return report, time.perf_counter() - started
    finally:
        await client.aclose()
        await modem.aclose()


def _faults(info: dict[str, Any], **switches: Any) -> None:
    url = f"{info['instagram_url']}/_sandbox/faults"
    httpx.delete(url).raise_for_status()
    if switches:
        httpx.post(url, json=switches).raise_for_status()


def _line(label: str, report: FetchReport, seconds: float, reference: float) -> None:
    profiles = Counter(e["endpoint"] for e in report.log if e["kind"] == "profile")
    per_profile = sum(profiles.values()) / max(1, report.stored)
    served = ", ".join(f"{k} {v}" for k, v in report.served().items())
    print(
        f"{label:<38}{report.stored:>7}{report.failed:>7}{per_profile:>10.2f}"
        f"{seconds:>9.1f}{seconds / reference:>8.2f}  {served}"
    )
    asked = ", ".join(f"{k} {v}" for k, v in sorted(profiles.items()))
    print(f"{'':<38}profile requests: {asked}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=1000, help="profiles fetched per run")
    parser.add_argument("--walled", type=float, default=0.5, help="share walled (0..1)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)

    options = (
        f"--profiles={args.profiles}",
        "--seed=5",
        "--budget=100000",  # rate limits are issue 3's benchmark; here only doors close
        "--speed=1",
        "--private-share=0.03",
        "--duration=1800",
    )
    with sandbox_process(*options) as info, tempfile.TemporaryDirectory() as tmp:
        names = list(info["truth"]["public_usernames"])[: args.profiles]
        root = Path(tmp)
        header = f"{'run':<38}{'stored':>7}{'failed':>7}{'req/prof':>10}{'wall s':>9}{'x ref':>8}"
        print(f"{len(names)} public profiles, concurrency {args.concurrency}")
        print(header + "  served by")

        def run(label: str, folder: str, ref: float | None, **overrides: Any) -> float:
            warnings: list[str] = []
            report, seconds = asyncio.run(
                _run(info, names, root / folder, args.concurrency, warnings, **overrides)
            )
            _line(label, report, seconds, ref or seconds)
            for warning in warnings:
                print(f"{'':<38}warning: {warning[:110]}")
            return seconds

        _faults(info)
        reference = run("all doors open", "open", None)
        _faults(info, login_wall={"web_profile_info": args.walled})
        run(f"web_profile_info walled {args.walled:.0%}", "walled", reference)
        run("  the next run (walls remembered)", "walled", reference)
        _faults(info, doc_ids={"profile": "0000", "timeline": "0000"})
        run(
            "stale doc_id (graphql_doc_id first)",
            "stale",
            reference,
            profile_strategies=["graphql_doc_id", "embedded_page"],
        )
        _faults(info, gone={"web_profile_info": 410})
        run("web_profile_info gone (410)", "gone", reference)
        _faults(info)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
