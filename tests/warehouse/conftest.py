"""Synthetic answers shaped like the real endpoint, and a fresh warehouse per test."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from intrend_assets.parsing.profile import ParsedProfile, parse_profile
from warehouse.db import connect

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT.parent / "shared" / "real-samples" / "instagram"
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def node(
    post_id: str,
    owner: tuple[str, str],
    taken_at: datetime,
    caption: str | None,
    *,
    likes: int = 10,
    comments: int = 1,
    page: bool = False,
) -> dict[str, Any]:
    """One timeline node; likes under edge_liked_by (profile) or the preview key (page)."""
    like_key = "edge_media_preview_like" if page else "edge_liked_by"
    return {
        "__typename": "GraphImage",
        "id": post_id,
        "shortcode": f"s{post_id}",
        "owner": {"id": owner[0], "username": owner[1]},
        "is_video": False,
        "display_url": f"https://scontent.cdninstagram.com/v/{post_id}.jpg?x=1&oe=6A000000",
        "edge_media_to_caption": {"edges": [{"node": {"text": caption}}] if caption else []},
        "edge_media_to_comment": {"count": comments},
        like_key: {"count": likes},
        "taken_at_timestamp": int(taken_at.timestamp()),
        "location": None,
    }


def profile_body(
    user_id: str, username: str, nodes: list[dict[str, Any]], *, followers: int = 1000
) -> dict[str, Any]:
    return {
        "data": {
            "user": {
                "id": user_id,
                "username": username,
                "full_name": username.title(),
                "biography": "",
                "edge_followed_by": {"count": followers},
                "edge_follow": {"count": 10},
                "is_private": False,
                "is_verified": False,
                "category_name": None,
                "edge_owner_to_timeline_media": {
                    "count": len(nodes),
                    "page_info": {"has_next_page": False, "end_cursor": None},
                    "edges": [{"node": n} for n in nodes],
                },
            }
        },
        "status": "ok",
    }


def page_body(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": {
            "user": {
                "edge_owner_to_timeline_media": {
                    "count": len(nodes),
                    "page_info": {"has_next_page": True, "end_cursor": "abc"},
                    "edges": [{"node": n} for n in nodes],
                }
            }
        },
        "status": "ok",
    }


def synthetic_profiles(
    *,
    profiles: int = 12,
    posts_per_profile: int = 40,
    days: int = 35,
    as_of: datetime = AS_OF,
    planted: str = "NewWave",
    seed: int = 7,
    fetched_at: datetime | None = None,
) -> list[ParsedProfile]:
    """Background tags used evenly over ``days``; ``planted`` only in the last week, often."""
    rng = random.Random(seed)
    background = ["travel", "food", "Sunset", "love", "art", "music", "fitness", "nature"]
    fetched_at = fetched_at or as_of
    out = []
    for p in range(profiles):
        owner = (str(1000 + p), f"user{p}")
        nodes = []
        for i in range(posts_per_profile):
            taken = as_of - timedelta(seconds=rng.uniform(60, days * 86400))
            tags = rng.sample(background, 3)
            if taken > as_of - timedelta(days=7) and rng.random() < 0.6:
                tags.append(planted)
            caption = "Photo of the day " + " ".join(f"#{t}" for t in tags) + " @friend"
            nodes.append(node(f"{p}_{i}", owner, taken, caption, likes=rng.randint(0, 500)))
        out.append(
            parse_profile(
                profile_body(owner[0], owner[1], nodes, followers=1000 + p),
                fetched_at=fetched_at,
                username=owner[1],
            )
        )
    return out


def numbered(answers: list[ParsedProfile]) -> list[ParsedProfile]:
    """The answers with each post id made a number, as Instagram's media ids are: the
    synthetic ids ("0_1") are not, and send key lookups to the post_id column; these go by
    post_num (warehouse.load.keys). Each id maps to the same number wherever it appears."""

    def number(post_id: str) -> str:
        return str(3 * 10**18 + int(hashlib.md5(post_id.encode()).hexdigest()[:13], 16))

    return [
        dataclasses.replace(
            a,
            post_columns={
                **a.post_columns,
                "post_id": [number(i) for i in a.post_columns["post_id"]],
            },
        )
        for a in answers
    ]


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    """All rows in a stable order, for comparing whole tables."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    order = ", ".join(f"CAST({c} AS VARCHAR)" for c in cols)
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


TABLES = (
    "profiles",
    "profile_snapshots",
    "posts",
    "post_metrics",
    "post_hashtags",
    "hashtag_daily",
    "posts_wide",
    "fetch_log",
    "ip_log",
)


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: table_rows(con, t) for t in TABLES}


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "warehouse.duckdb")
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def real_parsed() -> list[ParsedProfile]:
    names = ["web_profile_info_2022.json", "timeline_page_2020.json", "timeline_page_2017.json"]
    if not all((SAMPLES / n).exists() for n in names):
        pytest.skip("real samples missing: CI keeps ../shared beside the clone")
    fetched = datetime(2022, 6, 1, tzinfo=UTC)
    return [parse_profile((SAMPLES / n).read_bytes(), fetched_at=fetched) for n in names]
