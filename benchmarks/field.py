"""Survive the field (issue 15): the fetcher on a sandbox as hard as Instagram and the modem.

On N sandbox profiles with every field behaviour on (``--field``), then with each behaviour
switched on alone (so a regression is attributable), prints per run:

- stored share of the profiles that exist (target >= 99 %), every other profile with its
  reason, lost profiles (started, no outcome: target 0) and unstarted ones (a run the time
  bound cut off; such a row is marked CUT and does not count as measured);
- requests per stored profile (target <= 1.2). A request is every HTTP request the fetcher
  sent to Instagram: profile lookups (refused and retried ones included), timeline pages
  (``graphql_doc_id`` answers carry no posts, so a profile it serves costs one page), and
  logged-in requests; ``lk/st`` is lookups alone. The odd-4xx row is fetched a second time
  on the same raw store (``again``): the first fetch pays the refused strategy once per
  odd profile, the second starts with the strategy that served it;
- rotations against the minimum the budget allows (profile lookups / per-IP budget; the
  burst rule and the cooldown add time, not rotations, to a fetcher that paces: target
  within 1.5x);
- profiles given up for rate limits (target 0, the cooldown at 60 simulated seconds).

The fetch path is production's: ``fetch_profiles`` with the strategies, order and policy the
default settings bind (``instagram_access(settings)``, as ``raw_profile`` does), on a gate
over the sandbox's modem service. Not the Dagster run: its step overhead would add nothing
about the fetcher, and the per-behaviour rows need a fresh sandbox each (a behaviour is a
start-up option). The sandbox runs in its own process (loopback only), each run is bounded
by ``--max-seconds`` of real time.

Run:  .venv/bin/python benchmarks/field.py --profiles 1000 --alone 300
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from intrend_assets.defs.resources import instagram_access
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.process import sandbox_process

# Each behaviour alone, as the sandbox's start-up options (the field preset's values; the
# carrier changes every 120 s instead of 1800 s, else a short run would never see one).
ALONE: dict[str, tuple[str, ...]] = {
    "modem cooldown 60 s": ("--modem-cooldown-seconds=60",),
    "slow rotations <= 45 s": ("--rotation-max-seconds=45",),
    "carrier IP changes": ("--carrier-change-seconds=120",),
    "web_profile_info throttled": (
        "--throttled-strategy=web_profile_info",
        "--throttle-seconds=1800",
    ),
    "odd 4xx 8 %": ("--odd-4xx-share=0.08",),
    "GraphQL limit + errors": ("--graphql-budget=100", "--graphql-error-share=0.025"),
    "burst 6 per 10 s": ("--burst-limit=6",),
    "today's page shape": ("--page-shape=xig_user_by_username",),
}


@dataclass(frozen=True)
class Row:
    label: str
    profiles: int
    existing: int
    stored: int
    lost: int
    unstarted: int
    requests: int
    lookups: int
    rotations: int
    minimum: int
    gave_up_limited: int
    reasons: Counter[str]
    seconds: float
    spent: Counter[str]


def scaled(policy: FetchPolicy, speed: float) -> FetchPolicy:
    """Production's policy on the sandbox's clock: its waits in sandbox seconds, as the
    sandbox's windows, cooldown and rotations are (they run ``speed`` times faster)."""
    return replace(
        policy,
        burst_pause_seconds=policy.burst_pause_seconds / speed,
        bench_seconds=policy.bench_seconds / speed,
        backoff_seconds=policy.backoff_seconds / speed,
        max_backoff_seconds=policy.max_backoff_seconds / speed,
    )


async def _fetch(
    info: dict[str, Any], names: list[str], root: Path, deadline: float, speed: float
) -> FetchReport:
    settings = IntrendSettings(
        instagram_base_url=info["instagram_url"],
        proxy_url=info["proxy_url"],
        modem_url=info["modem_url"],
    )
    access = instagram_access(settings)
    client = access.open_client()
    modem = ModemClient(info["modem_url"], info["modem_token"])
    try:
        gate = RotationGate(
            modem.rotate, current_ip=await modem.current_ip(), backoff_seconds=1.0 / speed
        )
        return await fetch_profiles(
            names, access.bind(client, None), gate, LocalRawStore(root),
            scaled(access.policy, speed),
            stop_after=deadline, on_warning=lambda _: None,
        )  # fmt: skip
    finally:
        await client.aclose()
        await modem.aclose()


def _row(label: str, info: dict[str, Any], names: list[str], report: FetchReport, budget: int,
         seconds: float) -> Row:  # fmt: skip
    truth = info["truth"]
    existing = set(truth["public_usernames"]) | set(truth["private_usernames"])
    kept = {n for n, o in report.outcomes.items() if o.outcome in ("stored", "private")}
    reasons: Counter[str] = Counter()
    limited = 0
    for name, outcome in report.outcomes.items():
        if name in kept:
            continue
        reason = f"{outcome.outcome}: {outcome.reason}"[:70]
        if name not in existing and outcome.outcome == "not_found":
            reason = "not_found (does not exist)"
        reasons[reason] += 1
        limited += "rate limited" in (outcome.reason or "")
    lookups = sum(1 for e in report.log if e["kind"] == "profile")
    started = {e["username"] for e in report.log} | set(report.outcomes)
    missing = set(names) - set(report.outcomes)
    wanted = sum(1 for n in names if n in existing) + sum(1 for n in names if n not in existing)
    return Row(
        label=label,
        profiles=len(names),
        existing=sum(1 for n in names if n in existing),
        stored=len(kept),
        lost=len(missing & started),
        unstarted=len(missing - started),
        requests=len(report.log),
        lookups=lookups,
        rotations=report.rotations,
        minimum=max(0, math.ceil(wanted / budget) - 1),
        gave_up_limited=limited,
        reasons=reasons,
        seconds=seconds,
        spent=spent(report.log),
    )


def spent(log: list[dict[str, Any]]) -> Counter[str]:
    """Where the requests went: every logged request in one category (they add up to the
    row's requests). A lookup answered (stored, private, not found, walled) is the one each
    profile needs; everything else is what the field costs on top."""
    kinds: Counter[str] = Counter()
    for e in log:
        where = "session " if e["session"] else ""
        if e["kind"] == "page":
            kinds[f"{where}page {e['endpoint']} {e['outcome']}"] += 1
        elif e["outcome"] in ("ok", "private", "not_found", "login_wall"):
            kinds[f"{where}lookup answered ({e['outcome']})"] += 1
        else:
            kinds[f"{where}lookup {e['outcome']} ({e['endpoint']})"] += 1
    return kinds


SHOW_SPENT = False  # --spent: each row's requests by category, per stored profile
AGAIN = {"odd 4xx 8 %"}  # rows fetched a second time on the same raw store


def _run(label: str, options: tuple[str, ...], args: argparse.Namespace, count: int) -> list[Row]:
    base = (
        f"--profiles={count}",
        "--seed=11",
        f"--budget={args.budget}",
        f"--speed={args.speed}",
        "--private-share=0.03",
        "--missing-share=0.01",
        f"--duration={args.max_seconds * args.speed * 2 + 600:.0f}",
    )
    with sandbox_process(*base, *options) as info, tempfile.TemporaryDirectory() as tmp:
        truth = info["truth"]
        names = (truth["public_usernames"] + truth["private_usernames"])[:count]
        names += truth["unknown_usernames"][: max(1, count // 100)]
        rows = []
        for run_label in (label, f"{label} again") if label in AGAIN else (label,):
            started = time.perf_counter()
            report = asyncio.run(_fetch(info, names, Path(tmp), args.max_seconds, args.speed))
            seconds = time.perf_counter() - started
            row = _row(run_label, info, names, report, args.budget, seconds)
            field = httpx.get(f"{info['instagram_url']}/_sandbox/field").json()
            row.spent["(sandbox: burst refusals, counted in the run so far)"] = field.get(
                "burst_refused", 0
            )
            rows.append(row)
        return rows


def _print(row: Row) -> None:
    stored = row.stored / max(1, row.existing)
    per = row.requests / max(1, row.stored)
    lookups = row.lookups / max(1, row.stored)
    ratio = row.rotations / max(1, row.minimum)
    cut = "  CUT" if row.unstarted else ""
    print(
        f"{row.label:<34}{row.profiles:>6}{stored:>8.1%}{row.lost:>5}{row.unstarted:>6}"
        f"{per:>8.2f}{lookups:>7.2f}{row.rotations:>6}{row.minimum:>5}{ratio:>7.2f}"
        f"{row.gave_up_limited:>7}{row.seconds:>8.1f}{cut}"
    )
    if row.unstarted:
        print(f"{'':<34}  {row.unstarted:>4} never started: the time bound cut the run off")
    for reason, n in row.reasons.most_common():
        print(f"{'':<34}  {n:>4} {reason}")
    if SHOW_SPENT:
        for kind, n in sorted(row.spent.items(), key=lambda kv: -kv[1]):
            print(f"{'':<34}  requests {n:>5} {n / max(1, row.stored):>6.3f}/st  {kind}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--alone", type=int, default=300, help="profiles per behaviour alone")
    parser.add_argument("--budget", type=int, default=50, help="profile lookups per IP")
    parser.add_argument("--speed", type=float, default=30.0, help="sandbox s per real s")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="real s per run")
    parser.add_argument("--only", default="", help="run only rows whose label has this")
    parser.add_argument("--spent", action="store_true", help="requests by category per row")
    args = parser.parse_args(argv)
    global SHOW_SPENT
    SHOW_SPENT = args.spent

    print(
        f"budget {args.budget} lookups per IP per 600 s, sandbox speed {args.speed:g}x; "
        "targets: stored >= 99 %, lost 0, req/stored <= 1.2, rotations <= 1.5x min, "
        "gave up for rate limits 0; req = every request sent (lookups incl. refused and "
        "retried, timeline pages, logged-in), lk = lookups; unst = never started (CUT)"
    )
    print(
        f"{'run':<34}{'profs':>6}{'stored':>8}{'lost':>5}{'unst':>6}{'req/st':>8}{'lk/st':>7}"
        f"{'rot':>6}{'min':>5}{'x min':>7}{'limgu':>7}{'wall s':>8}"
    )
    runs = [("every behaviour (--field)", ("--field",), args.profiles)]
    runs += [(label, options, args.alone) for label, options in ALONE.items()]
    rows = [
        row for label, opts, n in runs if args.only in label for row in _run(label, opts, args, n)
    ]
    for row in rows:
        _print(row)
    bad = [r for r in rows if r.lost or r.unstarted or r.stored < 0.99 * r.existing]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
