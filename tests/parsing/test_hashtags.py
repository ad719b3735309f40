"""Hashtag extraction against twitter-text's conformance suite, plus Instagram specifics."""

from __future__ import annotations

import re
import unicodedata

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from intrend_assets.hashtags import (
    INSTAGRAM_HASHTAG_CAP,
    extract_hashtags,
    extract_hashtags_with_indices,
    extract_mentions,
    normalize_hashtag,
)

from .conftest import SHARED

CONFORMANCE = SHARED / "conformance" / "twitter-text-extract.yml"

# Deliberate deviations from the suite, by (section, description) -> reason. None today:
# every case passes. A deviation goes here as an xfail with its reason, never as a skip.
DEVIATIONS: dict[tuple[str, str], str] = {}


def _cases(section: str) -> list:
    if not CONFORMANCE.exists():
        # Fail loudly: a silently empty suite would pass without testing anything.
        return [pytest.param(None, id=f"{section}-conformance-file-missing")]
    tests = yaml.safe_load(CONFORMANCE.read_text(encoding="utf-8"))["tests"][section]
    params = []
    for case in tests:
        marks = []
        reason = DEVIATIONS.get((section, case["description"]))
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        params.append(pytest.param(case, id=case["description"], marks=marks))
    return params


def _require(case: dict | None) -> dict:
    if case is None:
        pytest.fail(f"conformance data not found at {CONFORMANCE}")
    return case


@pytest.mark.parametrize("case", _cases("hashtags"))
def test_conformance_hashtags(case: dict | None) -> None:
    case = _require(case)
    assert extract_hashtags(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", _cases("hashtags_from_astral"))
def test_conformance_hashtags_from_astral(case: dict | None) -> None:
    case = _require(case)
    assert extract_hashtags(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", _cases("hashtags_with_indices"))
def test_conformance_hashtags_with_indices(case: dict | None) -> None:
    case = _require(case)
    got = [
        {"hashtag": tag, "indices": [start, end]}
        for tag, start, end in extract_hashtags_with_indices(case["text"])
    ]
    assert got == case["expected"]


def test_conformance_suite_is_complete() -> None:
    """The three sections hold 76 cases; a smaller file means a truncated copy."""
    if not CONFORMANCE.exists():
        pytest.fail(f"conformance data not found at {CONFORMANCE}")
    tests = yaml.safe_load(CONFORMANCE.read_text(encoding="utf-8"))["tests"]
    sizes = {
        s: len(tests[s]) for s in ("hashtags", "hashtags_from_astral", "hashtags_with_indices")
    }
    assert sum(sizes.values()) >= 76, sizes


@pytest.mark.parametrize("text", [None, "", "no tags here", "#", "# spaced", "#123 #_"])
def test_nothing_to_extract(text: str | None) -> None:
    assert extract_hashtags(text) == []


def test_order_case_and_duplicates_kept() -> None:
    assert extract_hashtags("#Sun then #sun and #SUN #sun") == ["Sun", "sun", "SUN", "sun"]


def test_full_width_sign_and_combining_marks() -> None:
    assert extract_hashtags("＃東京 #cafe\u0301") == ["東京", "cafe\u0301"]


def test_not_inside_urls() -> None:
    text = "see https://example.com/page#section and example.org/#frag but #real"
    assert extract_hashtags(text) == ["real"]


def test_instagram_cap_keeps_first_30() -> None:
    text = " ".join(f"#t{i}" for i in range(40))
    tags = extract_hashtags(text)
    assert len(tags) == INSTAGRAM_HASHTAG_CAP
    assert tags == [f"t{i}" for i in range(30)]
    assert len(extract_hashtags(text, limit=None)) == 40


def test_mentions() -> None:
    text = "with @jimmy_rich, @dolittle.movie. mail me at a@b.com @@x @ok"
    assert extract_mentions(text) == ["jimmy_rich", "dolittle.movie", "ok"]
    assert extract_mentions(None) == []


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("Café", "café"),
        ("CAFE\u0301", "café"),  # decomposed input composes
        ("Straße", "strasse"),  # casefold, not lower
        ("#Tag", "tag"),
        ("ＴＡＧ", "ｔａｇ"),  # width is kept: NFC, not NFKC
        ("日本語", "日本語"),
        ("İstanbul", "istanbul"),  # casefold leaves a combining dot on the i: dropped
        ("I\u0307STANBUL", "istanbul"),  # the same, decomposed
        ("ıstanbul", "ıstanbul"),  # the dotless i is another letter
    ],
)
def test_normalize_hashtag(tag: str, expected: str) -> None:
    assert normalize_hashtag(tag) == expected


def test_normalize_is_idempotent() -> None:
    for tag in ["İstanbul", "Ǆemal", "ΣΊΣΥΦΟΣ", "ﬁre"]:
        once = normalize_hashtag(tag)
        assert normalize_hashtag(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_extracts_tags_that_are_in_it(text: str) -> None:
    for tag, start, end in extract_hashtags_with_indices(text, limit=None):
        assert text[start] in "#＃"
        assert text[start + 1 : end] == tag
        assert any(ch.isalpha() or unicodedata.category(ch).startswith("M") for ch in tag)
    assert len(extract_hashtags(text)) <= INSTAGRAM_HASHTAG_CAP


def test_the_planes_skipped_at_import_hold_no_hashtag_character() -> None:
    """The import scans only ``SCANNED_PLANES``; with this Python's Unicode tables, nothing a
    hashtag may hold (letter, mark, decimal digit) lies outside them."""
    import sys

    from intrend_assets.hashtags import SCANNED_PLANES

    outside = [
        cp
        for cp in range(sys.maxunicode + 1)
        if not any(cp in plane for plane in SCANNED_PLANES)
        and (unicodedata.category(chr(cp))[0] in "LM" or unicodedata.category(chr(cp)) == "Nd")
    ]
    assert outside == []
    assert extract_hashtags("#\U00020000\U000e0100 #\U0001d7ce") == ["\U00020000\U000e0100"]


def test_lowering_finds_www_exactly_as_ignorecase_does() -> None:
    """url_spans' early exit lowers the text instead of searching ``www`` ignoring case."""
    from intrend_assets.hashtags import _may_hold_www

    for cp in range(0x110000):
        char = chr(cp)
        assert ("w" in char.lower()) == (re.fullmatch("w", char, re.IGNORECASE) is not None), cp
    for text in ("wWw.example", "see WWW", "ww w", "w", "", "x" * 10 + "www"):
        assert _may_hold_www(text, len(text)) == bool(re.search("www", text, re.IGNORECASE))
    assert not _may_hold_www("abc www", 4)
