"""What the warehouse accepts: the frames its loader takes and the hashtag counting key.

The warehouse owns these because its tables are built from them: ``posts`` has the columns of
:data:`POSTS_SCHEMA`, ``profiles`` those of :data:`PROFILE_SCHEMA`, and ``hashtag_daily`` is
keyed by :func:`normalize_hashtag`. Producers (the parser) build their output to this module;
the warehouse never imports a producer, so a change to the storage format shows here first
and the parser follows, not the other way round.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

import polars as pl
import pyarrow as pa

UTC_TIMESTAMP = pl.Datetime("us", "UTC")

POSTS_SCHEMA: pl.Schema = pl.Schema(
    {
        "post_id": pl.String,
        "shortcode": pl.String,
        "owner_id": pl.String,
        "owner_username": pl.String,
        "taken_at": UTC_TIMESTAMP,
        "caption": pl.String,
        "hashtags": pl.List(pl.String),
        "hashtags_norm": pl.List(pl.String),  # each tag through normalize_hashtag
        "mentions": pl.List(pl.String),
        "like_count": pl.Int64,
        "comment_count": pl.Int64,
        "media_type": pl.String,
        "is_video": pl.Boolean,
        "video_view_count": pl.Int64,
        "child_count": pl.Int32,
        "is_pinned": pl.Boolean,
        "product_type": pl.String,
        "display_url": pl.String,
        "display_url_expires_at": UTC_TIMESTAMP,
        "location_id": pl.String,
        "location_name": pl.String,
        "accessibility_caption": pl.String,
        "fetched_at": UTC_TIMESTAMP,  # null: the warehouse stamps its load time
    }
)
"""One row per post as one fetch saw it; the ``posts`` table has the same columns."""

PROFILE_SCHEMA: pl.Schema = pl.Schema(
    {
        "id": pl.String,
        "username": pl.String,
        "full_name": pl.String,
        "biography": pl.String,
        "followers": pl.Int64,
        "following": pl.Int64,
        "post_count": pl.Int64,
        "is_private": pl.Boolean,
        "is_verified": pl.Boolean,
        "is_business_account": pl.Boolean,
        "category_name": pl.String,
        "external_url": pl.String,
        "profile_pic_url": pl.String,
        "fetched_at": UTC_TIMESTAMP,
    }
)
"""One row per answer: the profile as that fetch saw it (``None`` where it did not say)."""

PROFILE_FIELDS: tuple[str, ...] = tuple(PROFILE_SCHEMA)
"""Keys of an answer's profile dict, always all present."""

PROFILES_FRAME_SCHEMA: pl.Schema = pl.Schema({**PROFILE_SCHEMA, "is_full": pl.Boolean})
"""What the loader takes for profiles: :data:`PROFILE_SCHEMA` plus ``is_full`` (a full profile
answer, whose follower counts make a snapshot, rather than a timeline page)."""

FETCH_LOG_SCHEMA = pl.Schema(
    {
        "requested_at": UTC_TIMESTAMP,
        "username": pl.String,
        "egress_ip": pl.String,
        "strategy": pl.String,
        "endpoint": pl.String,  # the fetch strategy (older rows: web_profile_info / timeline)
        "kind": pl.String,  # profile / page (older rows: derived from endpoint)
        "session": pl.Boolean,  # a logged-in session was used (older rows: false)
        "status": pl.Int32,
        "outcome": pl.String,
        "latency_ms": pl.Float64,
        "bytes": pl.Int64,
        "attempt": pl.Int32,
        "rotation": pl.Int32,
        "run_id": pl.String,
        "route": pl.String,  # the egress route (schema/013; older rows: the one modem)
    }
)
"""A request-log row; batches may lack columns (see :func:`warehouse.load.fetch_log_frame`)."""
FETCH_LOG_KEY = ("run_id", "username", "requested_at", "attempt")

IP_LOG_SCHEMA = pl.Schema(
    {
        "ip": pl.String,
        "seen_at": UTC_TIMESTAMP,
        "source": pl.String,  # rotate, rotate-same, start, carrier, check, ...
        "seen_as": pl.String,  # the modem's label (schema/010); null: unknown
        "route": pl.String,  # the route whose modem had it (schema/013)
    }
)
"""A sighting of the modem's public IP, as ``GET /ips`` gives it."""
IP_LOG_KEY = ("ip", "seen_at", "route")
# The route of rows from before routes existed: the code location's name of its one modem.
ONLY_ROUTE = "modem"

POST_MEDIA_SCHEMA = pl.Schema(
    {
        "post_id": pl.String,  # the profile's id for its picture
        "username": pl.String,
        "kind": pl.String,  # thumbnail, display, video, child, child_video, profile_pic
        "position": pl.Int32,  # a sidecar slide's place (1..); 0 otherwise
        "status": pl.String,  # archived, expired, refused, failed
        "sha256": pl.String,  # archived only: the file's name in the media store
        "bytes": pl.Int64,
        "width": pl.Int32,
        "height": pl.Int32,
        "content_type": pl.String,
        "fetched_at": UTC_TIMESTAMP,
        "url_expires_at": UTC_TIMESTAMP,
        "reason": pl.String,  # why not archived
    }
)
"""One medium the media stage looked at (``post_media``, schema/012)."""
POST_MEDIA_KEY = ("post_id", "kind", "position")

_ARROW_POSTS_SCHEMA: pa.Schema = pl.DataFrame(schema=POSTS_SCHEMA).to_arrow().schema


class Answer(Protocol):
    """One parsed answer as the loader reads it (the parser's ``ParsedProfile`` is one).

    Posts travel as column lists, not a frame: building a frame costs more than parsing a
    dozen posts, so a batch's lists are concatenated and made into ONE frame
    (:func:`posts_frame_from_answers`).
    """

    @property
    def profile(self) -> Mapping[str, Any]:
        """The :data:`PROFILE_FIELDS` of the answer."""
        ...

    @property
    def post_columns(self) -> Mapping[str, Sequence[Any]]:
        """:data:`POSTS_SCHEMA`'s columns, each a list of the answer's posts' values."""
        ...

    @property
    def is_full(self) -> bool:
        """A full profile answer (counts to snapshot), not a timeline page."""
        ...


def posts_frame_from_columns(columns: Mapping[str, Sequence[Any]]) -> pl.DataFrame:
    """Column lists (every :data:`POSTS_SCHEMA` column) as a frame of exactly that schema."""
    # Arrow builds nested string lists from Python about twice as fast as polars does.
    return pl.from_arrow(pa.Table.from_pydict(dict(columns), schema=_ARROW_POSTS_SCHEMA))


def posts_frame_from_answers(answers: Iterable[Answer]) -> pl.DataFrame:
    """The posts of many answers as ONE frame, built once from the concatenated columns."""
    merged: dict[str, list[Any]] = {name: [] for name in POSTS_SCHEMA}
    for answer in answers:
        for name, values in answer.post_columns.items():
            merged[name].extend(values)
    return posts_frame_from_columns(merged)


def profiles_frame_from_answers(answers: Sequence[Answer]) -> pl.DataFrame:
    """The answers' profile dicts as a :data:`PROFILES_FRAME_SCHEMA` frame."""
    rows = [{k: a.profile.get(k) for k in PROFILE_SCHEMA} for a in answers]
    frame = (
        pl.DataFrame(rows, schema=PROFILE_SCHEMA) if rows else pl.DataFrame(schema=PROFILE_SCHEMA)
    )
    return frame.with_columns(is_full=pl.Series([a.is_full for a in answers], dtype=pl.Boolean))


@lru_cache(maxsize=1 << 16)
def normalize_hashtag(tag: str) -> str:
    """The counting key: NFC, case folded (``Café``, ``CAFE\\u0301`` and ``café`` are one tag).

    A leading sign is dropped so ``#Tag`` and ``Tag`` count together. NFC is applied again
    after folding because folding can decompose. Folding turns the Turkish dotted capital
    ``İ`` into ``i`` plus a combining dot above, so ``#İstanbul`` and ``#istanbul`` would be
    two tags: the dot after an ``i`` is dropped (the lowercase ``i`` already has one).
    ``hashtag_daily`` and ``post_hashtags.tag_norm`` are keyed by it: changing it needs a
    reload of the posts.
    """
    tag = tag.lstrip("#＃")
    folded = unicodedata.normalize("NFC", tag).casefold().replace("i\u0307", "i")
    return unicodedata.normalize("NFC", folded)
