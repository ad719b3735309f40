"""The session's cookie file: both export formats read, values never shown."""

import json
import os
from pathlib import Path

import pytest

from intrend_assets.instagram.session import (
    SessionFileError,
    load_session_cookies,
    parse_cookies,
)

SECRET = "8123%3AsEcReTvAlUe%3A27"
NETSCAPE = f"""# Netscape HTTP Cookie File
# This is a generated file! Do not edit.

.instagram.com\tTRUE\t/\tTRUE\t1790000000\tcsrftoken\tcsrfABC
#HttpOnly_.instagram.com\tTRUE\t/\tTRUE\t1790000000\tsessionid\t{SECRET}
.instagram.com\tTRUE\t/\tTRUE\t1790000000\tds_user_id\t8123
.example.com\tTRUE\t/\tFALSE\t1790000000\tsessionid\tsomeone-elses
"""


def _write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "cookies.txt"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_netscape_export_keeps_only_instagram_cookies() -> None:
    assert parse_cookies(NETSCAPE) == {
        "sessionid": SECRET,
        "csrftoken": "csrfABC",
        "ds_user_id": "8123",
    }


def test_json_exports_list_and_object() -> None:
    listed = [
        {"name": "sessionid", "value": SECRET, "domain": ".instagram.com"},
        {"name": "csrftoken", "value": "c", "domain": "www.instagram.com"},
        {"name": "sessionid", "value": "nope", "domain": ".facebook.com"},
        {"name": "irrelevant", "value": "x", "domain": ".instagram.com"},
    ]
    assert parse_cookies(json.dumps(listed)) == {"sessionid": SECRET, "csrftoken": "c"}
    assert parse_cookies(json.dumps({"sessionid": SECRET})) == {"sessionid": SECRET}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no instagram.com 'sessionid'"),
        (json.dumps([{"name": "csrftoken", "value": "c"}]), "no instagram.com 'sessionid'"),
        ("[{", "not valid JSON"),
        (json.dumps([{"value": SECRET}]), "needs a 'name'"),
        (".instagram.com\tTRUE\t/\tsessionid", "7 tab-separated fields"),
        (json.dumps("sessionid"), "list of cookie objects"),
    ],
)
def test_unusable_exports_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(SessionFileError, match=message):
        parse_cookies(text)


def test_the_loaded_session_never_shows_its_values(tmp_path: Path) -> None:
    cookies = load_session_cookies(_write(tmp_path, NETSCAPE))
    assert cookies.values["sessionid"] == SECRET
    assert cookies.user_id == "8123"
    assert SECRET not in repr(cookies) and SECRET not in str(cookies)
    assert "sessionid" in repr(cookies)


def test_file_problems_name_the_file_not_the_cookie(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="does not exist"):
        load_session_cookies(tmp_path / "missing.txt")
    if os.name == "posix":
        with pytest.raises(SessionFileError, match="chmod 600") as info:
            load_session_cookies(_write(tmp_path, NETSCAPE, 0o644))
        assert SECRET not in str(info.value)
    bad = _write(tmp_path, NETSCAPE.replace("sessionid", "nosession"))
    with pytest.raises(SessionFileError) as info:
        load_session_cookies(bad)
    assert str(bad) in str(info.value) and SECRET not in str(info.value)


def test_the_session_shares_the_anonymous_connection_pool() -> None:
    """Two pools of ``max_connections`` each took the proxy past its limit: the session sends
    through the anonymous client's pool, with its own cookie header, and closing it leaves the
    pool open for the anonymous client."""
    import asyncio

    import httpx

    from intrend_assets.instagram.client import InstagramClient
    from intrend_assets.instagram.http import HttpRequest
    from tests import defaults

    seen: list[str | None] = []
    pool = httpx.MockTransport(
        lambda r: seen.append(r.headers.get("cookie")) or httpx.Response(200)
    )
    config = defaults.client_config("http://instagram.test")

    async def go() -> None:
        anonymous = InstagramClient(config, transport=pool)
        session = InstagramClient(config, cookies={"sessionid": "s3cret"}, pool_of=anonymous)
        try:
            await session.send(HttpRequest("GET", "/a"))
            await session.aclose()
            await anonymous.send(HttpRequest("GET", "/b"))
        finally:
            await anonymous.aclose()

    asyncio.run(go())
    assert seen == ["sessionid=s3cret", None]
