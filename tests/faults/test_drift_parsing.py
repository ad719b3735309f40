"""Shape drift the property tests found: odd types in a post node must not crash the parse
(or, worse, the warehouse load of a whole batch)."""

from __future__ import annotations

import duckdb
import pytest

from intrend_assets.parsing.profile import parse_profile
from warehouse.db import connect
from warehouse.load import load_parsed


def _body(**node: object) -> dict[str, object]:
    base = {"id": "11", "shortcode": "abc", "taken_at_timestamp": 1_700_000_000}
    base.update(node)
    user = {
        "id": "7",
        "username": "someone",
        "edge_owner_to_timeline_media": {"count": 1, "edges": [{"node": base}]},
    }
    return {"data": {"user": user}, "status": "ok"}


@pytest.mark.parametrize(
    "node",
    [
        {"__typename": True},
        {"__typename": 5},
        {"__typename": {"x": 1}},
        {"edge_liked_by": {"count": 2**70}},
        {"edge_liked_by": {"count": float("inf")}},
        {"edge_liked_by": {"count": "1e400"}},
        {"taken_at_timestamp": 2**70},
        {"video_view_count": -(2**64)},
    ],
)
def test_odd_field_types_parse_and_load(node: dict[str, object]) -> None:
    parsed = parse_profile(_body(**node), username="someone")
    assert parsed.post_count == 1
    con = connect(":memory:")
    try:
        load_parsed(con, [parsed])
        assert con.execute("select count(*) from posts").fetchone() == (1,)
    finally:
        con.close()


@pytest.mark.parametrize("post_id", [{"a": 1}, ["1"], None])
def test_a_post_without_a_usable_id_is_skipped_not_loaded_as_null(post_id: object) -> None:
    body = _body(id=post_id)
    parsed = parse_profile(body, username="someone")
    assert parsed.post_count == 0
    con: duckdb.DuckDBPyConnection = connect(":memory:")
    try:
        load_parsed(con, [parsed])
    finally:
        con.close()
