"""Generated bodies: deterministic, shaped like the real responses, moving with time."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent, decode_cursor, encode_cursor, shortcode
from tests.sandbox.conftest import ANCHOR

DAY = 86_400
NOW = ANCHOR.timestamp()

PROFILE_FIELDS = {
    "id", "username", "full_name", "biography", "edge_followed_by", "edge_follow",
    "is_private", "is_verified", "category_name", "profile_pic_url_hd",
    "edge_owner_to_timeline_media",
}  # fmt: skip
NODE_FIELDS = {
    "id", "shortcode", "__typename", "taken_at_timestamp", "edge_media_to_caption",
    "edge_liked_by", "edge_media_preview_like", "edge_media_to_comment", "is_video",
    "display_url", "accessibility_caption", "location", "owner",
}  # fmt: skip


def _user(content: SandboxContent, name: str, now: float = NOW) -> dict:
    body = content.profile_response(name, now)
    assert body is not None and body["status"] == "ok"
    return body["data"]["user"]


def _all_nodes(content: SandboxContent, content_now: float = NOW) -> list[dict]:
    nodes = []
    for name in content.public_usernames()[:100]:
        nodes += [
            e["node"]
            for e in _user(content, name, content_now)["edge_owner_to_timeline_media"]["edges"]
        ]
    return nodes


def test_same_seed_same_bodies_different_seed_different(cfg: SandboxConfig) -> None:
    a, b = SandboxContent(cfg), SandboxContent(cfg)
    other = SandboxContent(cfg.model_copy(update={"seed": 8}))
    name = a.public_usernames()[0]
    assert a.usernames() == b.usernames()
    assert a.profile_response(name, NOW) == b.profile_response(name, NOW)
    assert a.usernames() != other.usernames()
    assert a.profile_response(name, NOW) != other.profile_response(other.usernames()[0], NOW)


def test_profile_has_the_real_fields(content: SandboxContent) -> None:
    user = _user(content, content.public_usernames()[0])
    assert user.keys() >= PROFILE_FIELDS
    assert isinstance(user["edge_followed_by"]["count"], int)
    assert isinstance(user["edge_follow"]["count"], int)
    media = user["edge_owner_to_timeline_media"]
    assert {"count", "page_info", "edges"} <= media.keys()
    assert {"has_next_page", "end_cursor"} <= media["page_info"].keys()
    assert 0 < len(media["edges"]) <= 12
    # Extra fields nobody asked for are present, as in reality.
    assert {"fbid", "edge_felix_video_timeline", "pronouns", "highlight_reel_count"} <= user.keys()


def test_nodes_have_the_real_fields_newest_first(content: SandboxContent) -> None:
    nodes = _all_nodes(content)
    for node in nodes:
        assert node.keys() >= NODE_FIELDS, NODE_FIELDS - node.keys()
        assert node["__typename"] in {"GraphImage", "GraphVideo", "GraphSidecar"}
        assert node["is_video"] == (node["__typename"] == "GraphVideo")
        # Like the real 2022 sample: video_view_count only on videos.
        assert ("video_view_count" in node) == node["is_video"]
        assert node["edge_liked_by"] == node["edge_media_preview_like"]
        assert set(node["owner"]) == {"id", "username"}
        assert node["taken_at_timestamp"] <= NOW
        assert node["shortcode"] == shortcode(int(node["id"]))
    user = _user(content, content.public_usernames()[0])
    times = [e["node"]["taken_at_timestamp"] for e in user["edge_owner_to_timeline_media"]["edges"]]
    assert times == sorted(times, reverse=True)


def test_variety_sidecars_locations_and_missing_captions(content: SandboxContent) -> None:
    nodes = _all_nodes(content)
    kinds = Counter(n["__typename"] for n in nodes)
    assert kinds["GraphImage"] and kinds["GraphVideo"] and kinds["GraphSidecar"]
    for node in nodes:
        if node["__typename"] == "GraphSidecar":
            children = node["edge_sidecar_to_children"]["edges"]
            assert len(children) >= 2
            assert all({"id", "__typename", "display_url"} <= c["node"].keys() for c in children)
            assert all("edge_media_to_caption" not in c["node"] for c in children)
    locations = [n["location"] for n in nodes]
    assert None in locations
    assert any(loc and {"id", "name", "slug"} <= loc.keys() for loc in locations)
    assert any(n["edge_media_to_caption"]["edges"] == [] for n in nodes)


def test_display_url_expires_a_few_days_ahead(content: SandboxContent) -> None:
    for node in _all_nodes(content)[:50]:
        url = node["display_url"]
        assert urlsplit(url).hostname.endswith(".cdninstagram.com")
        oe = int(parse_qs(urlsplit(url).query)["oe"][0], 16)
        assert NOW + 2 * DAY < oe < NOW + 5 * DAY


def test_captions_cover_many_scripts_mentions_emoji_and_traps(content: SandboxContent) -> None:
    texts = [
        e["node"]["text"] for n in _all_nodes(content) for e in n["edge_media_to_caption"]["edges"]
    ]
    joined = "\n".join(texts)
    scripts = {
        "latin-diacritics": r"[äöüßéèêçñáíóúãõ]",
        "cyrillic": r"[\u0400-\u04FF]",
        "arabic": r"[\u0600-\u06FF]",
        "devanagari": r"[\u0900-\u097F]",
        "japanese": r"[\u3040-\u30FF]",
        "hangul": r"[\uAC00-\uD7AF]",
    }
    for script, pattern in scripts.items():
        assert re.search(r"#\S*" + pattern, joined), f"no {script} hashtag"
    assert re.search(r"@[a-z._]+\d+", joined)
    assert re.search(r"[\U0001F300-\U0001FAFF]", joined)
    # At least one of the tricky forms shows up across a few hundred captions.
    assert re.search(r"https://\S+#|＃|#\d+\b|#\w+[!,.…)]|#\w+#", joined)


def test_private_profile_keeps_count_but_has_no_edges(content: SandboxContent) -> None:
    private = content.private_usernames()
    assert private, "the seed should produce some private profiles"
    user = _user(content, private[0])
    assert user["is_private"] is True
    media = user["edge_owner_to_timeline_media"]
    assert media["edges"] == [] and media["count"] > 0
    assert media["page_info"] == {"has_next_page": False, "end_cursor": None}


def test_unknown_usernames_404_or_user_null(content: SandboxContent) -> None:
    answers = [content.profile_response(name, NOW) for name in content.unknown_usernames()]
    assert None in answers  # HTTP 404
    assert {"data": {"user": None}, "status": "ok"} in answers
    assert content.profile_response("definitely_not_a_sandbox_user", NOW) in (
        None,
        {"data": {"user": None}, "status": "ok"},
    )
    known = set(content.usernames())
    assert not known & set(content.unknown_usernames())


def test_usernames_are_valid_and_found_without_a_table() -> None:
    content = SandboxContent(SandboxConfig(profiles=100_000, anchor=ANCHOR))
    for index in (0, 1, 99_999):
        name = content.username(index)
        assert re.fullmatch(r"[a-z0-9._]{1,30}", name)
        assert content.index_of(name) == index
        assert content.index_of_id(content.user_id(index)) == index
    assert content.index_of(content.username(100_000)) is None
    assert content.profile_response(content.username(54_321), NOW) is not None


def test_pagination_continues_the_profile_without_gaps(content: SandboxContent) -> None:
    user = _user(content, content.public_usernames()[3])
    media = user["edge_owner_to_timeline_media"]
    seen = [e["node"]["id"] for e in media["edges"]]
    cursor = media["page_info"]["end_cursor"]
    pages = 0
    while cursor and pages < 200:
        page = content.timeline_page(user["id"], 50, cursor, NOW)
        page_media = page["data"]["user"]["edge_owner_to_timeline_media"]
        for edge in page_media["edges"]:
            assert "edge_liked_by" not in edge["node"]  # likes only under preview_like
            assert "edge_media_preview_like" in edge["node"]
        seen += [e["node"]["id"] for e in page_media["edges"]]
        cursor = (
            page_media["page_info"]["end_cursor"]
            if page_media["page_info"]["has_next_page"]
            else None
        )
        pages += 1
    assert len(seen) == len(set(seen)) == media["count"]


def test_timeline_page_for_unknown_id_and_foreign_cursor(content: SandboxContent) -> None:
    assert content.timeline_page("123", 12, None, NOW) == {"data": {"user": None}, "status": "ok"}
    a, b = (content.user_id(content.index_of(n)) for n in content.public_usernames()[:2])
    foreign = encode_cursor(content.index_of_id(b), 0)
    with pytest.raises(ValueError):
        content.timeline_page(a, 12, foreign, NOW)
    with pytest.raises(ValueError):
        decode_cursor("not base64!")


def test_new_posts_appear_as_time_passes(content: SandboxContent) -> None:
    name = content.public_usernames()[0]
    before = _user(content, name, NOW)["edge_owner_to_timeline_media"]
    later = _user(content, name, NOW + 10 * DAY)["edge_owner_to_timeline_media"]
    assert later["count"] > before["count"]
    newest_then = before["edges"][0]["node"]
    later_ids = [e["node"]["id"] for e in later["edges"]]
    assert later_ids[0] != newest_then["id"]
    assert all(e["node"]["taken_at_timestamp"] <= NOW + 10 * DAY for e in later["edges"])


def test_likes_grow_with_post_age(content: SandboxContent) -> None:
    name = content.public_usernames()[1]
    node_now = _user(content, name, NOW)["edge_owner_to_timeline_media"]["edges"][0]["node"]
    user_id = node_now["owner"]["id"]
    later = content.timeline_page(user_id, 50, None, NOW + 30 * DAY)
    same = next(
        e["node"]
        for e in later["data"]["user"]["edge_owner_to_timeline_media"]["edges"]
        if e["node"]["id"] == node_now["id"]
    )
    assert same["edge_media_preview_like"]["count"] >= node_now["edge_liked_by"]["count"]


def test_cursor_round_trip() -> None:
    for user, post in [(0, 0), (5, -300), (999_999, 12345)]:
        assert decode_cursor(encode_cursor(user, post)) == (user, post)


def test_pinned_posts_sit_on_top_when_enabled(cfg: SandboxConfig) -> None:
    content = SandboxContent(cfg.model_copy(update={"pinned_share": 1.0}))
    user = _user(content, content.public_usernames()[0])
    edges = user["edge_owner_to_timeline_media"]["edges"]
    pinned = [e["node"] for e in edges if e["node"]["pinned_for_users"]]
    assert 1 <= len(pinned) <= 3 and len(edges) == 12
    assert [e["node"] for e in edges[: len(pinned)]] == pinned
    rest = [e["node"]["taken_at_timestamp"] for e in edges[len(pinned) :]]
    assert rest == sorted(rest, reverse=True)
    assert all(n["taken_at_timestamp"] < rest[-1] for n in pinned)  # older than the page
    # Off by default: strictly newest first.
    assert not any(
        e["node"]["pinned_for_users"]
        for n in SandboxContent(cfg).public_usernames()[:50]
        for e in _user(SandboxContent(cfg), n)["edge_owner_to_timeline_media"]["edges"]
    )


def test_now_defaults_to_the_anchor(content: SandboxContent) -> None:
    name = content.public_usernames()[0]
    assert content.profile_response(name) == content.profile_response(name, NOW)


def test_cdn_urls_are_well_formed(content: SandboxContent) -> None:
    for node in _all_nodes(content)[:100]:
        for url in (node["display_url"], node["thumbnail_src"]):
            assert re.fullmatch(r"https://[a-z0-9.-]+/[A-Za-z0-9._/-]+\?[A-Za-z0-9_=&.-]+", url)
