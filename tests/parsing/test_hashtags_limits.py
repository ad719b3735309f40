"""Hashtag extraction under hostile captions: the URL scan is linear, the caption capped."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from intrend_assets.hashtags import (
    INSTAGRAM_CAPTION_LIMIT,
    extract_hashtags,
    ignored_characters,
    url_spans,
)

# The URL regex hashtags.py used before it was made linear: the reference for what a URL is.
QUADRATIC_URL_RE = re.compile(
    r"(?:\b[a-z][a-z0-9+.\-]*://|\bwww\.)[^\s<>\"]+"
    r"|\b(?:[a-z0-9\-]+\.)+[a-z]{2,}(?::\d+)?/[^\s<>\"]*",
    re.IGNORECASE,
)

URLISH = st.text(alphabet='aZ9.-_:/+# <"wé', max_size=40) | st.lists(
    st.sampled_from(
        ["http", "://", "www.", "a.", "b-", "co", "m/", ":80", "/", " ", "..", "#x", "1"]
    ),
    max_size=12,
).map("".join)


@given(text=URLISH)
@settings(max_examples=500, deadline=None)
def test_url_spans_are_the_old_regexs_matches(text: str) -> None:
    assert url_spans(text) == [m.span() for m in QUADRATIC_URL_RE.finditer(text)]


def test_a_long_dotted_run_is_no_url_and_hides_no_tag() -> None:
    """40 KB of ``a.`` with no slash after it took the old regex 22 s (see the benchmark)."""
    caption = "#tag / " + "a." * 20_000 + " example.com/#anchor #after"
    anchor = caption.index("example.com")
    assert url_spans(caption) == [(anchor, anchor + len("example.com/#anchor"))]
    assert extract_hashtags(caption) == ["tag"]  # the rest lies past the caption limit
    assert extract_hashtags(caption[-40:]) == ["after"]


def test_only_the_first_2200_characters_count() -> None:
    caption = "#first " + "x" * (INSTAGRAM_CAPTION_LIMIT - 20) + " #cut_by_the_limit #beyond"
    assert extract_hashtags(caption) == ["first"]
    assert ignored_characters(caption) == len(caption) - INSTAGRAM_CAPTION_LIMIT
    assert ignored_characters("#short") == 0 and ignored_characters(None) == 0


def test_a_tag_ending_exactly_at_the_limit_is_kept() -> None:
    caption = "x" * (INSTAGRAM_CAPTION_LIMIT - 5) + " #end" + " more"
    assert len(caption[:INSTAGRAM_CAPTION_LIMIT]) == INSTAGRAM_CAPTION_LIMIT
    assert extract_hashtags(caption) == ["end"]
