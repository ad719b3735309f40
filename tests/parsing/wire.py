"""Test helpers: the same data written in every strategy's shape, by hand.

The converters here go the *other* way from ``intrend_assets.parsing.shapes`` (graph → v1, graph →
HTML page) and are written from ``docs/instagram-strategies.md``, not from the code under
test, so a round trip through both checks the mapping rather than restating it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

V1_TIMELINE_KEY = "xdt_api__v1__feed__user_timeline_graphql_connection"

_MEDIA_TYPES = {"GraphImage": 1, "GraphVideo": 2, "GraphSidecar": 8}

# The two examples of the contract, as written there (the "//" notes dropped).
CONTRACT_V1_USER: dict[str, Any] = {
    "data": {
        "user": {
            "pk": "123",
            "id": "123",
            "username": "u",
            "full_name": "Full Name",
            "biography": "bio #tag",
            "follower_count": 10,
            "following_count": 5,
            "media_count": 41,
            "is_private": False,
            "is_verified": False,
            "is_business": False,
            "category": None,
            "external_url": None,
            "profile_pic_url": "https://cdn.example/p.jpg",
            "hd_profile_pic_url_info": {"url": "https://cdn.example/p_hd.jpg"},
        }
    },
    "extensions": {"is_final": True},
    "status": "ok",
}

CONTRACT_V1_TIMELINE: dict[str, Any] = {
    "data": {
        V1_TIMELINE_KEY: {
            "edges": [
                {
                    "node": {
                        "pk": "3141",
                        "id": "3141_123",
                        "code": "Cabc123",
                        "taken_at": 1700000000,
                        "caption": {"text": "Paris #Travel @friend"},
                        "like_count": 12,
                        "comment_count": 3,
                        "media_type": 8,
                        "product_type": "carousel_container",
                        "play_count": None,
                        "view_count": None,
                        "user": {"pk": "123", "username": "u"},
                        "location": {"pk": "99", "name": "Paris"},
                        "carousel_media": [
                            {
                                "pk": "3142",
                                "media_type": 1,
                                "image_versions2": {
                                    "candidates": [
                                        {"url": "https://cdn.example/c1.jpg?oe=6553F100"}
                                    ]
                                },
                            },
                            {
                                "pk": "3143",
                                "media_type": 2,
                                "image_versions2": {
                                    "candidates": [{"url": "https://cdn.example/c2.jpg"}]
                                },
                            },
                        ],
                        "image_versions2": {
                            "candidates": [
                                {
                                    "url": "https://cdn.example/a.jpg?oe=6553F100",
                                    "width": 1080,
                                    "height": 1080,
                                },
                                {"url": "https://cdn.example/small.jpg", "width": 320},
                            ]
                        },
                        "timeline_pinned_user_ids": [123],
                        "accessibility_caption": "Photo by u",
                    }
                },
                {
                    "node": {
                        "pk": "3140",
                        "id": "3140_123",
                        "code": "Cxyz",
                        "taken_at": 1699990000,
                        "caption": None,
                        "like_count": 0,
                        "comment_count": 0,
                        "media_type": 2,
                        "product_type": "clips",
                        "play_count": 5000,
                        "view_count": None,
                        "user": {"pk": "123", "username": "u"},
                        "location": None,
                        "image_versions2": {"candidates": [{"url": "https://cdn.example/v.jpg"}]},
                        "timeline_pinned_user_ids": [],
                        "accessibility_caption": None,
                    }
                },
            ],
            "page_info": {"has_next_page": True, "end_cursor": "cursor-2"},
        }
    },
    "extensions": {"is_final": True},
    "status": "ok",
}


def graph_nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The post nodes of a graph answer (profile or page)."""
    return [e["node"] for e in body["data"]["user"]["edge_owner_to_timeline_media"]["edges"]]


def v1_node_from_graph(node: dict[str, Any]) -> dict[str, Any]:
    """One graph post node written as the ``doc_id`` timeline would send it."""
    owner = node.get("owner") or {}
    captions = (node.get("edge_media_to_caption") or {}).get("edges") or []
    likes = node.get("edge_liked_by") or node.get("edge_media_preview_like") or {}
    location = node.get("location")
    v1: dict[str, Any] = {
        "pk": node["id"],
        "id": f"{node['id']}_{owner.get('id')}",
        "code": node.get("shortcode"),
        "taken_at": node.get("taken_at_timestamp"),
        "caption": {"text": captions[0]["node"]["text"], "pk": "1"} if captions else None,
        "like_count": likes.get("count"),
        "comment_count": (node.get("edge_media_to_comment") or {}).get("count"),
        "media_type": _MEDIA_TYPES.get(node.get("__typename")),
        "product_type": node.get("product_type")
        or ("carousel_container" if node.get("__typename") == "GraphSidecar" else "feed"),
        "play_count": None,
        "view_count": node.get("video_view_count"),
        "user": {"pk": owner.get("id"), "username": owner.get("username"), "is_private": False},
        "location": {"pk": location["id"], "name": location["name"], "lat": 1.0}
        if location
        else None,
        "image_versions2": {"candidates": [{"url": node.get("display_url"), "width": 1080}]},
        "accessibility_caption": node.get("accessibility_caption"),
        "has_liked": False,  # a field nobody reads, as real answers carry dozens
    }
    if "edge_sidecar_to_children" in node:
        v1["carousel_media"] = [
            {
                "pk": child["node"]["id"],
                "media_type": _MEDIA_TYPES.get(child["node"].get("__typename")),
                "image_versions2": {"candidates": [{"url": child["node"].get("display_url")}]},
            }
            for child in node["edge_sidecar_to_children"]["edges"]
        ]
    if "pinned_for_users" in node:
        v1["timeline_pinned_user_ids"] = [int(u["id"]) for u in node["pinned_for_users"]]
    return v1


def v1_timeline_from_graph(body: dict[str, Any]) -> dict[str, Any]:
    """A graph answer's posts and page_info as a ``doc_id`` timeline answer."""
    media = body["data"]["user"]["edge_owner_to_timeline_media"]
    return {
        "data": {
            V1_TIMELINE_KEY: {
                "edges": [
                    {"node": v1_node_from_graph(n), "cursor": "x"} for n in graph_nodes(body)
                ],
                "page_info": copy.deepcopy(media.get("page_info")),
            }
        },
        "extensions": {"is_final": True},
        "status": "ok",
    }


def v1_user_from_graph(body: dict[str, Any]) -> dict[str, Any]:
    """A graph user's profile fields as the ``doc_id`` profile answer (which has no posts)."""
    user = body["data"]["user"]
    return {
        "data": {
            "user": {
                "pk": user["id"],
                "id": user["id"],
                "username": user.get("username"),
                "full_name": user.get("full_name"),
                "biography": user.get("biography"),
                "follower_count": (user.get("edge_followed_by") or {}).get("count"),
                "following_count": (user.get("edge_follow") or {}).get("count"),
                "media_count": (user.get("edge_owner_to_timeline_media") or {}).get("count"),
                "is_private": user.get("is_private"),
                "is_verified": user.get("is_verified"),
                "is_business": user.get("is_business_account"),
                "category": user.get("category_name"),
                "external_url": user.get("external_url"),
                "profile_pic_url": user.get("profile_pic_url"),
                "hd_profile_pic_url_info": {"url": user.get("profile_pic_url_hd")},
            }
        },
        "extensions": {"is_final": True},
        "status": "ok",
    }


def _script_json(value: Any) -> str:
    # As Instagram writes it: "<" escaped, so no string in the data can close the script.
    return json.dumps(value).replace("<", "\\u003c")


def relay_page(user: Any, *, extra_blocks: tuple[str, ...] = ()) -> str:
    """An HTML profile page nesting ``user`` like Instagram's Relay preloader (the contract)."""
    relay = {
        "require": [
            [
                "ScheduledServerJS",
                "handle",
                None,
                [
                    {
                        "__bbox": {
                            "require": [
                                [
                                    "RelayPrefetchedStreamCache",
                                    "next",
                                    [],
                                    [
                                        "adp_PolarisProfilePageContentQueryRelayPreloader_0",
                                        {
                                            "__bbox": {
                                                "result": {
                                                    "data": {"user": user},
                                                    "extensions": {},
                                                }
                                            }
                                        },
                                    ],
                                ]
                            ]
                        }
                    }
                ],
            ]
        ]
    }
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><title>Instagram</title>"
        '<script type="text/javascript">var x = {"user": {"username": "not-json-block"}};</script>'
        + "".join(extra_blocks)
        + '<script type="application/json" data-content-len="1" data-sjs>'
        + _script_json(relay)
        + "</script></head><body><div id='root'></div></body></html>"
    )


def shared_data_page(user: dict[str, Any]) -> str:
    """The pre-2022 page: ``window._sharedData = {...};`` in a plain script."""
    shared = {
        "config": {"viewer": None, "csrf_token": "x"},
        "entry_data": {"ProfilePage": [{"logging_page_id": "p", "graphql": {"user": user}}]},
    }
    return (
        '<html><head><script type="text/javascript">window._sharedData = '
        + _script_json(shared)
        + ";</script></head><body></body></html>"
    )
