"""Benchmark: ``parse_profile`` against the floor, in posts per CPU-second.

    python benchmarks/parse_profile.py                  # 24,000 posts, 5 rounds
    python benchmarks/parse_profile.py --posts 60000 --rounds 7

The floor is what no parser of these answers can beat in Python: zstd decompression,
``orjson.loads`` and a plain read of every field the warehouse keeps (no hashtags, no
types checked, no rows built). ``parse_profile`` does all of that and the rest (every shape,
hashtags and mentions by the conformance rules, nulls for drifted fields, the column lists the
loader takes). Both read the same zstd bodies (``benchmarks/warehouse_synth.py``); each round
runs floor then parser (interleaved, in this one process, CPU time from
``time.process_time``), and the medians and their ratio are printed.

The parser is called as the production load calls it (``loading.slices.read_fetch``): with
the fetch's username (the raw store's key) and its ``fetched_at`` as an aware UTC datetime,
so the owner checks and the stamping the load pays are measured too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

TARGET = 0.5


FETCHED_AT = datetime(2026, 6, 1, 12, tzinfo=UTC)  # a RawObject's fetched_at: aware, UTC

Answer = tuple[str, bytes]  # (username, zstd body), as the raw store keeps them


def make_bodies(posts: int) -> list[Answer]:
    import zstandard
    from warehouse_synth import bodies

    cctx = zstandard.ZstdCompressor(level=3)
    return [(username, cctx.compress(body)) for username, body in bodies(posts)]


def floor(blobs: list[Answer]) -> int:
    """zstd + orjson + plain field access of what the warehouse keeps; returns posts read."""
    import orjson
    import zstandard

    dctx = zstandard.ZstdDecompressor()
    seen = 0
    for _, blob in blobs:
        user = orjson.loads(dctx.decompressobj().decompress(blob))["data"]["user"]
        kept: list[Any] = [
            user["id"],
            user["username"],
            user["full_name"],
            user["biography"],
            user["edge_followed_by"]["count"],
            user["edge_follow"]["count"],
            user["is_private"],
            user["is_verified"],
            user["is_business_account"],
            user["category_name"],
            user["external_url"],
            user["profile_pic_url_hd"],
        ]
        media = user["edge_owner_to_timeline_media"]
        kept.append(media["page_info"]["end_cursor"])
        for edge in media["edges"]:
            node = edge["node"]
            captions = node["edge_media_to_caption"]["edges"]
            location = node["location"] or {}
            kept.extend(
                (
                    node["id"],
                    node["shortcode"],
                    node["owner"]["id"],
                    node["owner"]["username"],
                    node["taken_at_timestamp"],
                    captions[0]["node"]["text"] if captions else None,
                    node["edge_liked_by"]["count"],
                    node["edge_media_to_comment"]["count"],
                    node["__typename"],
                    node["is_video"],
                    node.get("video_view_count"),
                    node.get("edge_sidecar_to_children"),
                    node["pinned_for_users"],
                    node["product_type"],
                    node["display_url"],
                    location.get("id"),
                    location.get("name"),
                    node["accessibility_caption"],
                )
            )
            seen += 1
    return seen


def parser(blobs: list[Answer]) -> int:
    from intrend_assets.parsing.profile import parse_profile

    seen = 0
    for username, blob in blobs:
        seen += parse_profile(blob, fetched_at=FETCHED_AT, username=username).post_count
    return seen


def _timed(fn: Any, blobs: list[Answer]) -> tuple[int, float, float]:
    """``(posts, CPU seconds, wall seconds)`` of one pass."""
    wall, cpu = time.perf_counter(), time.process_time()
    posts = fn(blobs)
    return posts, time.process_time() - cpu, time.perf_counter() - wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=24_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    blobs = make_bodies(args.posts)
    parser(blobs[:50])  # imports, compiled patterns, caches: not what a load pays per post
    floor(blobs[:50])
    rates: dict[str, list[float]] = {"floor": [], "parse_profile": []}
    walls: dict[str, list[float]] = {"floor": [], "parse_profile": []}
    for _ in range(args.rounds):
        for name, fn in (("floor", floor), ("parse_profile", parser)):
            posts, cpu, wall = _timed(fn, blobs)
            rates[name].append(posts / cpu)
            walls[name].append(wall)
    print(f"{len(blobs):,} answers, {args.posts:,} posts, {args.rounds} rounds (interleaved)")
    for name, values in rates.items():
        print(
            f"  {name:<14} {statistics.median(values):>10,.0f} posts/CPU-s "
            f"(min {min(values):,.0f}, max {max(values):,.0f}), "
            f"wall {statistics.median(walls[name]):.3f} s a pass"
        )
    ratio = statistics.median(rates["parse_profile"]) / statistics.median(rates["floor"])
    verdict = "OK" if ratio >= TARGET else "MISSED"
    print(f"ratio parse_profile/floor: {ratio:.2f} (target >= {TARGET}) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
