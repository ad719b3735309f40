"""``post_media``: what became of each medium, upserted by (post_id, kind, position)."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.contract import POST_MEDIA_KEY, POST_MEDIA_SCHEMA
from warehouse.load.network import _load_keyed
from warehouse.load.transaction import transaction

# posts_wide.media_archived of the posts listed in the relation {ids}.
MEDIA_COUNT_UPDATE = """
    UPDATE posts_wide SET media_archived = coalesce(
        (SELECT c.archived FROM post_media_counts AS c WHERE c.post_id = posts_wide.post_id), 0
    )
    WHERE post_id IN (SELECT post_id FROM {ids})
"""


def load_post_media(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Upsert media rows (the last of a key in ``frame`` wins) and their posts'
    ``posts_wide.media_archived``; returns the rows staged.

    ``url_expires_at`` may come as Unix seconds; missing columns load as null."""
    if "url_expires_at" in frame.columns and frame.schema["url_expires_at"].is_integer():
        frame = frame.with_columns(
            pl.from_epoch("url_expires_at", time_unit="s").dt.replace_time_zone("UTC")
        )
    with transaction(con):
        staged = _load_keyed(con, "post_media", frame, POST_MEDIA_SCHEMA, POST_MEDIA_KEY)
        if staged:
            ids = frame.select(pl.col("post_id").cast(pl.String).unique())
            con.register("_media_posts", ids.to_arrow())
            try:
                con.execute(MEDIA_COUNT_UPDATE.format(ids="_media_posts"))
            finally:
                con.unregister("_media_posts")
        return staged
