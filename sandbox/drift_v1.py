"""The shape drifts of :mod:`sandbox.faults`, rendered on the v1 shapes (graphql_doc_id).

The drift switch picks a kind per username; this module says what that kind means for a v1
user or a v1 timeline page, so the same switch exercises every parser path.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.shapes_v1 import TIMELINE_CONNECTION


def apply_drift_v1(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """One named shape drift applied to a copy of a v1 user answer or v1 timeline page."""
    body = json.loads(json.dumps(body))
    data = body.get("data")
    if not isinstance(data, dict):
        return body
    user = data.get("user")
    connection = data.get(TIMELINE_CONNECTION)
    edges = connection.get("edges") if isinstance(connection, dict) else None
    nodes = [
        e["node"] for e in edges or [] if isinstance(e, dict) and isinstance(e.get("node"), dict)
    ]
    if kind == "caption_missing":
        for n in nodes:
            n.pop("caption", None)
    elif kind == "counts_null":
        if isinstance(user, dict):
            for key in ("follower_count", "following_count", "media_count"):
                user[key] = None
        for n in nodes:
            n["like_count"] = None
            n["comment_count"] = None
    elif kind == "location_null":
        for n in nodes:
            n["location"] = None
            n["accessibility_caption"] = None
    elif kind == "likes_renamed":
        for n in nodes:
            if "like_count" in n:
                n["like_count_v2"] = n.pop("like_count")
    elif kind == "edges_null" and isinstance(connection, dict):
        connection["edges"] = None
    elif kind == "node_null" and edges:
        edges[0]["node"] = None
        edges.append({})
    elif kind == "owner_missing":
        for n in nodes:
            n.pop("user", None)
            n.pop("taken_at", None)
    elif kind == "timeline_missing":
        data.pop(TIMELINE_CONNECTION, None)
    return body


__all__ = ["apply_drift_v1"]
