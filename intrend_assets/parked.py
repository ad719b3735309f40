"""Parked profiles, listed and re-armed by hand (a command, so it reads the settings)::

    intrend parked                    # who is parked, why, since when
    intrend rearm NAME [NAME...]
    intrend rearm --all-parked

(``python -m intrend_assets.parked ...`` is the same.)

The raw store is the deployment's (``INTREND_RAW_URL``, else ``INTREND_RAW_DIR``, else
``INTREND_DATA_DIR``/raw) unless
``--raw-dir`` says otherwise. Re-arming forgets a profile's failure record, so the refresh
sensor asks for it again at its next tick (at once if it was never fetched).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from intrend_assets.raw_store.store import LocalRawStore, RawStore, open_raw_store
from intrend_assets.tracking.usernames import is_valid_username


def parked(store: RawStore) -> list[dict[str, object]]:
    """The failure records of parked profiles."""
    return [
        record
        for record in store.failures()
        if is_valid_username(record.get("username"))
        and store.cadence(str(record["username"])).parked
    ]


def add_parked_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``parked`` and ``rearm``, for ``intrend``'s parsers."""
    listing = sub.add_parser("parked", help="list profiles parked after repeated failures")
    rearm = sub.add_parser("rearm", help="re-arm parked profiles so they are refreshed again")
    rearm.add_argument("names", nargs="*")
    rearm.add_argument("--all-parked", action="store_true")
    for command in (listing, rearm):
        command.add_argument(
            "--raw-dir", type=Path, help="raw store folder (default: the settings')"
        )
        command.set_defaults(func=run_parked_command, parser=command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intrend_assets.parked")
    add_parked_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run_parked_command(args)


def run_parked_command(args: argparse.Namespace) -> int:
    parser = args.parser
    store: RawStore
    if args.raw_dir is None:
        from intrend_assets.settings import load_settings

        settings = load_settings()
        store = open_raw_store(settings.raw_store_url(), endpoint=settings.raw_endpoint)
    else:
        store = LocalRawStore(args.raw_dir)
    if args.command == "parked":
        for record in parked(store):
            since = record.get("first_failed_at", record["failed_at"])
            count = record.get("consecutive", 1)
            print(f"{record['username']}\t{record['outcome']}\t{count} in a row since {since}")
        return 0
    names = [str(r["username"]) for r in parked(store)] if args.all_parked else args.names
    if not names:
        parser.error("name profiles to re-arm, or --all-parked")
    for name in names:
        print(f"{name}: {'re-armed' if store.rearm(name) else 'had no failure record'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
