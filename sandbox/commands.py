"""``intrend``: the project's command line (``demo``, ``dev`` on the sandbox; ``serve``).

``intrend demo`` runs the whole pipeline on the offline sandbox and prints the rising
hashtags; ``intrend dev`` starts the sandbox and the Dagster UI wired to it. Both start the
sandbox, so they live here, on the sandbox's side: the code location never imports the
sandbox. ``intrend serve``, the production command, is ``intrend_assets.cli``'s.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intrend_assets.cli import (
    UiAddress,
    add_parked_commands,
    add_serve_command,
    check_port_free,
    dagster_dev_command,
    port_number,
    run_until_stopped,
)
from intrend_assets.lib.instance import prepare_dagster_home, project_dir
from sandbox.config import SandboxConfig, describe_validation_error


def _at_least(low: float, kind: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    """An argparse type: ``kind`` of the text, refused below ``low`` (or at 0 when ``low`` is
    0, for a float that must be positive), with the bound in the message."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < low or (low == 0 and value <= 0):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value

    return parse


def _wall(text: str) -> tuple[str, float]:
    """``STRATEGY=SHARE`` of ``--login-wall``, checked before the sandbox starts."""
    from intrend_assets.instagram.strategies import PROFILE_STRATEGIES

    name, _, share = text.partition("=")
    if name not in PROFILE_STRATEGIES:
        raise argparse.ArgumentTypeError(
            f"unknown strategy {name!r}; choose from {', '.join(PROFILE_STRATEGIES)}"
        )
    try:
        value = float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"share must be a number in 0..1, got {share!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"share must be in 0..1, got {value}")
    return name, value


def _sandbox_config(args: argparse.Namespace, **extra: Any) -> SandboxConfig:
    from pydantic import ValidationError

    try:
        return SandboxConfig(
            profiles=args.profiles,
            seed=args.seed,
            budget=args.budget,
            speed=args.speed,
            routes=args.routes,
            **extra,
        )
    except ValidationError as exc:  # the options are checked already; this is the backstop
        raise SystemExit(f"intrend {args.command}: {describe_validation_error(exc)}") from None


def _close_doors(world: Any, walls: dict[str, float]) -> None:
    """Login-wall the given strategies for a share of the profiles, and say so."""
    if not any(walls.values()):
        return
    import httpx

    httpx.post(
        f"{world.instagram_url}/_sandbox/faults", json={"login_wall": walls}
    ).raise_for_status()
    closed = ", ".join(f"{k} for {v:.0%} of profiles" for k, v in walls.items() if v)
    print(f"  login wall on   {closed} (they fall back to the next strategy)")


def demo_anchor(now: datetime | None = None) -> datetime:
    """The demo world's "now": today at 00:00 UTC.

    Its content is frozen there (``frozen_content``), so every demo run of one day fetches
    the same posts, and a run the next day finds the same posts plus that day's (the posts'
    slots are counted from the sandbox's fixed epoch, not from the anchor). The same instant
    ends the windows of the rising hashtags the demo prints and of ``trend_report``.
    """
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def cmd_demo(args: argparse.Namespace) -> int:
    """Sandbox → raw_profile → posts → hashtag_daily, posts_wide, then the rising hashtags."""
    started = time.monotonic()
    data_dir = Path(args.data_dir).resolve()
    prepare_dagster_home(Path.cwd())

    import dagster as dg

    # backfill_policy is marked beta in Dagster 1.13; the warning says nothing a user can act on.
    warnings.filterwarnings("ignore", category=dg.BetaWarning)

    from sandbox.pipeline import demo_stages, describe_checks, register_profiles, run_pipeline
    from sandbox.pipeline import sandbox_resources as resources_for
    from sandbox.world import start_sandbox

    as_of = demo_anchor()
    print(f"intrend demo: {args.profiles} sandbox profiles, data in {data_dir}", flush=True)
    with start_sandbox(_sandbox_config(args, anchor=as_of, frozen_content=True)) as world:
        print(f"  fake Instagram  {world.instagram_url}")
        print(f"  proxy host      {world.proxy_url}")
        print(f"  modem service   {world.modem_url}", flush=True)
        _close_doors(world, dict(args.login_wall or [("web_profile_info", 0.25)]))
        settings, resources = resources_for(world.intrend_env(data_dir))
        usernames = list(world.usernames())[: args.profiles] + list(world.unknown_usernames())[:3]
        instance = dg.DagsterInstance.get()
        keys = register_profiles(instance, usernames)

        print(f"[1/2] fetching and parsing {len(keys)} profiles …", flush=True)
        fetch_stage, warehouse_stage = demo_stages()
        (fetched,) = run_pipeline(
            resources, instance, stages=[fetch_stage], log_level=args.log_level
        )
        print("[2/2] building the warehouse tables …", flush=True)
        (built,) = run_pipeline(
            resources,
            instance,
            stages=[warehouse_stage],
            log_level=args.log_level,
            report_as_of=as_of,
        )
        checks = describe_checks(built.get_asset_check_evaluations())
        raw_meta = fetched.asset_materializations_for_node("raw_profile")[0].metadata
        served = raw_meta["served_by_strategy"].value
        planted = set(world.planted_trends())
        stats = world.stats()
    from warehouse.publish import published_path

    # What analysts read: the copy published after each write (the working file is the
    # pipeline's own).
    published = published_path(settings.resolved_warehouse_path())
    _print_trends(args, published, planted, as_of, settings.trend_min_profiles)
    print(f"Sandbox requests: {stats.get('total', stats)}")
    ways = ", ".join(f"{name} {count}" for name, count in served.items()) or "none"
    print(f"Profiles served by strategy: {ways}")
    _print_where(published, checks)
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def _print_trends(
    args: argparse.Namespace, db_path: Path, planted: set[str], as_of: datetime, min_profiles: int
) -> None:
    """The top of trend_report's ranking (same query, ``as_of`` and support), planted marked."""
    import polars as pl

    from intrend_assets.hashtags import normalize_hashtag
    from warehouse.db import connect
    from warehouse.formatting import format_table
    from warehouse.queries import run_query

    con = connect(db_path, read_only=True)
    try:
        rising = run_query(
            con, "trending_terms", as_of=as_of, min_profiles=min_profiles, limit=args.top
        ).to_dicts()
    finally:
        con.close()
    planted_norm = {normalize_hashtag(t) for t in planted}
    for row in rising:
        tag = str(row.get("tag") or row.get("tag_norm") or "")
        row["planted"] = "yes" if normalize_hashtag(tag) in planted_norm else ""
    print()
    print(
        f"Top {len(rising)} rising hashtags as of {as_of:%Y-%m-%d %H:%M} UTC "
        f"(last 7 days vs the 28 before; ranked by lift_low, {min_profiles}+ profiles):"
    )
    if rising:
        columns = [
            *("tag", "recent_posts", "baseline_posts", "recent_profiles"),
            *("lift", "lift_low", "planted"),
        ]
        print(format_table(pl.DataFrame(rising).select(columns), footer=False))
    print()
    print(f"Planted trends in the sandbox: {', '.join(sorted(planted))}")


def _print_where(db_path: Path, checks: str) -> None:
    from warehouse.db import connect

    con = connect(db_path, read_only=True)
    try:
        totals = con.execute(
            "select count(*), count(distinct owner_username) from posts_wide"
        ).fetchone()
    finally:
        con.close()
    assert totals is not None
    print(f"posts_wide: {totals[0]} posts from {totals[1]} profiles")
    print(f"DuckDB warehouse: {db_path} (the published copy analysts read)")
    print(
        f"trend report:     {db_path.parent.parent / 'trend_report.md'} "
        "(charts: trend_report.png, trend_series.png, trend_profiles.png)"
    )
    print(f"asset checks:     {checks}")
    print(f"  query it:  .venv/bin/intrend-warehouse query trending_terms --db {db_path}")
    print("  browse it: make dev   (Dagster UI on the sandbox)")


def cmd_dev(args: argparse.Namespace) -> int:
    """Start the sandbox, register its profiles and serve the Dagster UI wired to it."""
    check_port_free("dev", args.host, args.port)
    data_dir = Path(args.data_dir).resolve()
    project = project_dir()
    home = prepare_dagster_home(Path.cwd(), project)
    import dagster as dg

    from sandbox.pipeline import register_profiles
    from sandbox.world import start_sandbox

    with start_sandbox(_sandbox_config(args)) as world:
        env = {**os.environ, "DAGSTER_HOME": str(home), **world.intrend_env(data_dir)}
        register_profiles(dg.DagsterInstance.get(), list(world.usernames())[: args.profiles])
        print(f"sandbox: Instagram {world.instagram_url}, proxy {world.proxy_url}")
        command = dagster_dev_command(args.host, args.port, project / "workspace.yaml")
        ui = UiAddress("dev", args.host, args.port)
        return run_until_stopped(command, env, project, ui)


def _sandbox_options(p: argparse.ArgumentParser, profiles: int) -> None:
    p.add_argument(
        "--profiles",
        type=_at_least(1, int, "a whole number of profiles, at least 1"),
        default=profiles,
        help="sandbox profiles to track",
    )
    p.add_argument("--seed", type=int, default=7, help="seed of the sandbox's content")
    p.add_argument(
        "--budget",
        type=_at_least(1, int, "a whole number of requests, at least 1"),
        default=50,
        help="profile requests per IP per window",
    )
    p.add_argument(
        "--speed",
        type=_at_least(0, float, "a number of sandbox seconds above 0"),
        default=60.0,
        help="sandbox seconds per real second",
    )
    p.add_argument(
        "--routes",
        type=_at_least(1, int, "a whole number of routes, at least 1"),
        default=1,
        help="egress routes: simulated modems, each with its own proxy and carrier blocks "
        "(INTREND_ROUTES names them for the code location)",
    )
    p.add_argument("--data-dir", default="data", help="raw store and warehouse folder")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intrend",
        description="Hashtag trends from public Instagram profiles, fetched through a rotating "
        "4G modem. demo and dev run offline on the sandbox; serve runs on the INTREND_* "
        "environment variables (the real modem).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole pipeline on the sandbox and print trends")
    _sandbox_options(demo, 300)
    demo.add_argument(
        "--top",
        type=_at_least(1, int, "a whole number of hashtags, at least 1"),
        default=10,
        help="rising hashtags to print",
    )
    demo.add_argument(
        "--login-wall",
        action="append",
        type=_wall,
        metavar="STRATEGY=SHARE",
        help="close a fetch strategy to anonymous requests for a share of the profiles, as "
        "Instagram does (repeatable; default web_profile_info=0.25, so the run shows the "
        "fallback; web_profile_info=0 keeps every door open)",
    )
    demo.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="Dagster's console log level (INFO shows fetch progress; WARNING is quiet)",
    )
    demo.set_defaults(func=cmd_demo)

    dev = sub.add_parser("dev", help="start the sandbox and the Dagster UI wired to it")
    _sandbox_options(dev, 100)
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=port_number, default=3000)
    dev.set_defaults(func=cmd_dev)

    add_serve_command(sub)
    add_parked_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
