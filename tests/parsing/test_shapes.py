"""Every strategy's answer parses to the same thing: shapes, conversion, the embedded page.

The same posts are written by hand in the graph shape, in the v1 (``doc_id``) shape and inside
an HTML profile page, and must give equal :class:`ParsedProfile` values: nothing downstream may
know which strategy fetched them.
"""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from intrend_assets.parsing.profile import (
    POSTS_SCHEMA,
    ParsedProfile,
    ProfileParseError,
    parse_profile,
)
from intrend_assets.parsing.shapes import (
    GRAPH_PAGE,
    GRAPH_USER,
    SHAPES,
    V1_TIMELINE,
    V1_USER,
    ShapeError,
    detect_shape,
    extract_embedded,
    graphql_errors,
    to_graph,
)
from tests.parsing.pages import parse_timeline_page
from tests.property.test_hashtags_props import TEXT

from .wire import (
    CONTRACT_V1_TIMELINE,
    CONTRACT_V1_USER,
    V1_TIMELINE_KEY,
    graph_nodes,
    relay_page,
    shared_data_page,
    v1_timeline_from_graph,
    v1_user_from_graph,
)

FETCHED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def assert_same(a: ParsedProfile, b: ParsedProfile) -> None:
    """Equal in everything a caller can see."""
    assert a.profile == b.profile
    assert (a.kind, a.has_next_page, a.end_cursor) == (b.kind, b.has_next_page, b.end_cursor)
    assert a.post_columns == b.post_columns
    assert_frame_equal(a.posts, b.posts)


# ------------------------------------------------------------ detect_shape


def _graph_page() -> dict[str, Any]:
    return {
        "data": {
            "user": {
                "edge_owner_to_timeline_media": {
                    "count": 3,
                    "page_info": {"has_next_page": False, "end_cursor": None},
                    "edges": [],
                }
            }
        },
        "status": "ok",
    }


GRAPHQL_ERROR = {
    "data": None,
    "errors": [{"message": "execution error", "severity": "CRITICAL", "code": 1675030}],
    "status": "ok",
}


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        ({"data": {"user": {"id": "1", "username": "a", "edge_followed_by": {}}}}, GRAPH_USER),
        ({"data": {"user": {"id": "1", "username": "new", "is_private": True}}}, GRAPH_USER),
        ({"graphql": {"user": {"id": "1", "username": "old"}}}, GRAPH_USER),
        # A graph user that also carries v1 fields stays a graph user: edges win.
        ({"data": {"user": {"pk": "1", "id": "1", "edge_follow": {"count": 1}}}}, GRAPH_USER),
        (_graph_page(), GRAPH_PAGE),
        (CONTRACT_V1_USER, V1_USER),
        ({"data": {"user": {"pk": 1, "follower_count": 3}}}, V1_USER),
        (CONTRACT_V1_TIMELINE, V1_TIMELINE),
        ({"data": {V1_TIMELINE_KEY: {}}}, V1_TIMELINE),
        # Instagram renames the connection now and then: the prefix is what counts.
        ({"data": {"xdt_api__v1__feed__user_timeline_graphql_connection_v2": {}}}, V1_TIMELINE),
        # Garbage, refusals, errors, missing users: not a shape.
        (None, None),
        ([{"data": {}}], None),
        ("data", None),
        ({}, None),
        ({"data": {}}, None),
        ({"data": {"user": None}}, None),
        ({"data": {"user": "x"}}, None),
        ({"data": {"user": {"biography": "only"}}}, None),
        ({"data": {"user": {"edge_follow": {}}}}, None),
        ({"data": {V1_TIMELINE_KEY: None}}, None),
        ({"data": {V1_TIMELINE_KEY: []}}, None),
        ({"data": {"viewer": {"username": "me"}}}, None),
        ({"message": "Please wait a few minutes", "require_login": True, "status": "fail"}, None),
        (GRAPHQL_ERROR, None),
    ],
)
def test_detect_shape(body: Any, shape: str | None) -> None:
    assert detect_shape(body) == shape
    assert shape is None or shape in SHAPES


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        (GRAPHQL_ERROR, ["execution error"]),
        # Errors that are plain strings, or objects without a message, are still reported.
        (
            {"data": None, "errors": ["doc_id is stale", {"message": None, "code": 2}]},
            ["doc_id is stale", '{"message": null, "code": 2}'],
        ),
        ({"errors": [{"message": "a"}, {"message": "b"}]}, ["a", "b"]),
        ({"data": None, "errors": []}, None),
        ({"data": None}, None),
        ({"data": None, "errors": "boom"}, None),
        # Data *and* errors: a partial answer is data, judged by its shape.
        ({"data": {"user": {"id": "1"}}, "errors": [{"message": "x"}]}, None),
        ([{"errors": ["x"]}], None),
        (None, None),
    ],
)
def test_graphql_errors(body: Any, messages: list[str] | None) -> None:
    assert graphql_errors(body) == messages


def test_graphql_error_answer_is_a_parse_error_naming_it() -> None:
    for body in (GRAPHQL_ERROR, json.dumps(GRAPHQL_ERROR).encode()):
        with pytest.raises(ProfileParseError, match=r"GraphQL errors.*execution error"):
            parse_profile(body, username="u")
    with pytest.raises(ShapeError, match="GraphQL error answer: execution error"):
        to_graph(GRAPHQL_ERROR)


@pytest.mark.parametrize("body", [{}, {"data": {"user": None}}, {"status": "ok"}])
def test_to_graph_refuses_unknown_shapes(body: dict[str, Any]) -> None:
    with pytest.raises(ShapeError, match="none of the known shapes"):
        to_graph(body)


def test_to_graph_passes_graph_shapes_through_unchanged(profile_2022: bytes) -> None:
    body = json.loads(profile_2022)
    before = copy.deepcopy(body)
    assert to_graph(body) is body
    page = _graph_page()
    assert to_graph(page) is page
    assert body == before


def test_real_samples_shapes(profile_2022: bytes, page_2020: bytes, page_2017: bytes) -> None:
    assert detect_shape(json.loads(profile_2022)) == GRAPH_USER
    assert detect_shape(json.loads(page_2020)) == GRAPH_PAGE
    assert detect_shape(json.loads(page_2017)) == GRAPH_PAGE


# ------------------------------------------------------------ v1 → graph, field by field


def test_v1_timeline_maps_every_contract_field() -> None:
    body = copy.deepcopy(CONTRACT_V1_TIMELINE)
    converted = to_graph(body)
    assert body == CONTRACT_V1_TIMELINE  # the input is not modified
    assert detect_shape(converted) == GRAPH_PAGE
    node = converted["data"]["user"]["edge_owner_to_timeline_media"]["edges"][0]["node"]
    assert node["id"] == "3141"  # the media pk, never the v1 "pk_owner" id
    assert node["shortcode"] == "Cabc123"
    assert node["taken_at_timestamp"] == 1700000000
    assert node["edge_media_to_caption"] == {"edges": [{"node": {"text": "Paris #Travel @friend"}}]}
    assert node["edge_liked_by"] == {"count": 12}
    assert node["edge_media_to_comment"] == {"count": 3}
    assert (node["__typename"], node["is_video"]) == ("GraphSidecar", False)
    assert node["owner"] == {"id": "123", "username": "u"}
    assert node["location"] == {"id": "99", "name": "Paris"}
    assert node["display_url"] == "https://cdn.example/a.jpg?oe=6553F100"  # candidates[0]
    assert [c["node"]["id"] for c in node["edge_sidecar_to_children"]["edges"]] == ["3142", "3143"]
    assert node["edge_sidecar_to_children"]["edges"][1]["node"]["__typename"] == "GraphVideo"
    assert node["pinned_for_users"] == [{"id": "123"}]
    assert node["product_type"] is None  # graph names only special types (reels: "clips")
    assert node["accessibility_caption"] == "Photo by u"

    parsed = parse_timeline_page(CONTRACT_V1_TIMELINE, fetched_at=FETCHED)
    assert parsed.kind == "timeline_page"
    assert (parsed.has_next_page, parsed.end_cursor) == (True, "cursor-2")
    assert parsed.profile["id"] == "123" and parsed.profile["username"] == "u"
    first, second = parsed.posts.to_dicts()
    assert first == {
        "post_id": "3141",
        "shortcode": "Cabc123",
        "owner_id": "123",
        "owner_username": "u",
        "taken_at": datetime.fromtimestamp(1700000000, tz=UTC),
        "caption": "Paris #Travel @friend",
        "hashtags": ["Travel"],
        "hashtags_norm": ["travel"],
        "mentions": ["friend"],
        "like_count": 12,
        "comment_count": 3,
        "media_type": "sidecar",
        "is_video": False,
        "video_view_count": None,
        "child_count": 2,
        "is_pinned": True,
        "product_type": None,
        "display_url": "https://cdn.example/a.jpg?oe=6553F100",
        "display_url_expires_at": datetime.fromtimestamp(0x6553F100, tz=UTC),
        "location_id": "99",
        "location_name": "Paris",
        "accessibility_caption": "Photo by u",
        "fetched_at": FETCHED,
    }
    assert second["caption"] is None and second["hashtags"] == []
    assert (second["media_type"], second["is_video"]) == ("video", True)
    assert second["video_view_count"] == 5000  # play_count when view_count is null
    assert second["like_count"] == 0 and second["is_pinned"] is False
    assert second["child_count"] is None and second["location_name"] is None


def test_v1_user_maps_every_contract_field() -> None:
    parsed = parse_profile(CONTRACT_V1_USER, fetched_at=FETCHED, username="u")
    assert parsed.kind == "profile"
    assert parsed.profile == {
        "id": "123",
        "username": "u",
        "full_name": "Full Name",
        "biography": "bio #tag",
        "followers": 10,
        "following": 5,
        "post_count": 41,
        "is_private": False,
        "is_verified": False,
        "is_business_account": False,
        "category_name": None,
        "external_url": None,
        "profile_pic_url": "https://cdn.example/p_hd.jpg",  # the HD one, as from graph
        "fetched_at": FETCHED,
    }
    # A v1 user carries no posts: none parsed, and the fetcher is told to page from the start.
    assert parsed.post_count == 0 and parsed.posts.schema == POSTS_SCHEMA
    assert (parsed.has_next_page, parsed.end_cursor) == (True, None)
    with pytest.raises(ProfileParseError, match="expected a timeline page"):
        parse_timeline_page(CONTRACT_V1_USER, username="u")


@pytest.mark.parametrize(
    ("fields", "has_next_page"),
    [
        ({"media_count": 0}, False),
        ({"media_count": 1}, True),
        ({"media_count": None}, True),  # unknown: one empty page costs less than a lost timeline
        ({"media_count": "many"}, True),
        ({"media_count": True}, True),
    ],
)
def test_v1_user_pages_unless_it_has_no_media(fields: dict[str, Any], has_next_page: bool) -> None:
    body = copy.deepcopy(CONTRACT_V1_USER)
    body["data"]["user"].update(fields)
    parsed = parse_profile(body)
    assert (parsed.has_next_page, parsed.end_cursor, parsed.post_count) == (has_next_page, None, 0)


def test_v1_user_falls_back_to_id_and_standard_picture() -> None:
    user = {"id": "77", "username": "x", "follower_count": 1, "profile_pic_url": "https://p"}
    parsed = parse_profile({"data": {"user": user}})
    assert parsed.profile["id"] == "77"
    assert parsed.profile["profile_pic_url"] == "https://p"
    assert parsed.profile["followers"] == 1 and parsed.profile["following"] is None


def _v1_node(**fields: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"pk": "5", "code": "c", "user": {"pk": "9", "username": "o"}}
    node.update(fields)
    return {"data": {V1_TIMELINE_KEY: {"edges": [{"node": node}]}}}


@pytest.mark.parametrize(
    ("fields", "column", "value"),
    [
        ({"pk": None, "id": "5_9"}, "post_id", "5"),  # no pk: the pk part of the v1 id
        ({"pk": 5}, "post_id", "5"),
        ({"media_type": 1}, "media_type", "image"),
        ({"media_type": 2}, "is_video", True),
        ({"media_type": 8}, "media_type", "sidecar"),
        ({"media_type": 19}, "media_type", None),
        ({"media_type": True}, "media_type", None),  # True == 1, yet is not an image
        ({"media_type": "1"}, "media_type", None),
        ({"media_type": 8, "carousel_media": []}, "child_count", 0),
        ({"media_type": 8}, "child_count", None),
        ({"carousel_media": [{"pk": "6"}, None]}, "media_type", "sidecar"),
        ({"carousel_media": {"pk": "6"}}, "child_count", None),
        ({"view_count": 7, "play_count": 9}, "video_view_count", 7),
        ({"view_count": None, "play_count": 9}, "video_view_count", 9),
        ({"caption": "text, not an object"}, "caption", None),
        ({"caption": {"text": ""}}, "caption", ""),
        ({"caption": {"text": None}}, "caption", None),
        ({"like_count": "12"}, "like_count", 12),
        ({"like_count": None}, "like_count", None),
        ({"location": {"id": "44", "name": "L"}}, "location_id", "44"),
        ({"location": "Paris"}, "location_name", None),
        ({"timeline_pinned_user_ids": None}, "is_pinned", None),
        ({"timeline_pinned_user_ids": []}, "is_pinned", False),
        ({"timeline_pinned_user_ids": [9, 10]}, "is_pinned", True),
        ({"image_versions2": {"candidates": []}}, "display_url", None),
        ({"image_versions2": {"candidates": {"url": "x"}}}, "display_url", None),
        ({"image_versions2": None}, "display_url", None),
        # A carousel without its own picture shows its first child's.
        (
            {"carousel_media": [{"image_versions2": {"candidates": [{"url": "https://c"}]}}]},
            "display_url",
            "https://c",
        ),
        ({"user": None}, "owner_id", None),
        ({"user": {"id": "9", "username": "o"}}, "owner_id", "9"),
        ({"taken_at": "1700000000"}, "taken_at", datetime.fromtimestamp(1700000000, tz=UTC)),
    ],
)
def test_v1_node_fields_and_drift(fields: dict[str, Any], column: str, value: Any) -> None:
    parsed = parse_timeline_page(_v1_node(**fields), username="o")
    assert parsed.posts[column].to_list() == [value]


@pytest.mark.parametrize(
    "connection",
    [
        {},
        {"edges": None},
        {"edges": {"node": {}}},
        {"edges": [None, 3, {"node": None}, {"node": "x"}, {}]},
        {"edges": [], "page_info": "x"},
    ],
)
def test_v1_timeline_without_usable_posts_parses_empty(connection: dict[str, Any]) -> None:
    parsed = parse_timeline_page({"data": {V1_TIMELINE_KEY: connection}}, username="u")
    assert parsed.post_count == 0 and parsed.posts.schema == POSTS_SCHEMA
    assert parsed.profile["username"] == "u"
    assert parsed.has_next_page is None and parsed.end_cursor is None


# ------------------------------------------------------------ real samples, all shapes


@pytest.mark.parametrize("fixture", ["page_2020", "page_2017"])
def test_real_pages_as_v1_timeline_parse_identically(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    raw: bytes = request.getfixturevalue(fixture)
    graph = json.loads(raw)
    nodes = graph_nodes(graph)
    v1 = v1_timeline_from_graph(graph)
    owner = nodes[0]["owner"]["username"]  # the profile the page was requested for
    from_graph = parse_timeline_page(raw, fetched_at=FETCHED, username=owner)
    from_v1 = parse_timeline_page(
        zstandard.ZstdCompressor().compress(json.dumps(v1).encode()), fetched_at=FETCHED
    )
    # Every post of the file, with its likes from the one key a page has.
    assert from_v1.post_count == len(nodes) == from_graph.post_count
    assert from_v1.posts["like_count"].to_list() == [
        n["edge_media_preview_like"]["count"] for n in nodes
    ]
    # A v1 timeline carries no media count: the page's post_count is the one difference.
    assert (
        from_graph.profile["post_count"]
        == graph["data"]["user"]["edge_owner_to_timeline_media"]["count"]
    )
    assert from_v1.profile["post_count"] is None
    from_graph.profile["post_count"] = None
    assert_same(from_graph, from_v1)


def test_real_page_2020_hashtags_in_every_shape(page_2020: bytes) -> None:
    graph = json.loads(page_2020)
    captions = [
        e["node"]["text"] for n in graph_nodes(graph) for e in n["edge_media_to_caption"]["edges"]
    ]
    assert sum(c.count("#") for c in captions) == 83  # 4 of them number-only (#16, #2008…)
    for parsed in (
        parse_profile(page_2020),
        parse_profile(v1_timeline_from_graph(graph)),
        parse_profile(relay_page(graph["data"]["user"] | {"username": "pg"})),
    ):
        assert parsed.posts["hashtags"].list.len().sum() == 79
        assert parsed.posts["location_name"].null_count() == sum(
            1 for n in graph_nodes(graph) if not n["location"]
        )


def test_real_profile_2022_in_every_shape(profile_2022: bytes) -> None:
    graph = json.loads(profile_2022)
    nodes = graph_nodes(graph)
    direct = parse_profile(profile_2022, fetched_at=FETCHED)
    assert direct.post_count == len(nodes)
    assert direct.posts["like_count"].to_list() == [n["edge_liked_by"]["count"] for n in nodes]

    # Embedded in the page, in today's Relay nesting and in the legacy _sharedData.
    user = graph["data"]["user"]
    for html in (relay_page(user), shared_data_page(user)):
        assert_same(parse_profile(html, fetched_at=FETCHED), direct)
        assert_same(parse_profile(html.encode(), fetched_at=FETCHED), direct)
        packed = zstandard.ZstdCompressor().compress(html.encode())
        assert_same(parse_profile(packed, fetched_at=FETCHED), direct)

    # The doc_id strategies: the profile fields from the v1 user, the posts from page 1.
    v1_user = parse_profile(v1_user_from_graph(graph), fetched_at=FETCHED)
    assert v1_user.profile == direct.profile
    assert v1_user.post_count == 0
    assert (v1_user.has_next_page, v1_user.end_cursor) == (True, None)
    v1_page = parse_profile(v1_timeline_from_graph(graph), fetched_at=FETCHED)
    assert v1_page.kind == "timeline_page"
    assert_frame_equal(v1_page.posts, direct.posts)
    assert (v1_page.has_next_page, v1_page.end_cursor) == (
        direct.has_next_page,
        direct.end_cursor,
    )
    # Likes came from edge_liked_by here (the profile also has the preview key).
    assert v1_page.posts["like_count"].to_list() == [n["edge_liked_by"]["count"] for n in nodes]


# ------------------------------------------------------------ the same posts, by Hypothesis

IDS = st.integers(min_value=1, max_value=2**63 - 1).map(str)
USERNAMES = st.from_regex(r"[a-z0-9._]{1,30}", fullmatch=True)
COUNTS = st.none() | st.integers(min_value=0, max_value=2**62)
SHORT_TEXT = st.none() | st.text(max_size=12)
URLS = st.builds(
    lambda path, oe: (
        f"https://scontent.cdninstagram.com/v/{path}.jpg?stp=x"
        + (f"&oe={oe:08X}&_nc_sid=8ae9d6" if oe is not None else "")
    ),
    st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
    st.none() | st.integers(min_value=0, max_value=2**32 - 1),
)
_GRAPH_TYPE = {"image": "GraphImage", "video": "GraphVideo", "sidecar": "GraphSidecar"}
_V1_TYPE = {"image": 1, "video": 2, "sidecar": 8}


@st.composite
def neutral_posts(draw: st.DrawFn, owner: tuple[str, str]) -> dict[str, Any]:
    """One post as plain facts, to be written in each shape."""
    kind = draw(st.sampled_from(["image", "video", "sidecar", None]))
    children = (
        draw(st.lists(st.tuples(IDS, st.sampled_from(["image", "video"]), URLS), max_size=4))
        if kind == "sidecar"
        else None
    )
    url = draw(st.none() | URLS)
    if children and (url is None or draw(st.booleans())):
        url = children[0][2]  # graph shows a carousel's first child; v1 may omit its own
    return {
        "pk": draw(IDS),
        "code": draw(st.from_regex(r"[A-Za-z0-9_-]{6,12}", fullmatch=True)),
        "taken_at": draw(st.none() | st.integers(min_value=0, max_value=2**31)),
        "caption": draw(st.none() | TEXT),
        "likes": draw(COUNTS),
        "comments": draw(COUNTS),
        "kind": kind,
        "views": draw(COUNTS) if kind == "video" else None,
        "owner": owner,
        "location": draw(st.none() | st.tuples(IDS, st.text(max_size=12))),
        "children": children,
        "url": url,
        "pinned": draw(st.sampled_from([None, False, True])),
        # As the graph shape names it: plain images and sidecars have none.
        "product_type": draw(st.sampled_from([None, "clips", "igtv"])),
        "alt": draw(SHORT_TEXT),
        # How each shape happens to carry things: not data, must not matter.
        "likes_key": draw(st.sampled_from(["edge_liked_by", "edge_media_preview_like"])),
        "views_key": draw(st.sampled_from(["view_count", "play_count"])),
        "own_url": url is None or not children or url != children[0][2] or draw(st.booleans()),
    }


def graph_node(post: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": post["pk"],
        "shortcode": post["code"],
        "taken_at_timestamp": post["taken_at"],
        "edge_media_to_caption": {
            "edges": [] if post["caption"] is None else [{"node": {"text": post["caption"]}}]
        },
        post["likes_key"]: {"count": post["likes"]},
        "edge_media_to_comment": {"count": post["comments"]},
        "owner": {"id": post["owner"][0], "username": post["owner"][1]},
        "location": None
        if post["location"] is None
        else {"id": post["location"][0], "name": post["location"][1], "slug": "s"},
        "display_url": post["url"],
        "product_type": post["product_type"],
        "accessibility_caption": post["alt"],
    }
    if post["kind"]:
        node["__typename"] = _GRAPH_TYPE[post["kind"]]
        node["is_video"] = post["kind"] == "video"
    if post["views"] is not None:
        node["video_view_count"] = post["views"]
    if post["children"] is not None:
        node["edge_sidecar_to_children"] = {
            "edges": [
                {"node": {"__typename": _GRAPH_TYPE[k], "id": i, "display_url": u}}
                for i, k, u in post["children"]
            ]
        }
    if post["pinned"] is not None:
        node["pinned_for_users"] = [{"id": post["owner"][0]}] if post["pinned"] else []
    return node


def v1_node(post: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "pk": post["pk"],
        "id": f"{post['pk']}_{post['owner'][0]}",
        "code": post["code"],
        "taken_at": post["taken_at"],
        "caption": None if post["caption"] is None else {"text": post["caption"]},
        "like_count": post["likes"],
        "comment_count": post["comments"],
        # v1 names every post's type.
        "product_type": post["product_type"]
        or ("carousel_container" if post["children"] is not None else "feed"),
        "play_count": None,
        "view_count": None,
        "user": {"pk": post["owner"][0], "username": post["owner"][1]},
        "location": None
        if post["location"] is None
        else {"pk": post["location"][0], "name": post["location"][1]},
        "accessibility_caption": post["alt"],
    }
    node[post["views_key"]] = post["views"]
    if post["kind"]:
        node["media_type"] = _V1_TYPE[post["kind"]]
    if post["own_url"] and post["url"] is not None:
        node["image_versions2"] = {"candidates": [{"url": post["url"], "width": 640}]}
    if post["children"] is not None:
        node["carousel_media"] = [
            {"pk": i, "media_type": _V1_TYPE[k], "image_versions2": {"candidates": [{"url": u}]}}
            for i, k, u in post["children"]
        ]
    if post["pinned"] is not None:
        node["timeline_pinned_user_ids"] = [int(post["owner"][0])] if post["pinned"] else []
    return node


@st.composite
def pages(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    owner = (draw(IDS), draw(USERNAMES))
    posts = draw(st.lists(neutral_posts(owner), max_size=6))
    page_info = {
        "has_next_page": draw(st.none() | st.booleans()),
        "end_cursor": draw(st.none() | st.text(min_size=1, max_size=20)),
    }
    return posts, page_info


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "id": draw(IDS),
        "username": draw(USERNAMES),
        "full_name": draw(SHORT_TEXT),
        "biography": draw(st.none() | TEXT),
        "followers": draw(COUNTS),
        "following": draw(COUNTS),
        "media_count": draw(COUNTS),
        "is_private": draw(st.none() | st.booleans()),
        "is_verified": draw(st.none() | st.booleans()),
        "is_business": draw(st.none() | st.booleans()),
        "category": draw(SHORT_TEXT),
        "external_url": draw(st.none() | URLS),
        "pic": draw(st.none() | URLS),
        "pic_hd": draw(st.none() | URLS),
    }


def graph_user(profile: dict[str, Any], posts: list[dict[str, Any]], page_info: dict) -> dict:
    return {
        "id": profile["id"],
        "username": profile["username"],
        "full_name": profile["full_name"],
        "biography": profile["biography"],
        "edge_followed_by": {"count": profile["followers"]},
        "edge_follow": {"count": profile["following"]},
        "edge_owner_to_timeline_media": {
            "count": profile["media_count"],
            "page_info": page_info,
            "edges": [{"node": graph_node(p)} for p in posts],
        },
        "is_private": profile["is_private"],
        "is_verified": profile["is_verified"],
        "is_business_account": profile["is_business"],
        "category_name": profile["category"],
        "external_url": profile["external_url"],
        "profile_pic_url": profile["pic"],
        "profile_pic_url_hd": profile["pic_hd"],
    }


# Blocks a real page may carry before the profile: none of them may be taken for it.
NOISE = (
    '<script type="application/json">{"broken": </script>',
    '<script type="application/ld+json">{"user": {"username": "ld"}}</script>',
    '<script type="application/json">{"viewer": {"username": "me"}, "user": {"id": 1}}</script>',
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(pages(), st.sampled_from(["dict", "json", "zstd"]))
def test_same_posts_as_graph_page_and_v1_timeline(page: tuple, encoding: str) -> None:
    posts, page_info = page
    graph = {
        "data": {
            "user": {
                "edge_owner_to_timeline_media": {
                    "page_info": page_info,
                    "edges": [{"node": graph_node(p)} for p in posts],
                }
            }
        },
        "status": "ok",
    }
    v1 = {
        "data": {
            V1_TIMELINE_KEY: {
                "edges": [{"node": v1_node(p)} for p in posts],
                "page_info": page_info,
            }
        },
        "extensions": {"is_final": True},
        "status": "ok",
    }
    assert detect_shape(v1) == V1_TIMELINE
    body: Any = v1
    if encoding != "dict":
        body = json.dumps(v1).encode()
        if encoding == "zstd":
            body = zstandard.ZstdCompressor().compress(body)
    from_graph = parse_timeline_page(graph, fetched_at=FETCHED, username="arg")
    from_v1 = parse_timeline_page(body, fetched_at=FETCHED, username="arg")
    assert from_v1.post_count == len(posts)
    assert_same(from_graph, from_v1)


@SETTINGS
@given(profiles(), pages(), st.sampled_from(["relay", "shared_data"]), st.booleans())
def test_same_profile_as_graph_user_embedded_page_and_v1_user(
    profile: dict[str, Any], page: tuple, layout: str, noise: bool
) -> None:
    posts, page_info = page
    user = graph_user(profile, posts, page_info)
    direct = parse_profile({"data": {"user": user}, "status": "ok"}, fetched_at=FETCHED)
    assert direct.post_count == len(posts)

    if layout == "relay":
        html = relay_page(user, extra_blocks=NOISE if noise else ())
    else:
        html = shared_data_page(user)
    assert_same(parse_profile(html.encode(), fetched_at=FETCHED), direct)

    # The doc_id profile: the same profile fields, no posts, a page to fetch unless empty.
    v1_user = {
        "data": {
            "user": {
                "pk": profile["id"],
                "id": profile["id"],
                "username": profile["username"],
                "full_name": profile["full_name"],
                "biography": profile["biography"],
                "follower_count": profile["followers"],
                "following_count": profile["following"],
                "media_count": profile["media_count"],
                "is_private": profile["is_private"],
                "is_verified": profile["is_verified"],
                "is_business": profile["is_business"],
                "category": profile["category"],
                "external_url": profile["external_url"],
                "profile_pic_url": profile["pic"],
                "hd_profile_pic_url_info": {"url": profile["pic_hd"]},
            }
        },
        "status": "ok",
    }
    expected_next = profile["media_count"] is None or profile["media_count"] > 0
    empty = graph_user(profile, [], {"has_next_page": expected_next, "end_cursor": None})
    assert_same(
        parse_profile(v1_user, fetched_at=FETCHED),
        parse_profile({"data": {"user": empty}}, fetched_at=FETCHED),
    )


# ------------------------------------------------------------ extract_embedded


USER = {"id": "1", "username": "alice", "full_name": "A"}


def _block(value: Any, attrs: str = 'type="application/json"') -> str:
    return f"<script {attrs}>{json.dumps(value)}</script>"


def test_extract_relay_nesting() -> None:
    assert extract_embedded(relay_page(USER)) == {"data": {"user": USER}}


def test_extract_legacy_shared_data() -> None:
    assert extract_embedded(shared_data_page(USER)) == {"data": {"user": USER}}
    # Without spaces, and followed by more script on the same line.
    user = json.dumps(USER)
    html = f'<script>window._sharedData={{"a":{{"user":{user}}}}};var y=1;</script>'
    assert extract_embedded(html) == {"data": {"user": USER}}


@pytest.mark.parametrize(
    "attrs",
    [
        'type="application/json"',
        "type='application/json'",
        "type=application/json",
        'data-sjs type="application/json" data-content-len="12"',
        'TYPE="application/json"',
        'type = "application/json"',
    ],
)
def test_extract_attribute_variants(attrs: str) -> None:
    html = "<HTML>" + _block({"user": USER}, attrs).replace("script", "SCRIPT", 1) + "</HTML>"
    assert extract_embedded(html)["data"]["user"] == USER


def test_extract_takes_the_first_user_depth_first_in_document_order() -> None:
    first = {"username": "first", "id": "1"}
    second = {"username": "second", "id": "2"}
    # Depth first: a.user (deep, but earlier) comes before the root's own later "user".
    tree = {"a": {"b": [{"user": first}]}, "user": second}
    assert extract_embedded(_block(tree))["data"]["user"] == first
    # Across blocks, the earlier block wins; a "user" without a username is passed over.
    html = _block({"user": {"id": "0"}}) + _block({"x": {"user": second}}) + _block({"user": first})
    assert extract_embedded(html)["data"]["user"] == second
    # A username must be a non-empty string.
    html = _block(
        {"user": {"username": ""}, "z": {"user": {"username": None}}, "y": {"user": first}}
    )
    assert extract_embedded(html)["data"]["user"] == first


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body>Log in to Instagram</body></html>",
        _block({"viewer": {"username": "me"}}),
        _block({"user": "alice"}),
        _block({"user": {"id": "1"}}),
        _block({"user": USER}, 'type="text/javascript"'),
        _block({"user": USER}, 'type="application/ld+json"'),
        _block({"user": USER}, 'data-type="application/json"'),
        '<script type="application/json">{"user": {"username": "cut"',
        '<script type="application/json">not json at all</script>',
        "<script type=\"application/json\">{'user': {'username': 'py'}}</script>",
        "<script>window._sharedData = {broken;</script>",
    ],
)
def test_extract_missing_raises_a_clear_error(html: str) -> None:
    with pytest.raises(ShapeError, match="no embedded profile"):
        extract_embedded(html)
    with pytest.raises(ProfileParseError, match="HTML page: no embedded profile"):
        parse_profile(html if html.startswith("<") else "<html>" + html, username="alice")


def test_extract_skips_blocks_too_deep_to_load_and_searches_deep_ones_iteratively() -> None:
    too_deep = '<script type="application/json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
    depth = 400  # deep, but within what json.loads takes
    nested: Any = {"user": USER}
    for i in range(depth):
        nested = {"k": [nested]} if i % 2 else [nested]
    html = too_deep + _block(nested)
    assert extract_embedded(html)["data"]["user"] == USER


def test_extract_is_linear_on_hostile_pages() -> None:
    # Quadratic scanning would take minutes on these; linear takes milliseconds.
    hostile = [
        "<script" * 200_000,
        '<script type="application/json">' * 100_000,
        "<script>" + "</script" * 200_000,
        "window._sharedData = {" * 100_000,
        '<script type="application/json">{"a": 1}</script>' * 20_000,
    ]
    for html in hostile:
        started = time.perf_counter()
        with pytest.raises(ShapeError):
            extract_embedded(html)
        assert time.perf_counter() - started < 5


def test_html_body_forms(profile_2022: bytes) -> None:
    user = json.loads(profile_2022)["data"]["user"]
    html = relay_page(user)
    name = user["username"]  # the requested profile: an answer naming another is refused
    expected = parse_profile(profile_2022, username=name)
    for form in ("\ufeff" + html, "\n\n  " + html, html.encode("utf-8"), bytearray(html.encode())):
        assert_same(parse_profile(form, username=name), expected)


def test_embedded_v1_user_is_converted_too() -> None:
    """Today's pages embed a v1-style user; it parses like the doc_id profile answer."""
    html = relay_page(CONTRACT_V1_USER["data"]["user"])
    assert_same(parse_profile(html), parse_profile(CONTRACT_V1_USER))


def test_posts_frame_schema_is_kept_for_every_shape() -> None:
    for body in (CONTRACT_V1_TIMELINE, CONTRACT_V1_USER, relay_page(USER)):
        posts = parse_profile(body).posts
        assert posts.schema == POSTS_SCHEMA
        assert isinstance(posts, pl.DataFrame)


def test_a_lone_surrogate_escape_becomes_a_replacement_character() -> None:
    """JSON may escape half a surrogate pair ("\\udca9"); Arrow refused the string (found by
    the spoiled-bytes property test). Pairs still join; a lone half becomes U+FFFD."""
    body = (
        b'{"data":{"user":{"id":"1","username":"a","full_name":"x\\udca9y",'
        b'"edge_owner_to_timeline_media":{"edges":[{"node":{"id":"5","edge_media_to_caption":'
        b'{"edges":[{"node":{"text":"hi \\ud83d\\ude00 \\udca9 #tag"}}]}}}]}}}}'
    )
    parsed = parse_profile(body)
    assert parsed.profile["full_name"] == "x\ufffdy"
    assert parsed.posts["caption"].to_list() == ["hi \U0001f600 \ufffd #tag"]
    assert parsed.posts["hashtags"].to_list() == [["tag"]]
