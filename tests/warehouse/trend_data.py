"""A small warehouse with trends planted for the trend-analysis tests.

Twelve profiles post over 35 days with background tags, words and mentions; in the last
week eight of them take up ``#NewWave``, the word "eclipse" and ``@newbrand``, and two of
them post ``#ラーメン料理`` three times between them (a high lift from too few profiles).
Each profile is fetched on three days with growing followers (profile_snapshots).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import duckdb

from intrend_assets.parsing.profile import parse_profile
from warehouse.load import load_parsed, rebuild_posts_wide, refresh_hashtag_daily

from .conftest import AS_OF, node, profile_body

BACKGROUND = ["travel", "food", "Sunset", "love", "art", "music", "fitness", "nature"]
WORDS = ["morning", "coffee", "friends", "weekend", "beach", "city", "dinner", "walking"]
FETCHES = (AS_OF - timedelta(days=20), AS_OF - timedelta(days=10), AS_OF)


def _caption(rng: random.Random, taken: datetime, p: int, i: int) -> str:
    tags = rng.sample(BACKGROUND, 3)
    words = rng.sample(WORDS, 3)
    mentions = [rng.choice(["friend", "mom", "team"])]
    if taken > AS_OF - timedelta(days=7) and p < 8 and rng.random() < 0.6:
        tags.append("NewWave")
        words.append("eclipse")
        mentions.append("NewBrand")
    if p in (10, 11) and i < (2 if p == 10 else 1):
        tags.append("ラーメン料理")
    return " ".join(words) + " " + " ".join(f"#{t}" for t in tags) + " @" + " @".join(mentions)


def build_trend_warehouse(con: duckdb.DuckDBPyConnection, seed: int = 7) -> None:
    rng = random.Random(seed)
    for fetch_no, fetched_at in enumerate(FETCHES):
        parsed = []
        for p in range(12):
            prng = random.Random(seed * 1000 + p)  # the same posts at every fetch
            owner = (str(1000 + p), f"user{p}")
            nodes = []
            for i in range(40):
                if p in (10, 11) and i < 2:
                    taken = AS_OF - timedelta(days=1, hours=i + 1)
                else:
                    taken = AS_OF - timedelta(seconds=prng.uniform(60, 35 * 86400))
                if taken > fetched_at:
                    continue
                nodes.append(
                    node(
                        f"{p}_{i}",
                        owner,
                        taken,
                        _caption(prng, taken, p, i),
                        likes=rng.randint(0, 500),
                    )
                )
            followers = 1000 + 100 * p + fetch_no * (300 if p < 8 else 10)
            parsed.append(
                parse_profile(
                    profile_body(owner[0], owner[1], nodes, followers=followers),
                    fetched_at=fetched_at,
                    username=owner[1],
                )
            )
        load_parsed(con, parsed)
    refresh_hashtag_daily(con)
    rebuild_posts_wide(con)
