"""Timeline cursors: opaque, base64 like the real ones, and tied to the endpoint that issued
them."""

from __future__ import annotations

import base64

GRAPH_CURSOR = "sbx"  # cursors of the graph timeline (graphql_query_hash)
V1_CURSOR = "sbxv1"  # cursors of the v1 timeline (graphql_doc_id): not valid on the other


def encode_cursor(user_index: int, post_index: int, tag: str = GRAPH_CURSOR) -> str:
    """An opaque end_cursor (base64, padded, like the real ones) naming a post.

    ``tag`` names the strategy the cursor belongs to, as Instagram's cursors are only valid
    on the endpoint that issued them.
    """
    return base64.b64encode(f"{tag}:{user_index}:{post_index}".encode()).decode()


def decode_cursor(cursor: str, tag: str = GRAPH_CURSOR) -> tuple[int, int]:
    """``(user_index, post_index)`` from a cursor; ValueError when it is not ours."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        found, user, post = text.split(":")
        if found != tag:
            raise ValueError(found)
        return int(user), int(post)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
