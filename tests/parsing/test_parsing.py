"""parse_profile on the real samples, every input form, and bodies that are not profiles."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime

import polars as pl
import pytest
import zstandard

from intrend_assets.parsing.profile import (
    POSTS_SCHEMA,
    PROFILE_FIELDS,
    ProfileParseError,
    parse_profile,
)
from tests.parsing.pages import parse_timeline_page

FETCHED = datetime(2022, 6, 1, 12, 0, tzinfo=UTC)


def _raw_nodes(body: bytes) -> list[dict]:
    data = json.loads(body)
    return [e["node"] for e in data["data"]["user"]["edge_owner_to_timeline_media"]["edges"]]


def test_profile_2022_parses_fully(profile_2022: bytes) -> None:
    parsed = parse_profile(profile_2022, fetched_at=FETCHED, username="robertdowneyjr")
    assert parsed.kind == "profile"
    p = parsed.profile
    assert set(p) == set(PROFILE_FIELDS)
    assert p["id"] == "1518284433"
    assert p["username"] == "robertdowneyjr"
    assert p["full_name"] == "Robert Downey Jr. Official"
    assert p["followers"] == 52979346
    assert p["following"] == 5
    assert p["post_count"] == 419
    assert p["is_private"] is False and p["is_verified"] is True
    assert p["category_name"] == "Artist"
    assert p["fetched_at"] == FETCHED
    assert parsed.has_next_page is True and parsed.end_cursor

    posts = parsed.posts
    assert posts.schema == POSTS_SCHEMA
    assert posts.height == 12
    nodes = _raw_nodes(profile_2022)
    assert posts["post_id"].to_list() == [n["id"] for n in nodes]
    assert posts["like_count"].to_list() == [n["edge_liked_by"]["count"] for n in nodes]
    assert posts["comment_count"].to_list() == [n["edge_media_to_comment"]["count"] for n in nodes]
    assert posts["taken_at"].to_list() == [
        datetime.fromtimestamp(n["taken_at_timestamp"], tz=UTC) for n in nodes
    ]
    assert set(posts["owner_username"]) == {"robertdowneyjr"}
    assert set(posts["fetched_at"]) == {FETCHED}
    # One post has no caption edge at all: null caption, no tags, no crash.
    no_caption = posts.filter(pl.col("caption").is_null())
    assert no_caption.height == 1
    assert no_caption["hashtags"].to_list() == [[]]
    # Sidecars count their children; other types have none.
    sidecars = posts.filter(pl.col("media_type") == "sidecar")
    assert sidecars["child_count"].to_list() == [
        len(n["edge_sidecar_to_children"]["edges"])
        for n in nodes
        if n["__typename"] == "GraphSidecar"
    ]
    assert posts.filter(pl.col("media_type") != "sidecar")["child_count"].null_count() == (
        posts.height - sidecars.height
    )
    assert set(posts["media_type"]) == {"image", "video", "sidecar"}
    videos = posts.filter(pl.col("media_type") == "video")
    assert videos["is_video"].all() and videos["video_view_count"].null_count() == 0
    # The CDN expiry is decoded from oe=<hex>.
    first = nodes[0]["display_url"]
    oe = int(first.split("oe=")[1].split("&")[0], 16)
    assert posts["display_url_expires_at"][0] == datetime.fromtimestamp(oe, tz=UTC)
    assert posts["display_url_expires_at"].null_count() == 0
    # No location anywhere in this answer.
    assert posts["location_name"].null_count() == 12
    tagged = posts.filter(pl.col("post_id") == "2819301463375504249")
    assert tagged["hashtags"][0][0] == "FootPrintCoalition"
    assert tagged["hashtags_norm"][0][0] == "footprintcoalition"


@pytest.mark.parametrize("fixture", ["page_2020", "page_2017"])
def test_timeline_pages_parse_every_post(fixture: str, request: pytest.FixtureRequest) -> None:
    body: bytes = request.getfixturevalue(fixture)
    parsed = parse_timeline_page(body, fetched_at=FETCHED)
    nodes = _raw_nodes(body)
    assert parsed.kind == "timeline_page"
    assert parsed.posts.height == len(nodes) == 12
    # Pages hold likes only under edge_media_preview_like.
    assert all("edge_liked_by" not in n for n in nodes)
    assert parsed.posts["like_count"].to_list() == [
        n["edge_media_preview_like"]["count"] for n in nodes
    ]
    # No profile fields: the owner comes from the posts.
    owner = nodes[0]["owner"]
    assert parsed.profile["id"] == owner["id"]
    assert parsed.profile["username"] == owner["username"]
    assert parsed.profile["followers"] is None and parsed.profile["full_name"] is None
    assert parsed.posts["location_name"].to_list() == [
        (n["location"] or {}).get("name") for n in nodes
    ]
    assert parsed.posts["taken_at"].null_count() == 0


def test_page_2020_has_locations_and_hashtags(page_2020: bytes) -> None:
    posts = parse_profile(page_2020).posts
    assert posts["location_name"].null_count() < posts.height  # some located...
    assert posts["location_name"].null_count() > 0  # ...and some with location null
    # 83 '#' words in the captions, of which 4 are numbers only (#16, #3, #1, #2008).
    assert posts["hashtags"].list.len().sum() == 79
    assert posts["display_url_expires_at"].null_count() == 0
    assert posts.filter(pl.col("media_type") == "sidecar")["child_count"].min() >= 2


def test_page_2017_urls_without_expiry(page_2017: bytes) -> None:
    posts = parse_profile(page_2017).posts
    assert posts["display_url_expires_at"].null_count() == posts.height


def test_timeline_page_owner_from_argument(page_2017: bytes) -> None:
    body = json.loads(page_2017)
    for edge in body["data"]["user"]["edge_owner_to_timeline_media"]["edges"]:
        del edge["node"]["owner"]
    parsed = parse_profile(body, username="pgrimaud")
    assert parsed.profile["username"] == "pgrimaud"
    assert parsed.profile["id"] is None
    assert set(parsed.posts["owner_username"]) == {"pgrimaud"}


def test_parse_timeline_page_refuses_a_profile(profile_2022: bytes) -> None:
    with pytest.raises(ProfileParseError, match="expected a timeline page"):
        parse_timeline_page(profile_2022, username="robertdowneyjr")


def test_every_input_form_gives_the_same_result(profile_2022: bytes) -> None:
    streamed = zstandard.ZstdCompressor().compressobj()  # a frame without content size
    forms = [
        profile_2022,
        bytearray(profile_2022),
        zstandard.ZstdCompressor().compress(profile_2022),
        streamed.compress(profile_2022) + streamed.flush(),
        profile_2022.decode("utf-8"),
        json.loads(profile_2022),
    ]
    results = [parse_profile(f, fetched_at=FETCHED) for f in forms]
    for other in results[1:]:
        assert other.profile == results[0].profile
        assert other.posts.equals(results[0].posts)


def test_fetched_at_forms() -> None:
    body = {"data": {"user": {"id": "1", "username": "a"}}}
    naive = parse_profile(body, fetched_at=datetime(2024, 1, 1, 0, 0))
    iso = parse_profile(body, fetched_at="2024-01-01T00:00:00+00:00")
    epoch = parse_profile(body, fetched_at=1704067200)
    assert naive.profile["fetched_at"] == iso.profile["fetched_at"] == epoch.profile["fetched_at"]
    assert parse_profile(body).profile["fetched_at"] is None


def test_missing_and_null_fields_give_nulls() -> None:
    body = {
        "data": {
            "user": {
                "id": 42,
                "username": "sparse",
                "edge_followed_by": None,
                "surprise": {"nested": [1, 2]},
                "edge_owner_to_timeline_media": {
                    "edges": [
                        {"node": {"id": "1"}},
                        {"node": None},
                        {
                            "node": {
                                "id": "2",
                                "edge_media_to_caption": {"edges": []},
                                "location": None,
                                "edge_liked_by": {"count": 0},
                                "edge_media_preview_like": {"count": 9},
                                "taken_at_timestamp": "1700000000",
                                "__typename": "GraphNew",
                                "is_video": False,
                                "display_url": "https://x/y.jpg",
                            }
                        },
                    ]
                },
            }
        }
    }
    parsed = parse_profile(body, username="sparse")
    assert parsed.profile["id"] == "42"
    assert parsed.profile["followers"] is None
    posts = parsed.posts
    assert posts.height == 2
    assert posts["owner_id"].to_list() == ["42", "42"]
    first, second = posts.to_dicts()
    assert first["caption"] is None and first["taken_at"] is None and first["like_count"] is None
    assert first["media_type"] is None and first["hashtags"] == []
    # 0 likes under edge_liked_by is a value, not a missing key.
    assert second["like_count"] == 0
    assert second["media_type"] == "image"
    assert second["taken_at"] == datetime.fromtimestamp(1700000000, tz=UTC)
    assert second["display_url_expires_at"] is None


def test_profile_without_posts_has_the_schema() -> None:
    parsed = parse_profile({"data": {"user": {"id": "1", "username": "new", "is_private": True}}})
    assert parsed.posts.height == 0
    assert parsed.posts.schema == POSTS_SCHEMA
    assert parsed.profile["is_private"] is True


_FAIL = (
    b'{"message":"Please wait a few minutes before you try again.",'
    b'"require_login":true,"status":"fail"}'
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_FAIL, "Please wait a few minutes"),
        (b'{"message":"useragent mismatch","status":"fail"}', "useragent mismatch"),
        (b'{"data":{"user":null}}', "data.user is null"),
        (b'{"data":{}}', "no data.user"),
        (b'{"data":{"user":"x"}}', "not an object"),
        (b'{"data":{"user":{"biography_only": 1}}}', "neither profile fields nor posts"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b'{"data":{"user":{"id":"1"', "not JSON"),
        (b"", "empty body"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (zstandard.ZstdCompressor().compress(_FAIL * 20)[:-8], "truncated zstd"),
        (b"\x28\xb5\x2f\xfd" + b"\x00" * 12, "zstd"),
        ("<html>login</html>", "HTML page: no embedded profile"),
        (b'{"data":null,"errors":[{"message":"doc_id not found"}]}', "GraphQL errors.*doc_id"),
        (b'{"data":{"xdt_api__v1__feed__user_timeline_graphql_connection":null}}', "no data.user"),
        ({"unexpected": True}, "no data.user"),
    ],
)
def test_bad_bodies_raise_one_clear_error(body: bytes | str | dict, reason: str) -> None:
    with pytest.raises(ProfileParseError, match=reason) as info:
        parse_profile(body, username="someone")
    assert info.value.username == "someone"
    assert "someone" in str(info.value)
    assert isinstance(info.value, ValueError)
    # The error crosses process boundaries (Dagster, multiprocessing) intact.
    clone = pickle.loads(pickle.dumps(info.value))
    assert (clone.username, clone.reason) == (info.value.username, info.value.reason)


def test_bad_fetched_at_is_a_parse_error() -> None:
    with pytest.raises(ProfileParseError, match="fetched_at"):
        parse_profile({"data": {"user": {"id": "1"}}}, fetched_at="yesterday", username="u")
