"""A contact sheet: for each hashtag, its most-liked posts' archived thumbnails in a row.

For the trend report (its owner calls :func:`contact_sheet` with the top rising tags and
puts the PNG in the asset's metadata and beside the report). Only archived thumbnails are
shown: a post whose picture expired unarchived is skipped, not drawn blank.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import duckdb
from PIL import Image, ImageDraw

from intrend_assets.media.store import MediaStore

_TOP = """
    SELECT w.post_id, m.sha256, m.content_type
    FROM posts_wide AS w
    JOIN post_media AS m
      ON m.post_id = w.post_id AND m.kind = 'thumbnail' AND m.status = 'archived'
    WHERE list_contains(w.tags, $tag)
    ORDER BY w.like_count DESC NULLS LAST, w.post_id
    LIMIT $n
"""
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heif"}
LABEL_WIDTH = 160


def top_thumbnails(
    con: duckdb.DuckDBPyConnection, tag: str, per_tag: int
) -> list[tuple[str, str, str]]:
    """``(post_id, sha256, extension)`` of the most-liked archived thumbnails of ``tag``."""
    rows = con.execute(_TOP, {"tag": tag, "n": per_tag}).fetchall()
    return [(post, sha, _EXTENSIONS.get(ctype, "jpg")) for post, sha, ctype in rows]


def contact_sheet(
    con: duckdb.DuckDBPyConnection,
    store: MediaStore,
    tags: Sequence[str],
    *,
    per_tag: int = 6,
    side: int = 96,
) -> bytes | None:
    """A PNG with one row per tag (normalised, as in ``posts_wide.tags``); None without any
    archived thumbnail to show."""
    rows = [(tag, top_thumbnails(con, tag, per_tag)) for tag in tags]
    if not any(found for _, found in rows):
        return None
    sheet = Image.new("RGB", (LABEL_WIDTH + per_tag * (side + 4), len(rows) * (side + 4)), "white")
    draw = ImageDraw.Draw(sheet)
    for y, (tag, found) in enumerate(rows):
        top = y * (side + 4)
        draw.text((4, top + side // 2 - 6), f"#{tag}"[:24], fill="black")
        for x, (_, sha, ext) in enumerate(found):
            path = store.object_path(sha, ext)
            if not path.exists():
                continue
            with Image.open(path) as image:
                thumb = image.convert("RGB").resize((side, side))
            sheet.paste(thumb, (LABEL_WIDTH + x * (side + 4), top))
    out = io.BytesIO()
    sheet.save(out, "PNG")
    return out.getvalue()
