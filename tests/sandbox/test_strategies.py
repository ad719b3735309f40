"""Every strategy of the wire contract on one sandbox, one world, and the doors that close.

The contract is ``docs/instagram-strategies.md``. The graph shape of web_profile_info is the
reference: every other strategy must carry the same posts with the same values. All traffic
goes to the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import httpx
import pytest

from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from sandbox.doors import Doors
from sandbox.faults import MAX_FAULT_SECONDS
from sandbox.strategies import IPAD_APP_ID, STRATEGIES, WEB_APP_ID
from tests.sandbox.conftest import ANCHOR, PROFILE_PATH

pytestmark = pytest.mark.timeout(120)

PROFILE_DOC = "9310670392322965"
TIMELINE_DOC = "7950326061742207"
QUERY_HASH = "42323d64886122307be10013ad2dcc44"
CONNECTION = "xdt_api__v1__feed__user_timeline_graphql_connection"
FROZEN = 1e-6  # sandbox clock speed: likes and CDN URLs stay put during a test
V1_USER_KEYS = {
    "pk", "id", "username", "full_name", "biography", "follower_count", "following_count",
    "media_count", "is_private", "is_verified", "is_business", "category", "external_url",
    "profile_pic_url", "hd_profile_pic_url_info",
}  # fmt: skip
V1_NODE_KEYS = {
    "pk", "id", "code", "taken_at", "caption", "like_count", "comment_count", "media_type",
    "product_type", "play_count", "view_count", "user", "location", "carousel_media",
    "image_versions2", "timeline_pinned_user_ids", "accessibility_caption",
}  # fmt: skip


# ---- the client side of each strategy, as the contract describes it ------------------------


def _client(world: Any, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=world.instagram_url, trust_env=False, timeout=10, **kwargs)


def web_profile_info(client: httpx.Client, name: str, app_id: str = WEB_APP_ID) -> httpx.Response:
    return client.get(PROFILE_PATH, params={"username": name}, headers={"x-ig-app-id": app_id})


def doc_id_profile(client: httpx.Client, name: str, doc_id: str = PROFILE_DOC) -> httpx.Response:
    variables = json.dumps({"username": name, "render_surface": "PROFILE"})
    return client.post(
        "/graphql/query",
        data={"doc_id": doc_id, "variables": variables},
        headers={"x-ig-app-id": WEB_APP_ID},
    )


def doc_id_timeline(
    client: httpx.Client,
    name: str,
    after: str | None = None,
    first: int = 12,
    doc_id: str = TIMELINE_DOC,
    path: str = "/graphql/query",
) -> httpx.Response:
    variables = json.dumps({"username": name, "first": first, "after": after})
    return client.post(
        path, data={"doc_id": doc_id, "variables": variables}, headers={"x-ig-app-id": WEB_APP_ID}
    )


def embedded_page(client: httpx.Client, name: str) -> httpx.Response:
    return client.get(f"/{name}/", headers={"accept": "text/html"})


def query_hash_page(
    client: httpx.Client, user_id: str, after: str | None = None, first: int = 12
) -> httpx.Response:
    variables = json.dumps({"id": user_id, "first": first, "after": after})
    return client.get("/graphql/query/", params={"query_hash": QUERY_HASH, "variables": variables})


def page_user(html: str) -> dict[str, Any] | None:
    """The contract's embedded-page rule: the first object under a "user" key that has a
    "username", depth-first, in any ``<script type="application/json" ...>`` block."""

    def search(value: Any) -> dict[str, Any] | None:
        if isinstance(value, dict):
            user = value.get("user")
            if isinstance(user, dict) and "username" in user:
                return user
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            return None
        for child in children:
            found = search(child)
            if found is not None:
                return found
        return None

    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        found = search(json.loads(block))
        if found is not None:
            return found
    return None


# ---- what a post is, per shape --------------------------------------------------------------


def graph_post(node: dict[str, Any]) -> dict[str, Any]:
    captions = node["edge_media_to_caption"]["edges"]
    children = (node.get("edge_sidecar_to_children") or {}).get("edges") or []
    location = node["location"]
    return {
        "id": node["id"],
        "code": node["shortcode"],
        "likes": (node.get("edge_liked_by") or node["edge_media_preview_like"])["count"],
        "comments": node["edge_media_to_comment"]["count"],
        "caption": captions[0]["node"]["text"] if captions else None,
        "taken_at": node["taken_at_timestamp"],
        "location": None if location is None else (location["id"], location["name"]),
        "children": [c["node"]["id"] for c in children],
        "views": node.get("video_view_count"),
        "product_type": node.get("product_type")
        or {"GraphImage": "feed", "GraphSidecar": "carousel_container"}[node["__typename"]],
        "pinned": bool(node["pinned_for_users"]),
        "owner": node["owner"]["id"],
    }


def v1_post(node: dict[str, Any]) -> dict[str, Any]:
    assert node.keys() >= V1_NODE_KEYS, V1_NODE_KEYS - node.keys()
    assert node["id"] == f"{node['pk']}_{node['user']['pk']}"
    assert node["play_count"] == node["view_count"]
    location = node["location"]
    return {
        "id": node["pk"],
        "code": node["code"],
        "likes": node["like_count"],
        "comments": node["comment_count"],
        "caption": None if node["caption"] is None else node["caption"]["text"],
        "taken_at": node["taken_at"],
        "location": None if location is None else (location["pk"], location["name"]),
        "children": [c["pk"] for c in node["carousel_media"] or []],
        "views": node["view_count"],
        "product_type": node["product_type"],
        "pinned": node["timeline_pinned_user_ids"] == [node["user"]["pk"]],
        "owner": node["user"]["pk"],
    }


def graph_edges(media: dict[str, Any]) -> list[dict[str, Any]]:
    return [graph_post(e["node"]) for e in media["edges"]]


def v1_connection(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["data"][CONNECTION]


def walk_v1(client: httpx.Client, name: str, first: int) -> list[dict[str, Any]]:
    posts: list[dict[str, Any]] = []
    after = None
    for _ in range(500):
        connection = v1_connection(doc_id_timeline(client, name, after, first))
        assert len(connection["edges"]) <= first
        posts += [v1_post(e["node"]) for e in connection["edges"]]
        info = connection["page_info"]
        if not info["has_next_page"]:
            return posts
        after = info["end_cursor"]
    raise AssertionError("the timeline did not end")


# ---- every strategy serves the same world --------------------------------------------------


def test_every_strategy_carries_the_same_posts(world_factory) -> None:
    world = world_factory(profiles=40, speed=FROZEN, pinned_share=0.5, budget=10_000)
    content = world.content
    names = world.public_usernames()[:8]
    assert any(content.profile(content.index_of(n)).pinned for n in names)
    kinds: Counter[str] = Counter()
    with _client(world) as client:
        for name in names:
            web = web_profile_info(client, name)
            assert web.status_code == 200
            graph = web.json()["data"]["user"]
            media = graph["edge_owner_to_timeline_media"]
            expected = graph_edges(media)
            kinds.update(p["product_type"] for p in expected)

            # iPad app id: the very same answer.
            assert web_profile_info(client, name, IPAD_APP_ID).json() == web.json()

            # The embedded page carries the graph user itself.
            page = embedded_page(client, name)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert page_user(page.text) == graph

            # graphql_doc_id: the v1 user (no posts), then page 1 of the v1 timeline.
            v1 = doc_id_profile(client, name).json()
            assert v1["status"] == "ok" and v1["extensions"] == {"is_final": True}
            user = v1["data"]["user"]
            assert user.keys() >= V1_USER_KEYS and "edge_owner_to_timeline_media" not in user
            assert user["pk"] == user["id"] == graph["id"] and user["username"] == name
            assert user["follower_count"] == graph["edge_followed_by"]["count"]
            assert user["following_count"] == graph["edge_follow"]["count"]
            assert user["media_count"] == media["count"]
            assert user["full_name"] == graph["full_name"]
            assert user["is_private"] is False
            assert user["hd_profile_pic_url_info"]["url"] == graph["profile_pic_url_hd"]
            first = v1_connection(doc_id_timeline(client, name))
            assert [v1_post(e["node"]) for e in first["edges"]] == expected
            assert first["page_info"]["has_next_page"] == media["page_info"]["has_next_page"]

            # Page 2 of both timeline strategies, each after its own cursor.
            graph_page = query_hash_page(client, graph["id"], media["page_info"]["end_cursor"])
            graph_media = graph_page.json()["data"]["user"]["edge_owner_to_timeline_media"]
            second = v1_connection(doc_id_timeline(client, name, first["page_info"]["end_cursor"]))
            assert [v1_post(e["node"]) for e in second["edges"]] == graph_edges(graph_media)
    assert {"feed", "clips", "carousel_container"} <= set(kinds)


def test_doc_id_paging_walks_the_whole_timeline(world_factory) -> None:
    world = world_factory(profiles=20, speed=FROZEN, budget=10_000, page_budget=10_000)
    name = world.public_usernames()[2]
    with _client(world) as client:
        graph = web_profile_info(client, name).json()["data"]["user"]
        posts = walk_v1(client, name, first=7)
        # The same timeline through web_profile_info + graphql_query_hash.
        reference = graph_edges(graph["edge_owner_to_timeline_media"])
        cursor = graph["edge_owner_to_timeline_media"]["page_info"]["end_cursor"]
        while cursor:
            media = query_hash_page(client, graph["id"], cursor, 50).json()["data"]["user"]
            media = media["edge_owner_to_timeline_media"]
            reference += graph_edges(media)
            info = media["page_info"]
            cursor = info["end_cursor"] if info["has_next_page"] else None
    ids = [p["id"] for p in posts]
    assert len(ids) == len(set(ids)) == graph["edge_owner_to_timeline_media"]["count"]
    times = [p["taken_at"] for p in posts]
    assert times == sorted(times, reverse=True)
    assert posts == reference


def test_pinned_posts_top_the_first_doc_id_page(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN, pinned_share=1.0, page_budget=10_000)
    name = world.public_usernames()[0]
    pinned_k = world.content.profile(world.content.index_of(name)).pinned
    with _client(world) as client:
        graph = web_profile_info(client, name).json()["data"]["user"]
        posts = walk_v1(client, name, first=12)
    top = posts[: len(pinned_k)]
    assert top and all(p["pinned"] for p in top)
    assert not any(p["pinned"] for p in posts[len(pinned_k) :])
    on_profile = graph_edges(graph["edge_owner_to_timeline_media"])
    assert top == on_profile[: len(top)]
    # As on the graph timeline, a pinned post shows again in its place further down: every
    # visible post is there, and only the pinned ones twice.
    counts = Counter(p["id"] for p in posts)
    assert len(counts) == graph["edge_owner_to_timeline_media"]["count"]
    assert {i for i, n in counts.items() if n > 1} == {p["id"] for p in top}


def test_cursors_belong_to_their_strategy_and_trailing_slash_works(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN)
    name = world.public_usernames()[0]
    user_id = world.content.user_id(world.content.index_of(name))
    with _client(world) as client:
        v1_cursor = v1_connection(doc_id_timeline(client, name))["page_info"]["end_cursor"]
        graph = query_hash_page(client, user_id).json()["data"]["user"]
        graph_cursor = graph["edge_owner_to_timeline_media"]["page_info"]["end_cursor"]
        assert doc_id_timeline(client, name, graph_cursor).status_code == 400
        assert query_hash_page(client, user_id, v1_cursor).status_code == 400
        slash = doc_id_timeline(client, name, v1_cursor, path="/graphql/query/")
        plain = doc_id_timeline(client, name, v1_cursor)
        assert v1_connection(slash) == v1_connection(plain)
        bad = client.post("/graphql/query", data={"doc_id": PROFILE_DOC, "variables": "{"})
        assert bad.status_code == 400


def test_unknown_and_private_profiles_on_every_strategy(world_factory) -> None:
    world = world_factory(profiles=60, private_share=0.2, speed=FROZEN, budget=10_000)
    private = world.private_usernames()[0]
    unknown = world.unknown_usernames()
    with _client(world) as client:
        for name in unknown:
            web = web_profile_info(client, name)
            assert web.status_code in (200, 404)
            if web.status_code == 404:
                assert web.json()["status"] == "fail"  # JSON: "not found", not "gone"
            else:
                assert web.json()["data"]["user"] is None
            assert doc_id_profile(client, name).json()["data"]["user"] is None
            assert doc_id_timeline(client, name).json()["data"]["user"] is None
            page = embedded_page(client, name)
            assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
            assert page_user(page.text) is None
        graph = web_profile_info(client, private).json()["data"]["user"]
        page = embedded_page(client, private)
        assert page.status_code == 200 and page_user(page.text) == graph
        assert graph["is_private"] and graph["edge_owner_to_timeline_media"]["edges"] == []
        assert doc_id_profile(client, private).json()["data"]["user"]["is_private"] is True
        assert v1_connection(doc_id_timeline(client, private))["edges"] == []


# ---- doors ------------------------------------------------------------------------------


def _set(world: Any, **switches: Any) -> httpx.Response:
    return httpx.post(world.instagram_url + "/_sandbox/faults", json=switches, trust_env=False)


def _ask(client: httpx.Client, world: Any, strategy: str, name: str) -> httpx.Response:
    """One profile lookup (or page, for graphql_query_hash) of ``name`` on ``strategy``."""
    if strategy == "web_profile_info":
        return web_profile_info(client, name)
    if strategy == "web_profile_info_ipad":
        return web_profile_info(client, name, IPAD_APP_ID)
    if strategy == "graphql_doc_id":
        return doc_id_profile(client, name)
    if strategy == "embedded_page":
        return embedded_page(client, name)
    return query_hash_page(client, world.content.user_id(world.content.index_of(name)))


def _walled(response: httpx.Response) -> bool:
    if response.status_code == 302:
        return response.headers["location"].startswith("/accounts/login/")
    if response.status_code == 400:
        body = response.json()
        return body["status"] == "fail" and "make sure you are logged in" in body["message"]
    assert response.status_code == 200, response.text
    return False


def test_login_wall_share_is_per_strategy_and_deterministic(world_factory) -> None:
    world = world_factory(profiles=80, speed=FROZEN, budget=10_000, page_budget=10_000)
    public = world.public_usernames()
    assert _set(world, login_wall={"web_profile_info": 0.5, "embedded_page": 0.5}).is_success
    with _client(world) as client:
        walled = {n for n in public if _walled(_ask(client, world, "web_profile_info", n))}
        again = {n for n in public if _walled(_ask(client, world, "web_profile_info", n))}
        on_page = {n for n in public if _walled(_ask(client, world, "embedded_page", n))}
        on_ipad = {n for n in public if _walled(_ask(client, world, "web_profile_info_ipad", n))}
        private = [_ask(client, world, "web_profile_info", n) for n in world.private_usernames()]
    assert walled == again  # the same profiles every time
    assert 0.3 < len(walled) / len(public) < 0.7
    assert on_page and on_page != walled  # chosen per strategy
    assert on_ipad == set()  # the other app id is another door
    assert all(r.status_code == 200 and r.json()["data"]["user"]["is_private"] for r in private)


def test_login_wall_share_follows_the_setting_for_any_seed() -> None:
    content = SandboxContent(SandboxConfig(profiles=3000, seed=11, anchor=ANCHOR))
    names = content.public_usernames()
    doors = Doors(clock=lambda: 0.0, max_seconds=MAX_FAULT_SECONDS)
    for share in (0.0, 0.1, 0.6, 1.0):
        doors.set({"login_wall": {"graphql_doc_id": share}})
        hits = sum(doors.walled(11, "graphql_doc_id", n) for n in names)
        assert abs(hits / len(names) - share) < 0.03
    assert not any(doors.walled(11, "embedded_page", n) for n in names[:100])
    other_seed = sum(doors.walled(12, "graphql_doc_id", n) for n in names[:100])
    assert other_seed == 100  # share 1.0: closed for everyone whatever the seed


def test_closed_for_everyone_unless_logged_in(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN)
    name = world.public_usernames()[0]
    assert _set(world, login_wall=dict.fromkeys(STRATEGIES, 1.0)).is_success
    with _client(world) as anonymous:
        for strategy in STRATEGIES:
            response = _ask(anonymous, world, strategy, name)
            assert _walled(response), strategy
            if strategy == "embedded_page":
                assert response.status_code == 302
                assert response.headers["location"] == f"/accounts/login/?next=/{name}/"
                login = anonymous.get(response.headers["location"])
                assert login.status_code == 200 and page_user(login.text) is None
            else:
                assert response.status_code == 400
        timeline = doc_id_timeline(anonymous, name)
        assert _walled(timeline)  # graphql_doc_id closes its timeline too
    with _client(world, cookies={"sessionid": "sandbox-session"}) as session:
        assert not any(_walled(_ask(session, world, s, name)) for s in STRATEGIES)
        assert doc_id_timeline(session, name).status_code == 200
    with _client(world, cookies={"sessionid": "stolen-or-stale"}) as stranger:
        assert all(_walled(_ask(stranger, world, s, name)) for s in STRATEGIES)
    snapshot = httpx.get(world.instagram_url + "/_sandbox/faults", trust_env=False).json()
    assert snapshot["login_wall"] == dict.fromkeys(STRATEGIES, 1.0)
    assert snapshot["used"]["login_walled"] == 2 * len(STRATEGIES) + 1


def test_doc_ids_change(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN)
    name = world.public_usernames()[0]
    with _client(world) as client:
        assert doc_id_profile(client, name, doc_id="123").json()["data"] is None
        assert _set(world, doc_ids={"profile": "111", "timeline": "222"}).is_success
        for stale in (doc_id_profile(client, name), doc_id_timeline(client, name)):
            body = stale.json()
            assert stale.status_code == 200 and body["data"] is None and body["errors"]
        assert doc_id_profile(client, name, doc_id="111").json()["data"]["user"]["username"] == name
        assert v1_connection(doc_id_timeline(client, name, doc_id="222"))["edges"]
        assert _set(world, doc_ids={"timeline": "333"}).is_success  # profile: the configured
        assert doc_id_profile(client, name).json()["data"]["user"]["username"] == name
        assert v1_connection(doc_id_timeline(client, name, doc_id="333"))["edges"]


def test_doc_ids_come_from_the_config(world_factory) -> None:
    world = world_factory(profiles=5, profile_doc_id="42", timeline_doc_id="43")
    name = world.public_usernames()[0]
    with _client(world) as client:
        assert doc_id_profile(client, name).json()["data"] is None
        assert doc_id_profile(client, name, doc_id="42").json()["data"]["user"]
        assert v1_connection(doc_id_timeline(client, name, doc_id="43"))


def test_useragent_mismatch_answers_every_request(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN)
    name = world.public_usernames()[0]
    assert _set(world, useragent_mismatch=True).is_success
    with _client(world, cookies={"sessionid": "sandbox-session"}) as client:
        answers = [_ask(client, world, s, name) for s in STRATEGIES]
        answers.append(doc_id_timeline(client, name))
        for response in answers:
            assert response.status_code == 401
            assert response.json() == {"message": "useragent mismatch", "status": "fail"}
        assert _set(world, useragent_mismatch=False).is_success
        assert all(_ask(client, world, s, name).status_code == 200 for s in STRATEGIES)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_gone_strategy_answers_html_and_the_others_stay(world_factory, strategy: str) -> None:
    world = world_factory(profiles=10, speed=FROZEN)
    name = world.public_usernames()[0]
    assert _set(world, gone={strategy: 410}).is_success
    with _client(world) as client:
        for other in STRATEGIES:
            response = _ask(client, world, other, name)
            if other == strategy:
                assert response.status_code == 410
                assert response.headers["content-type"].startswith("text/html")
                assert "Page Not Found" in response.text
                with pytest.raises(json.JSONDecodeError):
                    response.json()
            else:
                assert response.status_code == 200, other
        assert _set(world, gone={strategy: 404}).is_success
        assert _ask(client, world, strategy, name).status_code == 404


def test_switches_are_validated_all_or_nothing(world_factory) -> None:
    world = world_factory(profiles=5)
    bad = [
        {"login_wall": {"web_profile_info": 1.5}},
        {"login_wall": {"nope": 0.5}},
        {"login_wall": ["web_profile_info"]},
        {"login_wall": {"embedded_page": True}},
        {"gone": {"embedded_page": 500}},
        {"gone": {"embedded_page": "410"}},
        {"doc_ids": {"profile": ""}},
        {"doc_ids": {"user": "1"}},
        {"useragent_mismatch": "yes"},
        {"gone": {"embedded_page": 404}, "login_wall": {"x": 1}},
    ]
    for switches in bad:
        response = _set(world, **switches)
        assert response.status_code == 400, switches
        assert response.json()["status"] == "fail" and response.json()["message"]
    snapshot = httpx.get(world.instagram_url + "/_sandbox/faults", trust_env=False).json()
    assert snapshot["gone"] == {} and snapshot["login_wall"] == {}  # nothing half-set
    assert snapshot["useragent_mismatch"] is False and snapshot["doc_ids"] == {}


def test_door_switches_end_by_themselves_and_on_reset() -> None:
    now = [0.0]
    doors = Doors(clock=lambda: now[0], max_seconds=MAX_FAULT_SECONDS)
    doors.set({"gone": {"embedded_page": 404}, "useragent_mismatch": True})
    assert doors.gone("embedded_page") == 404 and doors.useragent_mismatch()
    now[0] = MAX_FAULT_SECONDS + 1
    assert doors.gone("embedded_page") is None and not doors.useragent_mismatch()
    doors.set({"doc_ids": {"profile": "9"}, "login_wall": {"embedded_page": 1.0}})
    assert doors.doc_id("profile", "1") == "9" and doors.doc_id("timeline", "2") == "2"
    doors.reset()
    assert doors.doc_id("profile", "1") == "1" and not doors.walled(7, "embedded_page", "a1")


# ---- budgets, sessions, stats -----------------------------------------------------------


def test_profile_strategies_share_one_budget_and_pages_another(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN, budget=4, page_budget=2, share_429=0.0)
    name = world.public_usernames()[0]
    profile_ways = ("web_profile_info", "web_profile_info_ipad", "graphql_doc_id", "embedded_page")
    with _client(world) as client:
        assert [_ask(client, world, s, name).status_code for s in profile_ways] == [200] * 4
        assert [_ask(client, world, s, name).status_code for s in profile_ways] == [401] * 4
        assert doc_id_timeline(client, name).status_code == 200
        assert _ask(client, world, "graphql_query_hash", name).status_code == 200
        assert doc_id_timeline(client, name).status_code == 401
    total = world.stats()["total"]
    assert total["profile"] == 8 and total["page"] == 3 and total["ok"] == 6
    for label in (*profile_ways, "page:graphql_doc_id", "page:graphql_query_hash"):
        assert total[label] >= 1, label
    assert total["web_profile_info"] == 2 and total["page:graphql_doc_id"] == 2


def test_a_session_has_its_own_budget(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN, budget=1, session_budget=3, share_429=0.0)
    name = world.public_usernames()[0]
    with _client(world) as anonymous:
        assert web_profile_info(anonymous, name).status_code == 200
        assert web_profile_info(anonymous, name).status_code == 401
    with _client(world, cookies={"sessionid": "sandbox-session"}) as session:
        statuses = [_ask(session, world, s, name).status_code for s in STRATEGIES[:4]]
        assert statuses == [200, 200, 200, 401]  # the session's three, then limited
    with _client(world, cookies={"sessionid": "unknown"}) as stranger:
        assert web_profile_info(stranger, name).status_code == 401  # anonymous: the IP's


def test_session_ids_are_configurable(world_factory) -> None:
    world = world_factory(profiles=10, session_ids=("mine", "yours"))
    name = world.public_usernames()[0]
    _set(world, login_wall={"web_profile_info": 1.0})
    for value, walled in (("mine", False), ("yours", False), ("sandbox-session", True)):
        with _client(world, cookies={"sessionid": value}) as client:
            assert _walled(web_profile_info(client, name)) is walled, value


# ---- the other fault switches reach the new routes ------------------------------------------


def test_fault_switches_apply_to_the_new_routes(world_factory) -> None:
    world = world_factory(profiles=10, speed=FROZEN, budget=10_000)
    name = world.public_usernames()[1]
    with _client(world) as client:
        normal = v1_connection(doc_id_timeline(client, name))
        world.faults.set(status_5xx=2)
        assert doc_id_profile(client, name).status_code >= 500
        assert embedded_page(client, name).status_code >= 500
        world.faults.set(bad_utf8=1)
        with pytest.raises(UnicodeDecodeError):
            embedded_page(client, name).content.decode("utf-8")
        world.faults.set(drift_seconds=60, drift_share=1.0)
        drifted = doc_id_timeline(client, name).json()
        assert drifted["data"].get(CONNECTION) != normal
        world.faults.reset()
        world.faults.set(deleted=[name])
        assert embedded_page(client, name).status_code == 404
        assert doc_id_profile(client, name).json()["data"]["user"] is None
        world.faults.set(private=[name], deleted=[])
        assert page_user(embedded_page(client, name).text)["is_private"] is True
        assert doc_id_profile(client, name).json()["data"]["user"]["is_private"] is True


def test_command_line_takes_the_new_options() -> None:
    from sandbox.__main__ import build_parser

    args = build_parser().parse_args(
        ["--session-ids", "a", "b", "--session-budget", "9", "--profile-doc-id", "1"]
    )
    assert args.session_ids == ["a", "b"] and args.session_budget == 9
    assert args.profile_doc_id == "1" and args.timeline_doc_id == TIMELINE_DOC
    assert build_parser().parse_args([]).session_ids == ("sandbox-session",)
