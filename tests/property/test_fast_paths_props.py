"""Hypothesis: the parser's fast paths give exactly what the code they replace gave.

- ``parsing.fields`` (plain dict lookups) against the jmespath expressions it replaces, on
  drifted answers (fields missing, of another type, null);
- ``parsing.decode`` (orjson) against ``json`` on the same bodies, encoded;
- ``extract_hashtags_with_indices`` (sign-first patterns, BMP and ASCII fast paths) against
  the one regex tried at every position it replaces, on text biased towards the rules'
  corners;
- ``extract_mentions`` (sign first) against the lookbehind-first regex it replaces.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import jmespath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intrend_assets import hashtags
from intrend_assets.parsing import cdn, fields, posts
from intrend_assets.parsing.decode import _decode_text, decode
from intrend_assets.parsing.profile import ProfileParseError, parse_profile
from tests.property.test_hashtags_props import TEXT
from tests.property.test_parsing_props import BASES, drifted_bodies

_USER = jmespath.compile("data.user || graphql.user")
_PROFILE = jmespath.compile(
    "{id: id, username: username, full_name: full_name, biography: biography,"
    " followers: edge_followed_by.count, following: edge_follow.count,"
    " post_count: edge_owner_to_timeline_media.count,"
    " is_private: is_private, is_verified: is_verified,"
    " is_business_account: is_business_account,"
    " category_name: not_null(category_name, business_category_name, overall_category_name),"
    " external_url: external_url, profile_pic_url: not_null(profile_pic_url_hd, profile_pic_url)}"
)
_PAGE_INFO = jmespath.compile(
    "edge_owner_to_timeline_media.page_info.{has_next_page: has_next_page, end_cursor: end_cursor}"
)
_EDGE_NODES = jmespath.compile("edge_owner_to_timeline_media.edges[].node")
_NODE = jmespath.compile(
    "{id: id, shortcode: shortcode, owner_id: owner.id, owner_username: owner.username,"
    " taken_at: taken_at_timestamp, caption: edge_media_to_caption.edges[0].node.text,"
    " likes: not_null(edge_liked_by.count, edge_media_preview_like.count),"
    " comments: not_null(edge_media_to_comment.count, edge_media_preview_comment.count),"
    " typename: __typename, is_video: is_video, views: video_view_count,"
    " children: edge_sidecar_to_children.edges, pinned: pinned_for_users,"
    " product_type: product_type, display_url: display_url,"
    " location_id: location.id, location_name: location.name,"
    " accessibility_caption: accessibility_caption}"
)

SLOW = [HealthCheck.too_slow]


def _users(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        return []
    found = [fields.user_of(body)]
    data = body.get("data")
    if isinstance(data, dict):
        found.append(data.get("user"))
    return [u for u in found if isinstance(u, dict)]


@settings(max_examples=400, deadline=None, suppress_health_check=SLOW)
@given(drifted_bodies())
def test_the_field_readers_are_the_jmespath_expressions(body: Any) -> None:
    if isinstance(body, dict):
        assert fields.user_of(body) == _USER.search(body)
    for user in _users(body):
        assert fields.profile_fields(user) == _PROFILE.search(user)
        info = _PAGE_INFO.search(user) or {}
        assert fields.page_info(user) == (info.get("has_next_page"), info.get("end_cursor"))
        nodes = fields.edge_nodes(user)
        assert nodes == (_EDGE_NODES.search(user) or [])
        for node in nodes:
            expected = _NODE.search(node)
            got = dict(zip(fields.NODE_KEYS, fields.node_values(node), strict=True))
            assert got == {k: expected.get(k) for k in fields.NODE_KEYS}
            owner = (expected.get("owner_id"), expected.get("owner_username"))
            assert fields.node_owner(node) == owner


@settings(max_examples=400, deadline=None, suppress_health_check=SLOW)
@given(drifted_bodies())
def test_the_subscript_reader_reads_what_node_values_reads(body: Any) -> None:
    # As the decoder gives JSON (plain dicts and lists), which is what graph_values assumes.
    for user in _users(json.loads(json.dumps(body))):
        for node in fields.edge_nodes(user):
            fast = posts.graph_values(node)
            assert fast is None or fast == fields.node_values(node)


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(drifted_bodies())
def test_a_body_parses_alike_decoded_here_or_given_decoded(body: Any) -> None:
    """The bytes take the subscript reader, the dict the general one: the same answer."""
    if not isinstance(body, dict):
        return  # the contract takes a decoded object or a raw body
    try:
        given = parse_profile(body, fetched_at=1780000000, username="someone")
    except ProfileParseError as exc:
        with pytest.raises(ProfileParseError, match=re.escape(exc.reason)):
            parse_profile(json.dumps(body).encode(), fetched_at=1780000000, username="someone")
        return
    decoded = parse_profile(json.dumps(body).encode(), fetched_at=1780000000, username="someone")
    assert (decoded.profile, decoded.kind) == (given.profile, given.kind)
    assert decoded.posts.equals(given.posts, null_equal=True)


def _fits_64_bits(value: Any) -> bool:
    """No integer orjson would read as a float (the one documented difference)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, list):
        return all(_fits_64_bits(v) for v in value)
    if isinstance(value, dict):
        return all(_fits_64_bits(v) for v in value.values())
    return True


def _same(a: Any, b: Any) -> bool:
    # NaN is not equal to itself: compare the JSON both would write.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(drifted_bodies(), st.booleans())
def test_decode_gives_what_json_gives(body: Any, ascii_only: bool) -> None:
    raw = json.dumps(body, ensure_ascii=ascii_only).encode()
    expected = _decode_text(raw.decode(), scrub="\\ud" in raw.decode())
    if _fits_64_bits(body):
        assert _same(decode(raw), expected)
    assert _same(decode(raw.decode()), _decode_text(raw.decode(), scrub=True))


def test_decode_reads_lone_surrogates_as_json_then_scrubs_them() -> None:
    raw = b'{"data": {"user": {"username": "a\\ud800b", "ok": "\\ud83d\\ude00"}}}'
    assert decode(raw) == {"data": {"user": {"username": "a\ufffdb", "ok": "\U0001f600"}}}
    assert BASES  # the drifted bodies above start from real answers


# ------------------------------------------------------------------- hashtags reference


def _reference_pattern() -> re.Pattern[str]:
    """The rules as one regex tried at every position (what the extractor used to run)."""
    special = {ord(c) for c in hashtags._SPECIAL}
    letters, word = [], []
    for plane in hashtags.SCANNED_PLANES:
        for cp in plane:
            cat = unicodedata.category(chr(cp))
            if cat[0] in "LM":
                letters.append(cp)
                word.append(cp)
            elif cat == "Nd" or cp in special:
                word.append(cp)
    alpha, alnum = hashtags._class_body(letters), hashtags._class_body(word)
    return re.compile(
        rf"(?:(?<![{alnum}&])|(?<=[\ufe0e\ufe0f]))[#＃](?![\ufe0f\u20e3])"
        rf"([{alnum}]*[{alpha}][{alnum}]*)"
    )


_REFERENCE = _reference_pattern()
_END = re.compile(r"[#＃]|://")


def _reference(text: str, limit: int | None) -> list[tuple[str, int, int]]:
    if not text or ("#" not in text and "＃" not in text):
        return []
    stop = min(len(text), hashtags.INSTAGRAM_CAPTION_LIMIT)
    urls = None
    found: list[tuple[str, int, int]] = []
    for match in _REFERENCE.finditer(text, 0, stop):
        end = match.end()
        if _END.match(text, end):
            continue
        start = match.start()
        whole = _REFERENCE.match(text, start)
        if end == stop < len(text) and whole is not None and whole.end() != end:
            continue
        if urls is None:
            urls = hashtags.url_spans(text, stop)
        if any(u_start < end and start < u_end for u_start, u_end in urls):
            continue
        found.append((match.group(1), start, end))
        if limit is not None and len(found) >= limit:
            break
    return found


ASTRAL = st.sampled_from(["\U00020000", "\U0001d7ce", "\U000e0100", "\U0001f600", "𝒜"])
CORNERS = st.lists(
    st.one_of(TEXT, ASTRAL, st.sampled_from(["#", "＃", "a", "1", "://", "&", "\ufe0f"])),
    max_size=12,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(CORNERS, st.text()), st.sampled_from([30, None, 2]))
def test_hashtags_are_the_reference_regex(text: str, limit: int | None) -> None:
    assert hashtags.extract_hashtags_with_indices(text, limit=limit) == _reference(text, limit)


EDGE_TAILS = st.one_of(st.sampled_from(["://x", "#", "＃a", "a", " ", ":/", "1"]), CORNERS)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=2188, max_value=2200), EDGE_TAILS, st.booleans())
def test_hashtags_at_the_caption_limit_are_the_reference(at: int, tail: str, astral: bool) -> None:
    text = ("x " if not astral else "\U0001f600 ") * 1200
    text = text[:at] + "#tag" + tail
    assert hashtags.extract_hashtags_with_indices(text, limit=None) == _reference(text, None)


URL_PIECES = st.sampled_from(["?", "&", "oe=", "oe", "=", "1A", "ff", "g", "#", "\n", "x", "/"])


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.lists(URL_PIECES, max_size=12).map("".join), st.text(max_size=30)))
def test_url_expiry_is_the_first_match_of_the_pattern(url: str) -> None:
    match = cdn._OE_RE.search(url)
    epoch = int(match.group(1), 16) if match else None
    assert cdn.url_expiry_epoch(url) == epoch
    if epoch is None or epoch > 253402300799:  # no expiry, or past what a datetime holds
        assert cdn.url_expires_at(url) is None
    else:
        assert cdn.url_expires_at(url) == datetime.fromtimestamp(epoch, UTC)


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(CORNERS, st.text(), st.lists(URL_PIECES, max_size=12).map("".join)),
    st.sampled_from([30, None, 2, 1, 0]),
)
def test_hashtags_without_indices_are_the_walk_of_the_matches(text: str, limit: int | None) -> None:
    walked = [tag for tag, _, _ in hashtags.extract_hashtags_with_indices(text, limit=limit)]
    assert hashtags.extract_hashtags(text, limit=limit) == walked


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=2190, max_value=2202), EDGE_TAILS, st.booleans())
def test_hashtags_without_indices_at_the_caption_limit(at: int, tail: str, astral: bool) -> None:
    text = (("x " if not astral else "\U0001f600 ") * 1200)[:at] + "#tag" + tail
    walked = [tag for tag, _, _ in hashtags.extract_hashtags_with_indices(text, limit=None)]
    assert hashtags.extract_hashtags(text, limit=None) == walked


ASCII_CORNERS = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=6),
        st.sampled_from(["#", "##", "a", "_", "1", "://", "&", "/", "www.", "x.com/", " "]),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(ASCII_CORNERS, st.sampled_from([30, None, 2]))
def test_hashtags_in_ascii_text_are_the_reference_regex(text: str, limit: int | None) -> None:
    assert hashtags._pattern_for(text) is hashtags._HASHTAG_ASCII_RE
    assert hashtags.extract_hashtags_with_indices(text, limit=limit) == _reference(text, limit)
    walked = [tag for tag, _, _ in _reference(text, limit)]
    assert hashtags.extract_hashtags(text, limit=limit) == walked


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), ASCII_CORNERS, CORNERS, st.text(max_size=30)),
        max_size=8,
    ),
    st.booleans(),
)
def test_hashtags_of_many_captions_are_each_ones(texts: list[str | None], many: bool) -> None:
    if many:  # past the cap, and past the caption limit
        texts = [*texts, " ".join(f"#t{i}" for i in range(40)), "#a " * 800]
    assert hashtags.extract_hashtags_each(texts) == [hashtags.extract_hashtags(t) for t in texts]


TAG_PIECES = st.one_of(
    st.sampled_from(["Tag", "#Tag", "＃x", "İstanbul", "CAFE\u0301", "Straße", "abc_12", "ǅ", ""]),
    st.text(max_size=8),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(TAG_PIECES, max_size=6), max_size=6))
def test_tags_normalized_together_are_each_one_normalized(tag_lists: list[list[str]]) -> None:
    expected = [[hashtags.normalize_hashtag(tag) for tag in tags] for tags in tag_lists]
    assert hashtags.normalize_each(tag_lists) == expected


MENTION_PIECES = st.sampled_from(["@", "＠", "a", "_", ".", "..", "x" * 31, " ", "e@", "1", "é"])
# The mention rule as first written: the lookbehind tried at every position, then the sign.
_MENTION_REFERENCE = re.compile(
    r"(?<![A-Za-z0-9_.@＠])[@＠]([A-Za-z0-9_.]{1,30})(?![A-Za-z0-9_@＠])"
)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.lists(MENTION_PIECES, max_size=10).map("".join), st.text(max_size=40)))
def test_mentions_are_the_walk_of_the_reference_matches(text: str) -> None:
    walked = [m.group(1).rstrip(".") for m in _MENTION_REFERENCE.finditer(text)]
    assert hashtags.extract_mentions(text) == [name for name in walked if name]
