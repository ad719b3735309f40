"""Media before they expire (issue 21): losses, renewals, throughput, disk, on the sandbox CDN.

Two scenarios on one sandbox (in its own process), each over its own profiles:

- **behind**: profiles are fetched in batches; after each batch the sandbox clock moves on by
  ``--lag`` of the CDN's expiry window and the media stage archives what was fetched. The
  downloader thus runs behind the fetcher by less than the window: media lost to expiry
  must be 0. Its wall time gives media per second against the sandbox CDN (the CDN's own
  budget off, so the figure is the downloader's, not the sandbox's limit), and the media
  store's size the disk per 1,000 posts (thumbnails mode).
- **after**: profiles are fetched (with a timeline page past the profile's first 12 posts),
  the clock moves past the expiry, then the media stage runs: every medium must be archived
  after a renewal or recorded ``expired`` with why; none silently missing.

Run:  .venv/bin/python benchmarks/media.py --profiles 1000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.media.archive import MediaReport
from intrend_assets.media.run import archive_new_fetches
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.blobs import LocalBlobs
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.process import sandbox_process


def _settings(info: dict[str, Any], root: Path, **changes: Any) -> IntrendSettings:
    return IntrendSettings(
        instagram_base_url=info["instagram_url"],
        proxy_url=info["proxy_url"],
        modem_url=info["modem_url"],
        raw_dir=root,
        media_allowed_origins=[info["cdn_url"]],
        **changes,
    )


def fetch(modem_url: str, modem_token: str, names: list[str], s: IntrendSettings) -> FetchReport:
    """Fetch ``names`` into the raw store of ``s`` with the plain fetcher (the tests use it)."""

    async def go() -> FetchReport:
        client = InstagramClient(s.client_config())
        modem = ModemClient(modem_url, modem_token)
        try:
            gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
            strategies = (["web_profile_info"], ["graphql_query_hash"])
            bound = BoundStrategies.from_clients(client, *strategies)
            return await fetch_profiles(
                names, bound, gate, LocalRawStore(s.resolved_raw_dir()), s.fetch_policy()
            )
        finally:
            await client.aclose()
            await modem.aclose()

    return asyncio.run(go())


def _archive(s: IntrendSettings) -> tuple[MediaReport, set[tuple[str, ...]], float]:
    """One media run; the keys of every medium it looked at, and its wall time."""
    raw = LocalRawStore(s.resolved_raw_dir())
    config = s.client_config()
    started = time.perf_counter()
    report, todo = archive_new_fetches(raw, s.media_config(), lambda: InstagramClient(config))
    keys = {(r.username, *map(str, r.key)) for refs in todo.refs.values() for r in refs}
    return report, keys, time.perf_counter() - started


def _advance(info: dict[str, Any], seconds: float) -> None:
    httpx.post(f"{info['instagram_url']}/_sandbox/advance", params={"seconds": seconds})


@dataclass
class Audit:
    looked_at: int  # distinct media the fetches listed
    recorded: dict[str, int]  # status -> media
    missing: int  # listed, never recorded
    posts: int


def _audit(root: Path, keys: set[tuple[str, ...]]) -> Audit:
    store = MediaStore(LocalBlobs(root))
    latest: dict[tuple[str, ...], str] = {}
    for username in store.usernames():
        for r in store.records(username):
            latest[(username, r.post_id, r.kind, str(r.position))] = r.status
    counts: dict[str, int] = {}
    for status in latest.values():
        counts[status] = counts.get(status, 0) + 1
    posts = len({k[1] for k in keys if k[2] == "thumbnail"})
    return Audit(len(keys), counts, len(keys - set(latest)), posts)


def _disk(root: Path) -> int:
    return MediaStore(LocalBlobs(root)).bytes_stored()


def behind(info: dict[str, Any], names: list[str], args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="media-behind-"))
    s = _settings(info, root, media_max_connections=args.connections)
    keys: set[tuple[str, ...]] = set()
    archived = wall = 0.0
    expired = 0
    for start in range(0, len(names), args.batch):
        fetch(info["modem_url"], info["modem_token"], names[start : start + args.batch], s)
        _advance(info, args.lag * args.window)
        report, seen, seconds = _archive(s)
        keys |= seen
        archived += report.archived
        expired += report.statuses["expired"]
        wall += seconds
    audit = _audit(root, keys)
    disk = _disk(root)
    print(
        f"behind by {args.lag:.0%} of the {args.window:.0f} s window, {len(names)} profiles: "
        f"{audit.looked_at} media, {audit.recorded}, lost to expiry {expired}, "
        f"missing {audit.missing}"
    )
    print(
        f"  throughput {archived / wall:.0f} media/s ({archived:.0f} in {wall:.1f} s, "
        f"{args.connections} connections)"
    )
    print(
        f"  disk {disk / 1e6:.2f} MB for {audit.posts} posts: "
        f"{disk / audit.posts * 1000 / 1e6:.2f} MB per 1,000 posts (thumbnails mode)"
    )


def after(info: dict[str, Any], names: list[str], args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="media-after-"))
    s = _settings(info, root, max_posts=24, media_max_connections=args.connections)
    fetch(info["modem_url"], info["modem_token"], names, s)
    _advance(info, 1.5 * args.window)
    report, keys, seconds = _archive(s)
    audit = _audit(root, keys)
    print(
        f"started after the expiry, {len(names)} profiles: {audit.looked_at} media, "
        f"{audit.recorded}, renewals {report.renewals} ({report.renewals_failed} failed), "
        f"missing {audit.missing}, {seconds:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--after-profiles", type=int, default=None, help="default: --profiles")
    parser.add_argument("--batch", type=int, default=100, help="profiles per fetch run")
    parser.add_argument("--window", type=float, default=3600.0, help="CDN expiry (sandbox s)")
    parser.add_argument("--lag", type=float, default=0.5, help="media behind, share of window")
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    after_profiles = args.after_profiles or args.profiles
    options = (
        f"--profiles={args.profiles + after_profiles}",
        "--seed=21",
        "--budget=1000000000",
        "--page-budget=1000000000",
        "--odd-4xx-share=0",
        "--cdn-budget=0",
        f"--cdn-expiry-seconds={args.window}",
        "--cdn-expiry-jitter-seconds=0",
        "--rotation-seconds=0",
    )
    with sandbox_process(*options) as info:
        names = info["truth"]["public_usernames"]
        behind(info, names[: args.profiles], args)
        after(info, names[args.profiles : args.profiles + after_profiles], args)


if __name__ == "__main__":
    main()
