"""Today's profile page carries the user under ``xig_user_by_username`` (instaloader 4.16
reads it there), not under ``user``; the embedded-page parser must find it in both."""

from __future__ import annotations

import json

import pytest

from intrend_assets.parsing.shapes import ShapeError, extract_embedded
from sandbox.page_html import page_result, preloader, profile_page

XIG_USER = {"pk": "12345", "id": "12345", "username": "target.user", "is_private": False}


def _page(result: dict) -> str:
    raw = json.dumps(preloader(result)).encode()
    return profile_page("target.user", raw).decode()


def test_extract_finds_the_user_under_xig_user_by_username() -> None:
    html = _page(page_result(XIG_USER, "xig_user_by_username"))
    assert extract_embedded(html) == {"data": {"user": XIG_USER}}


def test_extract_reads_both_page_shapes_alike() -> None:
    old = extract_embedded(_page(page_result(XIG_USER, "data_user")))
    new = extract_embedded(_page(page_result(XIG_USER, "xig_user_by_username")))
    assert old == new


def test_a_null_xig_user_is_no_user() -> None:
    html = _page(page_result(None, "xig_user_by_username"))
    with pytest.raises(ShapeError, match="none with a user"):
        extract_embedded(html)
