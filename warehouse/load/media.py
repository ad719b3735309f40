"""``post_media``: what became of each medium, upserted by (post_id, kind, position)."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.contract import POST_MEDIA_KEY, POST_MEDIA_SCHEMA
from warehouse.load.network import _load_keyed
from warehouse.load.transaction import transaction


def load_post_media(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Upsert media rows (the last of a key in ``frame`` wins); returns the rows staged.

    ``url_expires_at`` may come as Unix seconds; missing columns load as null."""
    if "url_expires_at" in frame.columns and frame.schema["url_expires_at"].is_integer():
        frame = frame.with_columns(
            pl.from_epoch("url_expires_at", time_unit="s").dt.replace_time_zone("UTC")
        )
    with transaction(con):
        return _load_keyed(con, "post_media", frame, POST_MEDIA_SCHEMA, POST_MEDIA_KEY)
