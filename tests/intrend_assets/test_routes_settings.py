"""INTREND_ROUTES: the egress routes in configuration; unset, the one modem of the settings."""

from __future__ import annotations

import json

import pytest

from intrend_assets.defs.resources import build_resources
from intrend_assets.fetching.routes import ModemPool, egress_routes
from intrend_assets.settings import SettingsError, load_settings

ROUTES = [
    {"name": "a", "modem_url": "http://10.8.0.2:8000", "proxy_url": "http://10.8.0.2:3128"},
    {"name": "b", "modem_url": "http://10.8.0.3:8000"},
]


def test_without_routes_the_single_modem_and_proxy_are_the_one_route() -> None:
    settings = load_settings(modem_url="http://box:8000", proxy_url="http://box:3128")
    (route,) = settings.egress_routes()
    assert (route.name, route.modem.url, route.proxy_url) == (
        "modem",
        "http://box:8000",
        "http://box:3128",
    )
    modem = build_resources(settings)["modem"]
    assert isinstance(modem, ModemPool) and modem.url == "http://box:8000"
    assert [r.name for r in egress_routes(modem)] == ["modem"]


def test_routes_from_the_environment_share_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTREND_ROUTES", json.dumps(ROUTES))
    monkeypatch.setenv("INTREND_MODEM_TOKEN", "s3cret-token")
    monkeypatch.setenv("INTREND_ROUTE_BENCH_SECONDS", "42")
    settings = load_settings()
    routes = settings.egress_routes()
    assert [(r.name, r.modem.url, r.proxy_url) for r in routes] == [
        ("a", "http://10.8.0.2:8000", "http://10.8.0.2:3128"),
        ("b", "http://10.8.0.3:8000", None),
    ]
    assert {r.modem.token for r in routes} == {"s3cret-token"}
    modem = build_resources(settings)["modem"]
    assert modem.url == "http://10.8.0.2:8000" and modem.bench_seconds == 42  # type: ignore[attr-defined]
    assert egress_routes(modem) == routes  # type: ignore[arg-type]
    assert "s3cret-token" not in repr(routes)


@pytest.mark.parametrize(
    ("routes", "says"),
    [
        ([ROUTES[0], ROUTES[0]], "two routes have the same name"),
        ([{**ROUTES[0], "proxy_url": "http://u:pw@10.8.0.2:3128"}], "PROXY_PASSWORD"),
        ([{**ROUTES[0], "name": "a b"}], "INTREND_ROUTES"),
        ("not json", "INTREND_ROUTES"),
    ],
)
def test_a_bad_route_list_is_refused_naming_the_variable(routes: object, says: str) -> None:
    with pytest.raises(SettingsError, match=says) as error:
        load_settings(routes=routes if isinstance(routes, str) else json.dumps(routes))
    assert "pw@" not in str(error.value)
