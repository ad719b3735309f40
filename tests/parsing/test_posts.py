"""The subscript reader of post nodes against ``node_values``, on the shapes where they part.

``graph_values`` reads a node in the shape Instagram sends with plain subscripts and gives up
(``None``) on anything else, which ``node_values`` then reads by jmespath's rules; each case
here is a way a node can leave the common shape, so a reader that handled one wrongly (rather
than give it up) would change a post.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from intrend_assets.parsing import fields
from intrend_assets.parsing.posts import graph_values, post_columns
from intrend_assets.parsing.profile import parse_profile
from warehouse.contract import POSTS_SCHEMA

NODE: dict[str, Any] = {
    "id": "3001",
    "shortcode": "Cabc",
    "owner": {"id": "77", "username": "someone"},
    "taken_at_timestamp": 1780000000,
    "edge_media_to_caption": {"edges": [{"node": {"text": "sun #Beach @pal"}}]},
    "edge_liked_by": {"count": 5},
    "edge_media_preview_like": {"count": 9},
    "edge_media_to_comment": {"count": 2},
    "__typename": "GraphSidecar",
    "is_video": False,
    "edge_sidecar_to_children": {"edges": [{"node": {}}, {"node": {}}]},
    "pinned_for_users": [],
    "product_type": "feed",
    "display_url": "https://cdn.example/x.jpg?a=1&oe=6A000000&b=2",
    "location": {"id": "12", "name": "Here"},
    "accessibility_caption": "A photo",
}

VARIANTS: dict[str, dict[str, Any]] = {
    "likes count null, the preview has one": {"edge_liked_by": {"count": None}},
    "likes only in the preview": {"edge_liked_by": None},
    "likes connection empty": {"edge_liked_by": {}},
    "likes connection a list": {"edge_liked_by": [1]},
    "no likes anywhere": {"edge_liked_by": None, "edge_media_preview_like": None},
    "comments count null": {"edge_media_to_comment": {"count": None}},
    "comments only in the preview": {
        "edge_media_to_comment": None,
        "edge_media_preview_comment": {"count": 4},
    },
    "caption edges empty": {"edge_media_to_caption": {"edges": []}},
    "caption edges a string": {"edge_media_to_caption": {"edges": "text"}},
    "caption edges an object": {"edge_media_to_caption": {"edges": {"0": {}}}},
    "caption node null": {"edge_media_to_caption": {"edges": [{"node": None}]}},
    "caption without text": {"edge_media_to_caption": {"edges": [{"node": {}}]}},
    "caption connection a list": {"edge_media_to_caption": []},
    "owner null": {"owner": None},
    "owner a string": {"owner": "someone"},
    "owner without a name": {"owner": {"id": "77"}},
    "owner without an id": {"owner": {"username": "someone"}},
    "location a string": {"location": "Here"},
    "location empty": {"location": {}},
    "children without edges": {"edge_sidecar_to_children": {}},
    "children a list": {"edge_sidecar_to_children": [1, 2]},
    "children edges a string": {"edge_sidecar_to_children": {"edges": "ab"}},
    "id missing": {"id": None},
    "typename missing": {"__typename": None},
    "counts of other types": {"edge_liked_by": {"count": "12"}, "taken_at_timestamp": 1.5},
}


def _variant(name: str) -> dict[str, Any]:
    node = copy.deepcopy(NODE)
    for key, value in VARIANTS[name].items():
        if value is None and key in ("id", "__typename", "edge_liked_by", "owner"):
            node.pop(key)
        else:
            node[key] = value
    return json.loads(json.dumps(node))  # as the decoder gives it


@pytest.mark.parametrize("name", ["the common shape", *VARIANTS])
def test_the_subscript_reader_reads_what_node_values_reads_or_gives_up(name: str) -> None:
    node = copy.deepcopy(NODE) if name == "the common shape" else _variant(name)
    fast = graph_values(node)
    if name == "the common shape":
        assert fast is not None
    assert fast is None or fast == fields.node_values(node)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_post_is_the_same_read_either_way(name: str) -> None:
    nodes = [_variant(name), copy.deepcopy(NODE)]
    fast = post_columns(nodes, "77", "someone", None, json_nodes=True)
    general = post_columns(nodes, "77", "someone", None, json_nodes=False)
    assert fast == general


def test_likes_fall_back_to_the_preview_when_the_count_is_null() -> None:
    body = {
        "data": {
            "user": {
                "id": "77",
                "username": "someone",
                "edge_owner_to_timeline_media": {
                    "edges": [{"node": _variant("likes count null, the preview has one")}]
                },
            }
        }
    }
    parsed = parse_profile(json.dumps(body).encode(), username="someone")
    assert parsed.post_columns["like_count"] == [9]


@pytest.mark.parametrize("nodes", [[], [NODE]], ids=["no posts", "a post"])
def test_the_columns_are_the_contract_s_in_its_order(nodes: list[dict[str, Any]]) -> None:
    for json_nodes in (True, False):
        columns = post_columns(copy.deepcopy(nodes), "77", "someone", None, json_nodes=json_nodes)
        assert list(columns) == list(POSTS_SCHEMA)
        assert {len(values) for values in columns.values()} == {len(nodes)}
