"""The running sandbox: limits through the proxy, rotation, reconnects, counters, admin, CLI."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import httpx
import pytest

from sandbox.ratelimit import LIMITED_BODY
from tests.sandbox.conftest import PROFILE_PATH
from tests.sandbox.modem_calls import rotate

pytestmark = pytest.mark.timeout(60)


def _client(world) -> httpx.Client:
    return httpx.Client(proxy=world.proxy_url, trust_env=False, timeout=10)


def _profile(client: httpx.Client, world, name: str | None = None) -> httpx.Response:
    name = name or world.public_usernames()[0]
    return client.get(world.instagram_url + PROFILE_PATH, params={"username": name})


def _page(client: httpx.Client, world) -> httpx.Response:
    user_id = world.content.user_id(world.content.index_of(world.public_usernames()[0]))
    variables = json.dumps({"id": user_id, "first": 12})
    return client.get(
        world.instagram_url + "/graphql/query/",
        params={"query_hash": "42323d64886122307be10013ad2dcc44", "variables": variables},
    )


def test_instagram_sees_the_modem_ip_through_the_proxy(world_factory) -> None:
    world = world_factory()
    with _client(world) as client:
        assert _profile(client, world).status_code == 200
    direct = httpx.get(
        world.instagram_url + PROFILE_PATH,
        params={"username": world.public_usernames()[0]},
        trust_env=False,
    )
    assert direct.status_code == 200
    ips = world.stats()["ips"]
    assert ips[world.modem.egress_ip()]["ok"] == 1
    assert ips["127.0.0.1"]["ok"] == 1  # no proxy: the "data-center" peer address


def test_budget_then_401_then_rotation_restores(world_factory) -> None:
    world = world_factory(budget=5, share_429=0.0, unchanged_probability=0.0)
    first_ip = world.modem.egress_ip()
    with _client(world) as client:
        assert [_profile(client, world).status_code for _ in range(5)] == [200] * 5
        limited = _profile(client, world)
        assert limited.status_code == 401
        assert limited.json() == {
            "message": "Please wait a few minutes before you try again.",
            "require_login": True,
            "status": "fail",
        }
        assert _page(client, world).status_code == 200  # post pages have their own budget
        result = rotate(world)
        assert result["changed"] and result["new_ip"] == world.modem.egress_ip() != first_ip
        assert _profile(client, world).status_code == 200
    stats = world.stats()["ips"]
    assert stats[first_ip]["ok"] == 6 and stats[first_ip]["401"] == 1
    assert stats[world.modem.egress_ip()]["ok"] == 1


def test_429_share_is_configurable(world_factory) -> None:
    world = world_factory(budget=1, share_429=1.0)
    with _client(world) as client:
        assert _profile(client, world).status_code == 200
        refused = _profile(client, world)
    assert refused.status_code == 429 and refused.json() == LIMITED_BODY


def test_pages_have_their_own_budget(world_factory) -> None:
    world = world_factory(budget=1, page_budget=2, share_429=0.0)
    with _client(world) as client:
        assert _profile(client, world).status_code == 200
        assert _profile(client, world).status_code == 401
        assert [_page(client, world).status_code for _ in range(3)] == [200, 200, 401]


def test_window_expires_on_the_sped_up_clock(world_factory) -> None:
    # A 600-second window at 600x passes in one real second.
    world = world_factory(budget=2, window_seconds=600.0, speed=600.0, share_429=0.0)
    with _client(world) as client:
        started = time.monotonic()
        statuses = [_profile(client, world).status_code for _ in range(3)]
        if time.monotonic() - started < 0.9:  # else the machine is too slow to tell
            assert statuses == [200, 200, 401]
        time.sleep(1.1)
        assert _profile(client, world).status_code == 200


def test_admin_truth_stats_reset_and_advance(world_factory) -> None:
    world = world_factory(budget=1)
    base = world.instagram_url
    truth = httpx.get(base + "/_sandbox/truth", trust_env=False).json()
    assert truth["planted_trends"] == world.planted_trends()
    assert set(truth["public_usernames"]) | set(truth["private_usernames"]) == set(
        world.usernames()
    )
    assert truth["unknown_usernames"] == world.unknown_usernames()
    with _client(world) as client:
        _profile(client, world)
        assert _profile(client, world).status_code in (401, 429)
        assert httpx.post(base + "/_sandbox/reset-limits", trust_env=False).status_code == 200
        assert _profile(client, world).status_code == 200
    stats = httpx.get(base + "/_sandbox/stats", trust_env=False).json()
    assert stats == world.stats() and stats["total"]["total"] == 3
    before = httpx.get(base + "/_sandbox/clock", trust_env=False).json()["now"]
    after = httpx.post(base + "/_sandbox/advance", params={"seconds": 3600}, trust_env=False)
    assert after.json()["now"] >= before + 3600


def test_unknown_and_private_over_http(world_factory) -> None:
    world = world_factory(profiles=200, private_share=0.1)
    with _client(world) as client:
        codes = {_profile(client, world, n).status_code for n in world.unknown_usernames()}
        assert codes == {200, 404}  # user:null and 404 both occur
        private = _profile(client, world, world.private_usernames()[0]).json()["data"]["user"]
    assert private["is_private"] and private["edge_owner_to_timeline_media"]["edges"] == []


def test_new_posts_appear_as_the_sandbox_clock_runs(world_factory) -> None:
    world = world_factory(speed=400_000.0, budget=100)  # ~4.6 sandbox days per real second
    content = world.content
    names = world.public_usernames()
    name = min(names, key=lambda n: content.profile(content.index_of(n)).interval)
    with _client(world) as client:
        first = _profile(client, world, name).json()["data"]["user"]["edge_owner_to_timeline_media"]
        time.sleep(1.0)
        later = _profile(client, world, name).json()["data"]["user"]["edge_owner_to_timeline_media"]
    assert later["count"] > first["count"]
    assert later["edges"][0]["node"]["id"] != first["edges"][0]["node"]["id"]


def test_proxy_answers_503_while_the_modem_reconnects(world_factory) -> None:
    world = world_factory(rotation_seconds=1.5, speed=1.0, unchanged_probability=0.0)
    rotation = threading.Thread(target=rotate, args=(world,))
    rotation.start()
    try:
        deadline = time.monotonic() + 5
        while world.modem.egress_ip() is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        with _client(world) as client:
            during = _profile(client, world)
        assert during.status_code == 503
        assert "reconnecting" in during.text
    finally:
        rotation.join(10)
    with _client(world) as client:
        assert _profile(client, world).status_code == 200
    assert world.proxy.refused_reconnecting == 1


def test_peak_connections_respect_the_client_limit(world_factory) -> None:
    world = world_factory(budget=1000)

    async def burst(max_connections: int) -> None:
        limits = httpx.Limits(max_connections=max_connections)
        async with httpx.AsyncClient(proxy=world.proxy_url, limits=limits, trust_env=False) as c:
            names = world.public_usernames()[:30]
            url = world.instagram_url + PROFILE_PATH
            results = await asyncio.gather(*(c.get(url, params={"username": n}) for n in names))
        assert all(r.status_code == 200 for r in results)

    asyncio.run(burst(3))
    assert 2 <= world.peak_proxy_connections <= 3
    assert world.peak_proxy_requests <= 3
    world.proxy.connections.reset_peak()
    asyncio.run(burst(8))
    assert 4 <= world.peak_proxy_connections <= 8


def test_proxy_refuses_what_it_must_not_forward(world_factory) -> None:
    world = world_factory()
    with _client(world) as client:
        outside = client.get("http://192.0.2.1/api/v1/users/web_profile_info/?username=x")
    assert outside.status_code == 403  # never leaves the machine
    origin_form = httpx.get(world.proxy_url + "/api", trust_env=False)
    assert origin_form.status_code == 400
    host, port = world.proxy_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 501")


def test_absolute_form_reaches_the_app_via_h11(world_factory) -> None:
    """uvicorn's h11 protocol keeps the absolute-form target in raw_path (the proxy's basis)."""
    world = world_factory()
    target = f"{world.instagram_url}{PROFILE_PATH}?username={world.public_usernames()[0]}"
    host, port = world.proxy_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert b'"status":"ok"' in data


def test_modem_service_shares_the_modem(world_factory) -> None:
    world = world_factory()
    auth = {"Authorization": f"Bearer {world.modem_token}"}
    assert httpx.get(world.modem_url + "/health", trust_env=False).json()["status"] == "ok"
    ip = httpx.get(world.modem_url + "/ip", headers=auth, trust_env=False).json()["ip"]
    assert ip == world.modem.egress_ip()
    assert ip.startswith(("209.29.168.", "209.29.99."))
    assert httpx.get(world.modem_url + "/ip", trust_env=False).status_code == 401


def test_command_line_starts_prints_and_stops(capsys) -> None:
    from sandbox.__main__ import main

    assert main(["--profiles", "5", "--duration", "0.3", "--seed", "3"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("SANDBOX "))
    info = json.loads(line.removeprefix("SANDBOX "))
    assert info["proxy_url"].startswith("http://127.0.0.1:")
    assert info["modem_token"] and len(info["planted_trends"]) == 4


def test_missing_app_id_header_is_a_useragent_mismatch(world_factory) -> None:
    world = world_factory(require_app_id=True)
    with _client(world) as client:
        bare = _profile(client, world)
        client.headers["x-ig-app-id"] = "936619743392459"
        ok = _profile(client, world)
    assert bare.status_code == 401 and bare.json()["message"] == "useragent mismatch"
    assert ok.status_code == 200


def test_command_line_boolean_flags() -> None:
    from sandbox.__main__ import build_parser

    parser = build_parser()
    assert parser.parse_args([]).require_app_id is False
    assert parser.parse_args(["--require-app-id"]).require_app_id is True


def test_uvicorn_h11_scope_for_an_absolute_form_target() -> None:
    """The fact the proxy rests on: under h11, raw_path holds scheme and host; query apart."""
    from sandbox.servers import ServerThread

    seen: dict = {}

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        seen.update(path=scope["path"], raw_path=scope["raw_path"], qs=scope["query_string"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    server = ServerThread(app, "probe", lifespan="off")
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET http://127.0.0.1:9/a/b/?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 204")
        assert server._socket is not None and server._socket.proto == socket.IPPROTO_TCP
    finally:
        server.stop()
    assert seen == {
        "path": "http://127.0.0.1:9/a/b/",
        "raw_path": b"http://127.0.0.1:9/a/b/",
        "qs": b"x=1",
    }


def test_the_leads_example_config_starts() -> None:
    from sandbox.world import SandboxConfig, start_sandbox

    cfg = SandboxConfig(
        profiles=300, seed=7, budget=50, window_seconds=600.0, speed=60.0,
        rotation_seconds=2.0, unchanged_probability=0.1, share_429=0.2,
        private_share=0.03, missing_share=0.02,
    )  # fmt: skip
    with start_sandbox(cfg) as world:
        assert len(world.usernames()) == 300
        assert len(world.unknown_usernames()) >= 6
        assert world.modem.egress_ip() is not None
        assert world.modem_token and world.peak_proxy_connections == 0
        assert world.stats() == {"ips": {}, "total": dict.fromkeys(world.stats()["total"], 0)}
