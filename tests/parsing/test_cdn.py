from __future__ import annotations

from datetime import UTC, datetime

from intrend_assets.parsing.cdn import url_expires_at, url_expiry_epoch


def test_oe_hex_is_unix_time() -> None:
    url = "https://scontent.cdninstagram.com/v/x.jpg?stp=a&oe=629AACE2&_nc_sid=8fd12b"
    assert url_expiry_epoch(url) == 0x629AACE2
    assert url_expires_at(url) == datetime(2022, 6, 4, 0, 52, 50, tzinfo=UTC)


def test_oe_last_parameter_and_absent() -> None:
    assert url_expiry_epoch("https://x/y.jpg?a=1&oe=5EC809A6") == 0x5EC809A6
    assert url_expires_at("https://x/y.jpg?_nc_ht=scontent") is None
    assert url_expires_at(None) is None
    assert url_expires_at("https://x/y.jpg?shoe=12") is None
