"""``intrend``: the project's command line.

``intrend demo`` runs the whole pipeline on the offline sandbox and prints the rising
hashtags; ``intrend dev`` starts the sandbox and the Dagster UI wired to it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the sandbox is imported lazily: production never loads it
    from sandbox.world import SandboxConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


POSTGRES_INSTANCE_YAML = PROJECT_ROOT / "deploy" / "dagster" / "dagster.postgres.yaml"


def _instance_yaml() -> Path:
    """The instance config to use: PostgreSQL when ``DAGSTER_PG_HOST`` is set, SQLite otherwise.

    YAML cannot branch on the environment, so the choice is made here. The PostgreSQL file
    reads its connection from ``DAGSTER_PG_*``; port and password get their usual defaults.
    """
    if not os.environ.get("DAGSTER_PG_HOST"):
        return PROJECT_ROOT / "dagster.yaml"
    missing = [v for v in ("DAGSTER_PG_USER", "DAGSTER_PG_DB") if not os.environ.get(v)]
    if missing:
        raise SystemExit(f"DAGSTER_PG_HOST is set but {', '.join(missing)} is not")
    os.environ.setdefault("DAGSTER_PG_PORT", "5432")
    os.environ.setdefault("DAGSTER_PG_PASSWORD", "")
    return POSTGRES_INSTANCE_YAML


def _dagster_home(base: Path) -> Path:
    """Prepare ``base/.dagster`` as DAGSTER_HOME with the project's instance config in it.

    Dagster reads its instance config only from $DAGSTER_HOME; keeping the storage there too
    keeps runs, event logs and schedules in one folder inside the project (SQLite), unless
    ``DAGSTER_PG_HOST`` selects PostgreSQL (see ``_instance_yaml``). Also sets
    ``DAGSTER_EVENT_BATCH_SIZE`` (unless already set) so event batches reach the storage.
    """
    home = (base / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    source = _instance_yaml()
    if source.is_file():
        shutil.copyfile(source, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    # Without it Dagster writes a ranged run's per-partition events one at a time; every
    # process started from here (dagster dev's webserver, daemon, code server, run workers)
    # inherits it. See intrend_assets/lib/storage.py.
    from intrend_assets.lib.storage import EVENT_BATCH_SIZE

    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    return home


def _sandbox_config(args: argparse.Namespace) -> SandboxConfig:
    from sandbox.world import SandboxConfig

    return SandboxConfig(
        profiles=args.profiles,
        seed=args.seed,
        budget=args.budget,
        speed=args.speed,
    )


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


def describe_checks(evaluations: Sequence[object]) -> str:
    """One line on a run's asset checks: a failed warning-severity check (one that watches
    the fetch strategies, say) is a warning to read, not a failure of the demo."""
    import dagster as dg

    failed = [e for e in evaluations if not getattr(e, "passed", True)]
    errors = [e.check_name for e in failed if e.severity != dg.AssetCheckSeverity.WARN]  # type: ignore[attr-defined]
    warned = [e.check_name for e in failed if e.severity == dg.AssetCheckSeverity.WARN]  # type: ignore[attr-defined]
    parts = []
    if errors:
        parts.append(f"FAILED {', '.join(errors)}")
    if warned:
        parts.append(f"warning from {', '.join(warned)}")
    return "; ".join(parts) if parts else f"all {len(evaluations)} passed"


def cmd_demo(args: argparse.Namespace) -> int:
    """Sandbox → raw_profile → posts → hashtag_counts → posts_wide, then the rising hashtags."""
    started = time.monotonic()
    data_dir = Path(args.data_dir).resolve()
    _dagster_home(Path.cwd())

    import dagster as dg

    # backfill_policy is marked beta in Dagster 1.13; the warning says nothing a user can act on.
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    import polars as pl

    from intrend_assets.definitions import ASSETS, build_resources
    from intrend_assets.defs.profiles.jobs import PROFILE_ASSETS
    from intrend_assets.defs.profiles.partitions import profiles_partitions
    from intrend_assets.defs.warehouse.checks import ASSET_CHECKS
    from intrend_assets.defs.warehouse.jobs import WAREHOUSE_ASSETS
    from intrend_assets.settings import IntrendSettings
    from sandbox.world import start_sandbox
    from warehouse.db import connect
    from warehouse.formatting import format_table
    from warehouse.queries import run_query

    print(f"intrend demo: {args.profiles} sandbox profiles, data in {data_dir}", flush=True)
    with start_sandbox(_sandbox_config(args)) as world:
        print(f"  fake Instagram  {world.instagram_url}")
        print(f"  proxy host      {world.proxy_url}")
        print(f"  modem service   {world.modem_url}", flush=True)
        walls = dict(args.login_wall or [("web_profile_info", 0.25)])
        if any(walls.values()):
            import httpx

            httpx.post(
                f"{world.instagram_url}/_sandbox/faults", json={"login_wall": walls}
            ).raise_for_status()
            closed = ", ".join(f"{k} for {v:.0%} of profiles" for k, v in walls.items() if v)
            print(f"  login wall on   {closed} (they fall back to the next strategy)")
        settings = IntrendSettings(
            data_dir=data_dir,
            instagram_base_url=world.instagram_url,
            proxy_url=world.proxy_url,
            modem_url=world.modem_url,
        )
        resources = build_resources(settings, modem_token=world.modem_token)
        usernames = list(world.usernames())[: args.profiles] + list(world.unknown_usernames())[:3]
        instance = dg.DagsterInstance.get()
        known = set(instance.get_dynamic_partitions(profiles_partitions.name))
        instance.add_dynamic_partitions(
            profiles_partitions.name, [u for u in usernames if u not in known]
        )
        keys = instance.get_dynamic_partitions(profiles_partitions.name)
        quiet = {"loggers": {"console": {"config": {"log_level": args.log_level}}}}

        print(f"[1/2] fetching and parsing {len(keys)} profiles …", flush=True)
        fetched = dg.materialize(
            ASSETS,
            selection=PROFILE_ASSETS,
            resources=resources,
            instance=instance,
            run_config=quiet,
            tags={
                "dagster/asset_partition_range_start": keys[0],
                "dagster/asset_partition_range_end": keys[-1],
            },
        )
        print("[2/2] building the warehouse tables …", flush=True)
        built = dg.materialize(
            [*ASSETS, *ASSET_CHECKS],
            selection=WAREHOUSE_ASSETS,
            resources=resources,
            instance=instance,
            run_config=quiet,
        )
        checks = describe_checks(built.get_asset_check_evaluations())
        raw_meta = fetched.asset_materializations_for_node("raw_profile")[0].metadata
        served = raw_meta["served_by_strategy"].value
        planted = set(world.planted_trends())
        stats = world.stats()

    db_path = settings.resolved_warehouse_path()
    con = connect(db_path, read_only=True)
    try:
        rising = run_query(
            con, "rising_hashtags", as_of=datetime.now(UTC), limit=args.top
        ).to_dicts()
        totals = con.execute(
            "select count(*), count(distinct owner_username) from posts_wide"
        ).fetchone()
    finally:
        con.close()
    from intrend_assets.hashtags import normalize_hashtag

    planted_norm = {normalize_hashtag(t) for t in planted}
    for row in rising:
        tag = str(row.get("tag") or row.get("tag_norm") or "")
        row["planted"] = "yes" if normalize_hashtag(tag) in planted_norm else ""
    print()
    print(f"Top {len(rising)} rising hashtags (last 7 days vs the 28 before):")
    if rising:
        columns = ["tag", "recent_posts", "baseline_posts", "recent_profiles", "lift", "planted"]
        print(format_table(pl.DataFrame(rising).select(columns), footer=False))
    print()
    print(f"Planted trends in the sandbox: {', '.join(sorted(planted))}")
    print(f"Sandbox requests: {stats.get('total', stats)}")
    ways = ", ".join(f"{name} {count}" for name, count in served.items()) or "none"
    print(f"Profiles served by strategy: {ways}")
    assert totals is not None
    print(f"posts_wide: {totals[0]} posts from {totals[1]} profiles")
    print(f"DuckDB warehouse: {db_path}")
    print(f"trend report:     {db_path.parent / 'trend_report.md'} (chart: trend_report.png)")
    print(f"asset checks:     {checks}")
    print(f"  query it:  .venv/bin/intrend-warehouse query rising_hashtags --db {db_path}")
    print("  browse it: make dev   (Dagster UI on the sandbox)")
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    """Start the sandbox, register its profiles and serve the Dagster UI wired to it."""
    data_dir = Path(args.data_dir).resolve()
    home = _dagster_home(Path.cwd())
    import dagster as dg

    from intrend_assets.defs.profiles.partitions import profiles_partitions
    from sandbox.world import start_sandbox

    with start_sandbox(_sandbox_config(args)) as world:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "INTREND_DATA_DIR": str(data_dir),
            "INTREND_INSTAGRAM_BASE_URL": world.instagram_url,
            "INTREND_PROXY_URL": world.proxy_url,
            "INTREND_MODEM_URL": world.modem_url,
            "INTREND_MODEM_TOKEN": world.modem_token,
        }
        instance = dg.DagsterInstance.get()
        known = set(instance.get_dynamic_partitions(profiles_partitions.name))
        new = [u for u in list(world.usernames())[: args.profiles] if u not in known]
        instance.add_dynamic_partitions(profiles_partitions.name, new)
        print(f"sandbox: Instagram {world.instagram_url}, proxy {world.proxy_url}")
        print(f"Dagster UI: http://{args.host}:{args.port}", flush=True)
        command = [
            str(Path(sys.executable).parent / "dagster"),
            "dev",
            "-h",
            args.host,
            "-p",
            str(args.port),
            "-w",
            str(PROJECT_ROOT / "workspace.yaml"),
        ]
        return _run_until_stopped(command, env)


def _run_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run ``command``; on Ctrl-C or SIGTERM stop it (and its children) before returning.

    Without this, terminating ``intrend dev`` would leave ``dagster dev`` running after the
    sandbox it points at is gone.
    """
    child = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, start_new_session=True)  # noqa: S603

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intrend",
        description="Hashtag trends from public Instagram profiles, fetched through a rotating "
        "4G modem. Everything here runs offline on the sandbox unless configured otherwise "
        "(INTREND_* environment variables).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def sandbox_options(p: argparse.ArgumentParser, profiles: int) -> None:
        p.add_argument("--profiles", type=int, default=profiles, help="sandbox profiles to track")
        p.add_argument("--seed", type=int, default=7, help="seed of the sandbox's content")
        p.add_argument("--budget", type=int, default=50, help="profile requests per IP per window")
        p.add_argument("--speed", type=float, default=60.0, help="sandbox seconds per real second")
        p.add_argument("--data-dir", default="data", help="raw store and warehouse folder")

    demo = sub.add_parser("demo", help="run the whole pipeline on the sandbox and print trends")
    sandbox_options(demo, 300)
    demo.add_argument("--top", type=int, default=10, help="rising hashtags to print")
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
    sandbox_options(dev, 100)
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=cmd_dev)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
