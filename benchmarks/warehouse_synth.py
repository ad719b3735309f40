"""Synthetic data for the warehouse benchmarks: raw answers shaped like web_profile_info, and
a posts_wide filled directly inside DuckDB for the query benchmarks.

Each body carries the fields a real answer carries around the ones we use (dimensions,
thumbnail resources, preview blobs, tagged users, sidecar children...), so decoding and
JSON parsing cost what they cost in production. Hashtags follow a Zipf-like popularity with a
few tags planted to rise in the last week.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
PLANTED = ("NewWave", "summer26", "Ωmega")
_WORDS = [
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "it",
    "you",
    "that",
    "he",
    "was",
    "for",
    "on",
    "are",
    "with",
    "as",
    "his",
    "they",
    "be",
    "at",
    "one",
    "have",
    "this",
    "from",
    "or",
    "had",
    "by",
    "hot",
    "word",
    "but",
    "what",
    "some",
    "we",
    "can",
    "out",
    "other",
    "were",
    "all",
    "there",
    "when",
    "up",
    "use",
    "your",
    "how",
    "said",
    "an",
    "each",
    "she",
    "which",
    "do",
    "their",
    "time",
    "if",
    "will",
    "way",
    "about",
    "many",
    "then",
    "them",
    "write",
    "would",
    "like",
    "so",
    "these",
    "her",
    "long",
    "make",
    "thing",
    "see",
    "him",
    "two",
    "has",
    "look",
    "more",
    "day",
    "could",
    "go",
    "come",
    "did",
]


def _tags(rng: random.Random, n: int = 5000) -> list[str]:
    out = []
    for i in range(n):
        stem = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10)))
        out.append(stem.title() if i % 7 == 0 else stem + (str(i % 97) if i % 5 == 0 else ""))
    return out


def _cdn(rng: random.Random, expires: int) -> str:
    return (
        f"https://scontent-cdt1-1.cdninstagram.com/v/t51.2885-15/{rng.getrandbits(60)}_n.jpg"
        f"?stp=dst-jpg_e35&_nc_ht=scontent-cdt1-1.cdninstagram.com&_nc_cat=1"
        f"&_nc_ohc={rng.getrandbits(40):x}&edm=AOQ1c0wBAAAA&ccb=7-5"
        f"&oh=00_{rng.getrandbits(120):x}&oe={expires:08X}&_nc_sid=8fd12b"
    )


def bodies(
    posts: int, *, posts_per_body: int = 12, days: int = 60, seed: int = 1
) -> Iterator[tuple[str, bytes]]:
    """``(username, JSON body)`` until ``posts`` posts have been produced."""
    rng = random.Random(seed)
    vocab = _tags(rng)
    weights = [1 / (i + 1) ** 1.1 for i in range(len(vocab))]
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    expires = int((AS_OF + timedelta(days=3)).timestamp())
    made = 0
    profile = 0
    while made < posts:
        n = min(posts_per_body, posts - made)
        user_id = str(10_000_000 + profile)
        username = f"user{profile:07d}"
        nodes = []
        for i in range(n):
            taken = AS_OF - timedelta(seconds=rng.uniform(0, days * 86400))
            tags = rng.choices(vocab, cum_weights=cum, k=rng.randint(0, 8))
            if taken > AS_OF - timedelta(days=7) and rng.random() < 0.05:
                tags.append(rng.choice(PLANTED))
            words = rng.choices(_WORDS, k=rng.randint(3, 30))
            caption = " ".join(words) + " " + " ".join("#" + t for t in tags)
            if rng.random() < 0.3:
                caption += f" @friend{rng.randint(1, 999)}"
            kind = rng.choices(("GraphImage", "GraphVideo", "GraphSidecar"), (6, 2, 2))[0]
            node = {
                "__typename": kind,
                "id": str(2_800_000_000_000_000_000 + profile * 1000 + i),
                "shortcode": "".join(rng.choices(string.ascii_letters, k=11)),
                "dimensions": {"height": 1080, "width": 1080},
                "display_url": _cdn(rng, expires),
                "edge_media_to_tagged_user": {"edges": []},
                "fact_check_overall_rating": None,
                "fact_check_information": None,
                "gating_info": None,
                "sharing_friction_info": {
                    "should_have_sharing_friction": False,
                    "bloks_app_url": None,
                },
                "media_overlay_info": None,
                "media_preview": "".join(rng.choices(string.ascii_letters, k=120)),
                "owner": {"id": user_id, "username": username},
                "is_video": kind == "GraphVideo",
                "has_upcoming_event": False,
                "accessibility_caption": None if kind == "GraphVideo" else "Photo by someone.",
                "edge_media_to_caption": {"edges": [{"node": {"text": caption}}]}
                if rng.random() > 0.05
                else {"edges": []},
                "edge_media_to_comment": {"count": rng.randint(0, 5000)},
                "comments_disabled": False,
                "taken_at_timestamp": int(taken.timestamp()),
                "edge_liked_by": {"count": rng.randint(0, 100_000)},
                "edge_media_preview_like": {"count": 0, "edges": []},
                "location": None
                if rng.random() < 0.7
                else {
                    "id": str(rng.randint(1, 10**9)),
                    "has_public_page": True,
                    "name": "Somewhere " + rng.choice(_WORDS),
                    "slug": "somewhere",
                },
                "nft_asset_info": None,
                "thumbnail_src": _cdn(rng, expires),
                "thumbnail_resources": [
                    {"src": _cdn(rng, expires), "config_width": w, "config_height": w}
                    for w in (150, 240, 320, 480, 640)
                ],
                "coauthor_producers": [],
                "pinned_for_users": [],
                "product_type": "clips" if kind == "GraphVideo" else "feed",
            }
            if kind == "GraphVideo":
                node["video_view_count"] = rng.randint(0, 10**6)
                node["video_url"] = _cdn(rng, expires)
            if kind == "GraphSidecar":
                node["edge_sidecar_to_children"] = {
                    "edges": [
                        {
                            "node": {
                                "__typename": "GraphImage",
                                "id": str(rng.getrandbits(62)),
                                "display_url": _cdn(rng, expires),
                                "is_video": False,
                            }
                        }
                        for _ in range(rng.randint(2, 5))
                    ]
                }
            nodes.append(node)
        body = {
            "data": {
                "user": {
                    "biography": "Just " + " ".join(rng.choices(_WORDS, k=8)),
                    "external_url": None,
                    "edge_followed_by": {"count": rng.randint(100, 10**7)},
                    "edge_follow": {"count": rng.randint(0, 5000)},
                    "full_name": username.title(),
                    "id": user_id,
                    "is_business_account": rng.random() < 0.3,
                    "is_private": False,
                    "is_verified": rng.random() < 0.05,
                    "category_name": rng.choice([None, "Artist", "Creator", "Athlete"]),
                    "profile_pic_url": _cdn(rng, expires),
                    "profile_pic_url_hd": _cdn(rng, expires),
                    "username": username,
                    "edge_felix_video_timeline": {"count": 0, "edges": []},
                    "edge_owner_to_timeline_media": {
                        "count": rng.randint(n, 5000),
                        "page_info": {"has_next_page": True, "end_cursor": "QVFB" + "x" * 60},
                        "edges": [{"node": nd} for nd in nodes],
                    },
                    "edge_saved_media": {"count": 0, "edges": []},
                }
            },
            "status": "ok",
        }
        yield username, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        made += n
        profile += 1


def fill_posts_wide(con: duckdb.DuckDBPyConnection, posts: int, *, days: int = 365) -> None:
    """Append ``posts`` rows to posts_wide, spread uniformly over the ``days`` before AS_OF.

    Built in SQL rather than through :func:`bodies` and the load: 10M posts take ~25 s this
    way, hours through Python parsing. 0-8 hashtags a post from a 5,000-tag vocabulary with a
    cubic (Zipf-like) skew, one tag (NewWave) planted in the last week; rows written in
    taken_at order, as ``rebuild_posts_wide`` writes them, so window scans can skip row groups.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE vocab AS
        SELECT list(CASE WHEN i % 7 = 0 THEN 'Tag' || i ELSE 'tag' || i END ORDER BY i) AS v
        FROM range(5000) AS t(i);
        """
    )
    con.execute(
        """
        INSERT INTO posts_wide BY NAME
        WITH base AS (
            SELECT i,
                   CAST($as_of AS TIMESTAMPTZ) - to_microseconds(
                       CAST(random() * CAST($days AS BIGINT) * 86400e6 AS BIGINT)
                   ) AS taken_at,
                   CAST(floor(random() * 9) AS INTEGER) AS k
            FROM range(CAST($posts AS BIGINT)) AS t(i)
        ),
        tagged AS (
            SELECT b.i, b.taken_at,
                   list_transform(range(b.k),
                       lambda j: vocab.v[1 + CAST(floor(4999 * pow(random(), 3)) AS INTEGER)])
                   || CASE WHEN b.taken_at > CAST($as_of AS TIMESTAMPTZ) - INTERVAL 7 DAY
                                AND random() < 0.05
                           THEN ['NewWave'] ELSE [] END AS hashtags
            FROM base AS b, vocab
        )
        SELECT CAST(i AS VARCHAR) AS post_id,
               CAST(i % 20000 AS VARCHAR) AS owner_id,
               'user' || (i % 20000) AS owner_username,
               taken_at,
               CAST(timezone('UTC', taken_at) AS DATE) AS taken_day,
               hashtags,
               list_transform(hashtags, lambda t: lower(t)) AS hashtags_norm,
               list_distinct(hashtags_norm) AS tags,
               len(hashtags) AS hashtag_count,
               CAST(random() * 1000 AS BIGINT) AS like_count,
               CAST(random() * 50 AS BIGINT) AS comment_count
        FROM tagged
        ORDER BY taken_at, post_id
        """,
        {"posts": posts, "days": days, "as_of": AS_OF},
    )


def fill_hashtag_daily(con: duckdb.DuckDBPyConnection) -> None:
    """``hashtag_daily`` from the posts_wide that :func:`fill_posts_wide` made (there are no
    ``posts``/``post_hashtags`` behind it): distinct posts and uses per tag and UTC day, what
    ``rebuild_hashtag_daily`` computes from the normalized tables."""
    con.execute(
        """
        DELETE FROM hashtag_daily;
        INSERT INTO hashtag_daily BY NAME
        SELECT tag_norm, day, count(DISTINCT post_id) AS posts, count(*) AS uses
        FROM (SELECT post_id, taken_day AS day, unnest(hashtags_norm) AS tag_norm
              FROM posts_wide WHERE taken_at IS NOT NULL)
        GROUP BY ALL;
        """
    )
