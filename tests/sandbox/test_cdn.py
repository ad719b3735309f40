"""The sandbox CDN: answers point at it, images per post, signatures, expiry, budget, switches."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from sandbox.cdn import EXPIRED_BODY
from tests.sandbox.conftest import PROFILE_PATH

pytestmark = pytest.mark.timeout(60)


def _user(world, client: httpx.Client) -> dict:
    name = next(
        u
        for u in world.public_usernames()
        if world.content.profile(world.content.index_of(u)).history > 3
    )
    answer = client.get(world.instagram_url + PROFILE_PATH, params={"username": name})
    return answer.json()["data"]["user"]


def _nodes(user: dict) -> list[dict]:
    return [e["node"] for e in user["edge_owner_to_timeline_media"]["edges"]]


def test_answers_point_at_the_cdn_and_each_post_has_its_own_picture(world_factory) -> None:
    world = world_factory()
    with httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10) as client:
        user = _user(world, client)
        nodes = _nodes(user)
        urls = [n["thumbnail_src"] for n in nodes] + [user["profile_pic_url"]]
        assert all(u.startswith(world.cdn_url + "/scontent-") for u in urls)
        assert all(".cdninstagram.com/v/t51.2885-15/" in u for u in urls)
        bodies = [client.get(u) for u in urls]
        assert {b.status_code for b in bodies} == {200}
        assert {b.headers["content-type"] for b in bodies} == {"image/jpeg"}
        assert len({b.content for b in bodies}) == len(bodies)  # distinct per post
        for body in bodies:
            Image.open(io.BytesIO(body.content)).verify()
        small = nodes[0]["thumbnail_resources"][0]["src"]
        again = client.get(small)
        assert Image.open(io.BytesIO(again.content)).size == (16, 16)
        assert client.get(nodes[0]["thumbnail_src"]).content == bodies[0].content
    assert world.cdn.snapshot()["served"] == len(urls) + 2


def test_expired_and_tampered_urls_are_refused(world_factory) -> None:
    world = world_factory(cdn_expiry_seconds=600, cdn_expiry_jitter_seconds=0)
    with httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10) as client:
        url = _nodes(_user(world, client))[0]["display_url"]
        path = urlsplit(url).path
        tampered = url.replace(path, path.replace("_n.jpg", "1_n.jpg"))
        assert client.get(tampered).status_code == 403
        assert client.get(url).status_code == 200
        world.clock.advance(601)
        expired = client.get(url)
    assert expired.status_code == 403
    assert expired.content == EXPIRED_BODY
    assert world.cdn.snapshot() == {"mismatch": 1, "served": 1, "expired": 1}


def test_the_cdn_has_its_own_budget_per_ip(world_factory) -> None:
    world = world_factory(cdn_budget=3)
    with httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10) as client:
        url = _user(world, client)["profile_pic_url"]
        codes = [client.get(url).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        # the fake Instagram still answers: the budgets are apart
        assert _user(world, client)["username"]


def test_switches_truncate_and_serve_a_page_instead_of_an_image(world_factory) -> None:
    world = world_factory()
    with httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10) as client:
        url = _user(world, client)["profile_pic_url"]
        whole = client.get(url).content
        client.post(world.cdn_url + "/_cdn/switches", json={"truncate": 1, "not_image": 1})
        page = client.get(url)
        cut = client.get(url)
        assert client.get(url).content == whole
    assert page.headers["content-type"].startswith("text/html")
    assert cut.content == whole[: len(whole) // 2]


def test_without_the_cdn_answers_keep_the_real_hosts(world_factory) -> None:
    world = world_factory(cdn=False)
    with httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10) as client:
        url = _user(world, client)["profile_pic_url"]
    assert urlsplit(url).hostname.endswith(".cdninstagram.com")
    assert world.cdn_url == ""


def test_a_short_window_is_the_whole_window(world_factory) -> None:
    world = world_factory(cdn_expiry_seconds=3600, cdn_expiry_jitter_seconds=0)
    with httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10) as client:
        before = world.now()
        url = _user(world, client)["profile_pic_url"]
        after = world.now()
    oe = int(dict(p.split("=") for p in urlsplit(url).query.split("&"))["oe"], 16)
    assert int(before) + 3600 <= oe <= after + 3600
