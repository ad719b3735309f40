"""Hypothesis on ``extract_hashtags``: arbitrary Unicode never breaks it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intrend_assets.hashtags import extract_hashtags

# Text biased towards what matters: signs, joiners, URLs, digits, every script.
PIECES = st.sampled_from(
    [
        "#",
        "＃",
        "##",
        " ",
        "\n",
        "\u200d",
        "\u200c",
        "\ufe0f",
        "\u20e3",
        "&",
        "://",
        "http://x.co/",
        "www.",
        "_",
        "1",
        "٣",
        "é",
        "e\u0301",
        "日本",
        "タグ",
        "😀",
        "·",
        ".",
        ",",
        "!",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=40).map("".join)
SIGNS = ("#", "＃")


@settings(max_examples=1000, deadline=None)
@given(st.one_of(TEXT, st.text()))
def test_never_raises_and_tags_are_clean(text: str) -> None:
    tags = extract_hashtags(text)
    assert isinstance(tags, list)
    for tag in tags:
        assert isinstance(tag, str) and tag
        assert not any(ch.isspace() for ch in tag), repr(tag)
        assert not any(sign in tag for sign in SIGNS), repr(tag)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(TEXT, st.text()))
def test_idempotent_over_its_own_output(text: str) -> None:
    for tag in extract_hashtags(text):
        assert extract_hashtags("#" + tag) == [tag]
        assert extract_hashtags(" ".join("#" + t for t in [tag, tag])) == [tag, tag]


def test_none_and_empty() -> None:
    assert extract_hashtags("") == []
    assert extract_hashtags(None) == []  # type: ignore[arg-type]
