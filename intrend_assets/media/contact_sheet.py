"""A contact sheet: for each hashtag, its most-liked posts' archived thumbnails in a row.

The trend report shows one for its top rising tags (:func:`report_sheet` says what to show,
:func:`sheet_markdown` the report's section). Only archived thumbnails are shown: a post
whose picture expired unarchived is skipped, not drawn blank.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

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
# Beside the warehouse, next to the report's charts. JPEG, photographs' usual format (PNG
# keeps them losslessly, larger), as the sheet is also inlined in the asset's metadata.
SHEET_FILE = "trend_media.jpg"
SHEET_TYPE = "image/jpeg"
SHEET_TITLE = "## Archived thumbnails of the top rising hashtags"


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
    image_format: str = "PNG",
) -> bytes | None:
    """A picture (``image_format``: PNG, JPEG) with one row per tag (normalised, as in
    ``posts_wide.tags``); None without any archived thumbnail to show. A stored file that
    cannot be read leaves its place blank."""
    rows = [(tag, top_thumbnails(con, tag, per_tag)) for tag in tags]
    if not any(found for _, found in rows):
        return None
    sheet = Image.new("RGB", (LABEL_WIDTH + per_tag * (side + 4), len(rows) * (side + 4)), "white")
    draw = ImageDraw.Draw(sheet)
    for y, (tag, found) in enumerate(rows):
        top = y * (side + 4)
        draw.text((4, top + side // 2 - 6), f"#{tag}"[:24], fill="black")
        for x, (_, sha, ext) in enumerate(found):
            stored = store.get(sha, ext)
            if stored is None:
                continue
            try:
                with Image.open(io.BytesIO(stored)) as image:
                    thumb = image.convert("RGB").resize((side, side))
            except OSError:  # gone, or not a picture after all: the report still comes out
                continue
            sheet.paste(thumb, (LABEL_WIDTH + x * (side + 4), top))
    out = io.BytesIO()
    sheet.save(out, image_format, **({"quality": 85} if image_format == "JPEG" else {}))
    return out.getvalue()


@dataclass(frozen=True)
class ReportSheet:
    """The report's contact sheet (JPEG), or None with the line that says why there is none."""

    jpeg: bytes | None
    note: str


def report_sheet(
    con: duckdb.DuckDBPyConnection, store: MediaStore, tags: Sequence[str], mode: str
) -> ReportSheet:
    """The sheet of ``tags`` (the report's top rising, normalised) when media are archived."""
    if mode == "off":
        return ReportSheet(
            None, "Media archiving is off (`INTREND_MEDIA_MODE=off`): no contact sheet."
        )
    if not tags:
        return ReportSheet(None, "No rising hashtags: no contact sheet.")
    try:
        jpeg = contact_sheet(con, store, tags, image_format="JPEG")
    except duckdb.CatalogException:  # a warehouse published before post_media existed
        jpeg = None
    if jpeg is None:
        return ReportSheet(
            None, "No archived thumbnails of the top rising hashtags yet: no contact sheet."
        )
    return ReportSheet(
        jpeg,
        f"One row per top rising hashtag ({', '.join('#' + t for t in tags)}): its most-liked "
        "posts whose thumbnails are archived (`post_media`), most-liked first.",
    )


def sheet_markdown(sheet: ReportSheet, link: str | None) -> str:
    """The report's section; ``link`` is what the image points to (a file, a data: URL)."""
    image = [f"![contact sheet of the top rising hashtags]({link})", ""] if link else []
    return "\n".join([SHEET_TITLE, "", *image, sheet.note, ""])
