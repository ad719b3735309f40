"""The contact sheet shows each tag's most-liked archived thumbnails, in like order."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
from PIL import Image

from intrend_assets.media.contact_sheet import LABEL_WIDTH, contact_sheet, top_thumbnails
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.blobs import LocalBlobs

COLOURS = {"a": (250, 0, 0), "b": (0, 250, 0), "c": (0, 0, 250), "d": (250, 250, 0)}


def _warehouse(store: MediaStore) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE posts_wide (post_id VARCHAR, tags VARCHAR[], like_count BIGINT)")
    con.execute(
        "CREATE TABLE post_media (post_id VARCHAR, kind VARCHAR, status VARCHAR, "
        "sha256 VARCHAR, content_type VARCHAR)"
    )
    likes = {"a": 10, "b": 30, "c": 20, "d": 99}
    for post, colour in COLOURS.items():
        out = io.BytesIO()
        Image.new("RGB", (40, 40), colour).save(out, "PNG")
        sha, _ = store.put(out.getvalue(), "png")
        tags = ["sun"] if post != "d" else ["rain"]
        con.execute("INSERT INTO posts_wide VALUES (?, ?, ?)", [post, tags, likes[post]])
        status = "archived" if post != "c" else "expired"
        con.execute(
            "INSERT INTO post_media VALUES (?, 'thumbnail', ?, ?, 'image/png')", [post, status, sha]
        )
    return con


def test_most_liked_archived_thumbnails_per_tag(tmp_path: Path) -> None:
    store = MediaStore(LocalBlobs(tmp_path))
    con = _warehouse(store)
    assert [p for p, _, _ in top_thumbnails(con, "sun", 5)] == ["b", "a"]  # c expired
    png = contact_sheet(con, store, ["sun", "rain", "snow"], per_tag=3, side=20)
    assert png is not None
    sheet = Image.open(io.BytesIO(png)).convert("RGB")
    assert sheet.size == (LABEL_WIDTH + 3 * 24, 3 * 24)
    assert sheet.getpixel((LABEL_WIDTH + 10, 10)) == COLOURS["b"]
    assert sheet.getpixel((LABEL_WIDTH + 24 + 10, 10)) == COLOURS["a"]
    assert sheet.getpixel((LABEL_WIDTH + 10, 24 + 10)) == COLOURS["d"]
    assert sheet.getpixel((LABEL_WIDTH + 10, 48 + 10)) == (255, 255, 255)  # snow: none
    assert contact_sheet(con, store, ["snow"]) is None


def test_an_unreadable_stored_file_leaves_its_cell_blank(tmp_path: Path) -> None:
    store = MediaStore(LocalBlobs(tmp_path))
    con = _warehouse(store)
    (_, sha, ext), _ = top_thumbnails(con, "sun", 2)
    store.blobs.put(store.object_key(sha, ext), b"not a picture")  # damaged since
    png = contact_sheet(con, store, ["sun"], per_tag=2, side=20)
    assert png is not None
    sheet = Image.open(io.BytesIO(png)).convert("RGB")
    assert sheet.getpixel((LABEL_WIDTH + 10, 10)) == (255, 255, 255)
    assert sheet.getpixel((LABEL_WIDTH + 24 + 10, 10)) == COLOURS["a"]
