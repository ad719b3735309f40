"""No username reaches a URL, a file path or SQL without validation (or safe escaping)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from intrend_assets.fetching.fast_update import Mark
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.parsing.profile import parse_profile
from intrend_assets.raw_store.store import LocalRawStore, RawObject
from intrend_assets.tracking.usernames import InvalidUsername
from tests import defaults
from warehouse.db import connect
from warehouse.load import load_parsed

HOSTILE = [
    "../etc",
    "..",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "a b",
    "'; drop table posts; --",
    "x" * 31,
    "",
    "   ",
    "a\x00b",
    "user?x=1",
    "user#frag",
    "user&username=admin",
    "%2e%2e",
    "ü",
    "a..b",
    ".a",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_the_client_refuses_before_any_request(name: str) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))

    async def go() -> None:
        client = InstagramClient(defaults.client_config("http://127.0.0.1:9"), transport=transport)
        try:
            with pytest.raises(InvalidUsername):
                await client.get_profile(name)
        finally:
            await client.aclose()

    asyncio.run(go())
    assert sent == []


def test_valid_names_are_sent_as_an_encoded_query_parameter() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))

    async def go() -> None:
        client = InstagramClient(defaults.client_config("http://127.0.0.1:9"), transport=transport)
        try:
            await client.get_profile("@Some.User_1")
        finally:
            await client.aclose()

    asyncio.run(go())
    (request,) = sent
    assert request.url.path == "/api/v1/users/web_profile_info/"
    assert request.url.params["username"] == "some.user_1"


@pytest.mark.parametrize("name", HOSTILE)
def test_the_raw_store_never_builds_a_path_from_a_hostile_name(tmp_path: Path, name: str) -> None:
    store = LocalRawStore(tmp_path / "raw")
    now = datetime.now(UTC)
    with pytest.raises(InvalidUsername):
        store.put(name, now, b"{}")
    with pytest.raises(InvalidUsername):
        store.objects(name)
    with pytest.raises(InvalidUsername):
        store.put_page(RawObject(name, now, "k", 0), 1, b"{}")
    with pytest.raises(InvalidUsername):
        store.write_mark(name, Mark(None, frozenset()))
    with pytest.raises(InvalidUsername):
        store.read_mark(name)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.parametrize("key", ["../outside", "/etc/passwd", "profiles/../../x", "a/../../b"])
def test_the_raw_store_refuses_keys_that_escape(tmp_path: Path, key: str) -> None:
    (tmp_path / "outside").write_bytes(b"secret")
    store = LocalRawStore(tmp_path / "raw")
    with pytest.raises((ValueError, FileNotFoundError)):
        store.read(key)


def test_warehouse_loads_keep_hostile_text_as_data() -> None:
    name = "'; DROP TABLE posts; --"
    body = {
        "data": {
            "user": {
                "id": "1",
                "username": name,
                "full_name": "Robert'); DROP TABLE profiles;--",
                "edge_owner_to_timeline_media": {
                    "count": 1,
                    "edges": [
                        {
                            "node": {
                                "id": "9",
                                "owner": {"id": "1", "username": name},
                                "edge_media_to_caption": {
                                    "edges": [{"node": {"text": "#ok'); DELETE FROM posts;--"}}]
                                },
                            }
                        }
                    ],
                },
            }
        }
    }
    con = connect(":memory:")
    try:
        load_parsed(con, [parse_profile(body)])
        assert con.execute("select username, full_name from profiles").fetchall() == [
            (name, "Robert'); DROP TABLE profiles;--")
        ]
        assert con.execute("select owner_username from posts").fetchall() == [(name,)]
    finally:
        con.close()
