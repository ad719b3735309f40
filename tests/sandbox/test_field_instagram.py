"""Field mode, the fake Instagram's share: a strategy throttled for everyone, odd 4xx per
profile, GraphQL's own rate limit and execution errors, the burst rule, today's page shape and
the 5-hashtag cap."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime

import httpx

from intrend_assets.parsing.shapes import extract_embedded
from sandbox.captions import HASHTAG_CAP_SINCE
from sandbox.config import SandboxConfig
from sandbox.content import SandboxContent
from sandbox.field_rules import ASSET_DELETED_BODY
from sandbox.gates import EGRESS_HEADER
from sandbox.ratelimit import LIMITED_BODY

from .conftest import PROFILE_PATH

QUERY_HASH = "42323d64886122307be10013ad2dcc44"


def _client(ip: str) -> httpx.Client:
    return httpx.Client(headers={EGRESS_HEADER: ip}, trust_env=False, timeout=10)


def _profile(world, client: httpx.Client, name: str) -> httpx.Response:
    return client.get(world.instagram_url + PROFILE_PATH, params={"username": name})


def _page(world, client: httpx.Client, name: str) -> httpx.Response:
    user_id = world.content.user_id(world.content.index_of(name))
    variables = json.dumps({"id": user_id, "first": 12})
    return client.get(
        world.instagram_url + "/graphql/query/",
        params={"query_hash": QUERY_HASH, "variables": variables},
    )


def test_a_throttled_strategy_refuses_every_ip_while_others_work(world_factory) -> None:
    world = world_factory(throttled_strategy="web_profile_info", throttle_seconds=600.0)
    name = world.public_usernames()[0]
    for ip in ("209.29.168.1", "209.29.168.2", "209.29.99.3"):
        refused = _profile(world, _client(ip), name)
        assert refused.status_code == 401 and refused.json() == LIMITED_BODY
        assert _client(ip).get(f"{world.instagram_url}/{name}/").status_code == 200
        ipad = _client(ip).get(
            world.instagram_url + PROFILE_PATH,
            params={"username": name},
            headers={"x-ig-app-id": "124024574287414"},
        )
        assert ipad.status_code == 200
    assert world.field_stats()["throttled"] == 3
    world.clock.advance(600.0)  # the period ends
    assert _profile(world, _client("209.29.168.1"), name).status_code == 200


def test_the_throttle_door_switch(world_factory) -> None:
    world = world_factory()
    name = world.public_usernames()[0]
    world.faults.set(throttle=["embedded_page"])
    assert _client("1.1.1.1").get(f"{world.instagram_url}/{name}/").status_code == 401
    assert _profile(world, _client("1.1.1.1"), name).status_code == 200
    bad = httpx.post(world.instagram_url + "/_sandbox/faults", json={"throttle": ["nope"]})
    assert bad.status_code == 400
    world.reset_faults()
    assert _client("1.1.1.1").get(f"{world.instagram_url}/{name}/").status_code == 200


def test_odd_4xx_for_business_profiles_on_web_profile_info_only(world_factory) -> None:
    world = world_factory(profiles=300, odd_4xx_share=0.3, budget=10_000)
    odd = [n for n in world.public_usernames() if world.instagram.field.is_odd(n)]
    assert 0.2 * 300 < len(odd) < 0.4 * 300
    client = _client("209.29.168.9")
    answers = Counter()
    for name in odd:
        r = _profile(world, client, name)
        answers[r.status_code, r.json()["message"]] += 1
        assert _client("209.29.168.9").get(f"{world.instagram_url}/{name}/").status_code == 200
    assert answers[400, ASSET_DELETED_BODY["message"]] > len(odd) / 2
    assert answers[400, "feedback_required"] > 0 and answers[403, ""] > 0
    assert sum(answers.values()) == len(odd)
    # The same profiles, the same answers: fixed per account.
    again = _profile(world, client, odd[0])
    assert again.json() == _profile(world, client, odd[0]).json()
    ordinary = next(n for n in world.public_usernames() if n not in odd)
    assert _profile(world, client, ordinary).status_code == 200


def test_graphql_has_its_own_rate_limit(world_factory) -> None:
    world = world_factory(graphql_budget=3, page_budget=1000)
    name = world.public_usernames()[0]
    client = _client("209.29.168.20")
    answers = [_page(world, client, name) for _ in range(40)]
    assert [r.status_code for r in answers[:3]] == [200, 200, 200]
    assert all("errors" not in r.json() for r in answers[:3])
    limited = answers[3:]
    assert all(r.json()["errors"][0]["code"] == 1675004 for r in limited)
    assert {r.status_code for r in limited} == {200, 429}  # sometimes HTTP 200
    # Another IP has its own GraphQL budget; web_profile_info is not GraphQL.
    assert "errors" not in _page(world, _client("209.29.168.21"), name).json()
    assert _profile(world, client, name).status_code == 200


def test_graphql_execution_errors_are_a_share_of_answers(world_factory) -> None:
    world = world_factory(graphql_error_share=0.25, page_budget=1000)
    name = world.public_usernames()[0]
    client = _client("209.29.168.30")
    bodies = [_page(world, client, name).json() for _ in range(200)]
    errors = [b for b in bodies if b.get("errors")]
    assert 25 < len(errors) < 75
    assert {b["errors"][0]["message"] for b in errors} == {"execution error"}
    assert world.field_stats()["graphql_execution_error"] == len(errors)


def _before_limit(world, ip: str, gap: float, tries: int = 60) -> int:
    """Profile lookups granted from ``ip`` before the first refusal, ``gap`` sandbox seconds
    apart (the clock is advanced by hand, so no real sleeping)."""
    client = _client(ip)
    names = world.public_usernames()
    for n in range(tries):
        if _profile(world, client, names[n % len(names)]).status_code != 200:
            return n
        world.clock.advance(gap)
    return tries


def test_burst_rule_makes_pacing_matter(world_factory) -> None:
    # budget 20 per 600 s; burst rule: more than 5 within 10 s is refused.
    world = world_factory(speed=0.001, budget=20, burst_limit=5, burst_seconds=10.0)
    assert _before_limit(world, "209.29.168.40", gap=0.0) == 5  # no sleep
    assert _before_limit(world, "209.29.168.41", gap=2.5) == 20  # a fixed 2.5 s sleep
    # Without the rule, pacing makes no difference: the budget is the only limit.
    plain = world_factory(speed=0.001, budget=20)
    assert _before_limit(plain, "209.29.168.42", gap=0.0) == 20


def test_burst_refusals_spend_budget(world_factory) -> None:
    world = world_factory(speed=0.001, budget=20, burst_limit=5, burst_seconds=10.0)
    client = _client("209.29.168.50")
    name = world.public_usernames()[0]
    statuses = [_profile(world, client, name).status_code for _ in range(12)]
    assert statuses[:5] == [200] * 5 and 200 not in statuses[5:]
    world.clock.advance(10.0)  # the burst has passed; 12 of the 20 are spent
    assert _before_limit(world, "209.29.168.50", gap=2.5) == 8
    assert world.field_stats()["burst_refused"] == 7  # the 21st is refused by the budget


def test_page_shape_xig_user_by_username(world_factory) -> None:
    world = world_factory(page_shape="xig_user_by_username")
    name = world.public_usernames()[0]
    html = _client("1.1.1.1").get(f"{world.instagram_url}/{name}/").text
    assert '"xig_user_by_username":{' in html and '"user":{' not in html
    assert extract_embedded(html)["data"]["user"]["username"] == name
    missing = _client("1.1.1.1").get(f"{world.instagram_url}/{world.unknown_usernames()[0]}/")
    assert missing.status_code == 404 and '"xig_user_by_username": null' in missing.text
    old = world_factory()
    assert '"user":{' in _client("1.1.1.1").get(f"{old.instagram_url}/{name}/").text


def _hashtags_by_period(cap: bool) -> tuple[list[int], list[int]]:
    cfg = SandboxConfig(profiles=120, seed=7, anchor=datetime(2026, 1, 20, tzinfo=UTC))
    content = SandboxContent(cfg.model_copy(update={"hashtag_cap": cap}))
    before: list[int] = []
    after: list[int] = []
    for name in content.public_usernames():
        user = content.profile_response(name, cfg.anchor_ts)["data"]["user"]
        for edge in user["edge_owner_to_timeline_media"]["edges"]:
            node = edge["node"]
            captions = node["edge_media_to_caption"]["edges"]
            text = captions[0]["node"]["text"] if captions else ""
            count = len(re.findall("[#＃]", text))
            (after if node["taken_at_timestamp"] >= HASHTAG_CAP_SINCE else before).append(count)
    return before, after


def test_posts_after_the_cap_carry_at_most_five_hashtags() -> None:
    before, after = _hashtags_by_period(cap=True)
    assert len(after) > 300 and max(after) <= 5
    assert max(before) > 5  # older posts keep their tags
    old_before, old_after = _hashtags_by_period(cap=False)
    assert old_before == before and max(old_after) > 5
