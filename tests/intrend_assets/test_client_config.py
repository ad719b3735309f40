"""The settings reach the wire: each knob ends up in the request it is meant for.

The strategies' own tests build requests from a ``StrategyConfig`` directly; these go the way a
run does (settings -> resource -> client config -> client -> bound strategies), so a knob dropped or
crossed on the way (the web app id sent as the iPad one, the www host lost) shows up here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx

from intrend_assets.defs.resources import instagram_access
from intrend_assets.instagram.client import ClientConfig, InstagramClient
from intrend_assets.instagram.strategies import (
    PROFILE_STRATEGIES,
    TIMELINE_STRATEGIES,
    HttpRequest,
)
from intrend_assets.settings import IntrendSettings

WEB_APP_ID = "936619743392459"  # Instagram's own ids, spelt out: the settings must keep them
DEFAULT_USER_AGENT = IntrendSettings().user_agent

Sent = tuple[str, str, str | None, str | None, str | None]


def _send_everything(config: ClientConfig) -> list[Sent]:
    """Every profile and timeline strategy once, the client's own two shortcuts, and one relative
    path (resolved against the client's base URL); what went out, in that order."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))

    async def go() -> None:
        client = InstagramClient(config, transport=transport)
        try:
            bound = instagram_access(IntrendSettings()).bind(client, None)
            for profile in bound.profile:
                await profile.fetch("anna")
            for timeline in bound.timeline:
                await timeline.fetch("anna", "42", "CUR")
            await client.get_profile("anna")
            await client.get_timeline_page("42", None)
            await client.send(HttpRequest("GET", "/probe"))
        finally:
            await client.aclose()

    asyncio.run(go())
    return [_summary(r) for r in sent]


def _summary(request: httpx.Request) -> Sent:
    """Method, URL without query, app id header, the doc id or query hash it names, agent."""
    ids = None
    if request.method == "POST":
        ids = dict(httpx.QueryParams(request.content.decode()))["doc_id"]
    elif "query_hash" in request.url.params:
        variables = json.loads(request.url.params["variables"])
        ids = f"{request.url.params['query_hash']} {variables['id']}"
    url = str(request.url.copy_with(query=None))
    return (
        request.method,
        url,
        request.headers.get("x-ig-app-id"),
        ids,
        request.headers["user-agent"],
    )


def test_every_setting_reaches_its_request() -> None:
    settings = IntrendSettings(
        instagram_base_url="http://api.test:81/",
        www_base_url="http://www.test:82",
        app_id="web-id",
        ipad_app_id="ipad-id",
        profile_doc_id="p-doc",
        timeline_doc_id="t-doc",
        timeline_query_hash="q-hash",
        user_agent="ua/1",
        proxy_url="http://proxy.test:3128",
        max_connections=3,
        connect_timeout=1.5,
        read_timeout=2.5,
    )
    config = instagram_access(settings).client_config
    assert (config.proxy_url, config.user_agent, config.max_connections) == (
        "http://proxy.test:3128",
        "ua/1",
        3,
    )
    assert (config.connect_timeout, config.read_timeout) == (1.5, 2.5)
    # A proxy would take the requests past the mock transport; its address is checked above.
    sent = _send_everything(dataclasses.replace(config, proxy_url=None))
    assert [s[:4] for s in sent] == [
        ("GET", "http://api.test:81/api/v1/users/web_profile_info/", "web-id", None),
        ("GET", "http://api.test:81/api/v1/users/web_profile_info/", "ipad-id", None),
        ("GET", "http://www.test:82/anna/", "web-id", None),
        ("POST", "http://www.test:82/graphql/query", "web-id", "p-doc"),
        ("POST", "http://www.test:82/graphql/query", "web-id", "t-doc"),
        ("GET", "http://www.test:82/graphql/query/", "web-id", "q-hash 42"),
        ("GET", "http://api.test:81/api/v1/users/web_profile_info/", "web-id", None),
        ("GET", "http://www.test:82/graphql/query/", "web-id", "q-hash 42"),
        ("GET", "http://api.test:81/probe", "web-id", None),
    ]
    assert len(sent) == len(PROFILE_STRATEGIES) + len(TIMELINE_STRATEGIES) + 3
    assert {s[4] for s in sent} == {"ua/1"}


def test_defaults_are_instagrams_hosts_and_the_web_app() -> None:
    config = instagram_access(IntrendSettings()).client_config
    assert config.user_agent == DEFAULT_USER_AGENT and config.proxy_url is None
    sent = _send_everything(config)
    assert sent[0][:3] == (
        "GET",
        "https://i.instagram.com/api/v1/users/web_profile_info/",
        WEB_APP_ID,
    )
    assert sent[2][1] == "https://www.instagram.com/anna/"  # before graphql_doc_id
    assert sent[-1][:3] == ("GET", "https://i.instagram.com/probe", WEB_APP_ID)
    assert {s[4] for s in sent} == {DEFAULT_USER_AGENT}
