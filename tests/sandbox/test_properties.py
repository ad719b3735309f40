"""Properties of the post timeline for any seed, profile and time (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from tests.sandbox.conftest import ANCHOR

DAY = 86_400


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    index=st.integers(0, 49),
    offset_days=st.floats(-30, 30),
    first=st.integers(1, 50),
)
def test_paging_yields_every_visible_post_once_newest_first(
    seed: int, index: int, offset_days: float, first: int
) -> None:
    content = SandboxContent(SandboxConfig(profiles=50, seed=seed, anchor=ANCHOR, private_share=0))
    now = ANCHOR.timestamp() + offset_days * DAY
    name = content.username(index)
    user = content.profile_response(name, now)["data"]["user"]
    media = user["edge_owner_to_timeline_media"]
    nodes = [e["node"] for e in media["edges"]]
    cursor = media["page_info"]["end_cursor"] if media["page_info"]["has_next_page"] else None
    while cursor:
        page = content.timeline_page(user["id"], first, cursor, now)
        page_media = page["data"]["user"]["edge_owner_to_timeline_media"]
        assert len(page_media["edges"]) <= first
        nodes += [e["node"] for e in page_media["edges"]]
        info = page_media["page_info"]
        cursor = info["end_cursor"] if info["has_next_page"] else None
    times = [n["taken_at_timestamp"] for n in nodes]
    assert len(nodes) == media["count"] == len({n["id"] for n in nodes})
    assert times == sorted(times, reverse=True) and len(set(times)) == len(times)
    assert all(t <= now for t in times)
