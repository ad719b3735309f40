"""The trend report carries the contact sheet of its top rising tags' archived thumbnails,
and says plainly when there is none (media off, nothing archived)."""

from __future__ import annotations

import io
from pathlib import Path

import dagster as dg
import polars as pl
from PIL import Image

from intrend_assets.defs.reports.assets import trend_report
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.media.contact_sheet import LABEL_WIDTH, SHEET_FILE, SHEET_TITLE
from intrend_assets.media.store import MediaStore
from intrend_assets.raw_store.blobs import LocalBlobs
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from tests.warehouse.conftest import AS_OF
from tests.warehouse.trend_data import build_trend_warehouse
from warehouse.db import connect
from warehouse.load.media import load_post_media

COLOURS = [(230, 20, 20), (20, 200, 20), (20, 20, 230)]
RUN_CONFIG = {"ops": {"trend_report": {"config": {"as_of": AS_OF.isoformat()}}}}


def _warehouse(tmp_path: Path, archive: bool) -> tuple[WarehouseFile, MediaStore]:
    """The planted trends (#NewWave rises); with ``archive`` the thumbnails of its three
    most-liked posts, one colour each, stored and loaded as post_media."""
    path = tmp_path / "warehouse.duckdb"
    store = MediaStore(LocalBlobs(tmp_path / "raw"))
    with connect(path) as con:
        build_trend_warehouse(con)
        top = con.execute(
            "SELECT post_id FROM posts_wide WHERE list_contains(tags, 'newwave') "
            "ORDER BY like_count DESC, post_id LIMIT 3"
        ).fetchall()
        rows = []
        for (post_id,), colour in zip(top, COLOURS, strict=True):
            picture = io.BytesIO()
            Image.new("RGB", (64, 64), colour).save(picture, "JPEG")
            sha, _ = store.put(picture.getvalue(), "jpg")
            status = "archived" if archive else "expired"
            rows.append(
                {"post_id": post_id, "kind": "thumbnail", "position": 0, "status": status}
                | ({"sha256": sha, "content_type": "image/jpeg"} if archive else {})
            )
        load_post_media(con, pl.DataFrame(rows))
    warehouse = WarehouseFile(path, trend_min_profiles=3)
    warehouse.publish()
    return warehouse, store


def _report(warehouse: WarehouseFile, store: MediaStore, mode: str) -> dg.AssetMaterialization:
    result = dg.materialize(
        [trend_report],
        resources={
            "warehouse": warehouse,
            "raw_store": LocalRawStore(store.blobs.root),
            "media": IntrendSettings(media_mode=mode).media_config(),
        },
        run_config=RUN_CONFIG,
    )
    return result.asset_materializations_for_node("trend_report")[0]


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, colour, strict=True))


def test_the_report_shows_the_top_tags_most_liked_thumbnails(tmp_path: Path) -> None:
    warehouse, store = _warehouse(tmp_path, archive=True)
    meta = _report(warehouse, store, "thumbnails").metadata
    path = warehouse.folder() / SHEET_FILE
    assert meta["contact_sheet_path"].value == str(path)
    assert "#newwave" in meta["contact_sheet"].value
    sheet = Image.open(path)
    assert sheet.format == "JPEG"
    sheet = sheet.convert("RGB")  # the top rising tag's row first; 96 px cells 4 px apart
    for x, colour in enumerate([*COLOURS, (255, 255, 255)]):  # most-liked first, then none
        assert _near(sheet.getpixel((LABEL_WIDTH + x * 100 + 48, 48)), colour)
    report = meta["report"].value
    assert SHEET_TITLE in report and "data:image/jpeg;base64," in report
    written = (warehouse.folder() / "trend_report.md").read_text("utf-8")
    assert f"]({SHEET_FILE})" in written


def test_no_sheet_when_media_are_off_or_nothing_is_archived(tmp_path: Path) -> None:
    warehouse, store = _warehouse(tmp_path, archive=True)
    _report(warehouse, store, "thumbnails")
    assert (warehouse.folder() / SHEET_FILE).exists()
    off = _report(warehouse, store, "off").metadata
    assert "INTREND_MEDIA_MODE=off" in off["contact_sheet"].value
    assert "contact_sheet_path" not in off
    assert not (warehouse.folder() / SHEET_FILE).exists()  # the earlier sheet is gone
    written = (warehouse.folder() / "trend_report.md").read_text("utf-8")
    assert SHEET_TITLE in written and "INTREND_MEDIA_MODE=off" in written

    expired, store = _warehouse(tmp_path / "expired", archive=False)
    none = _report(expired, store, "thumbnails").metadata
    assert "No archived thumbnails" in none["contact_sheet"].value
    assert "contact_sheet_path" not in none and "data:image/jpeg" not in none["report"].value
