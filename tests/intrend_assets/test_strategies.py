"""What each strategy sends: hosts, headers, doc ids, all from configuration."""

import json

import pytest
from pydantic import ValidationError

from intrend_assets.instagram.strategies import PROFILE_STRATEGIES, TIMELINE_STRATEGIES
from intrend_assets.settings import IntrendSettings
from tests import defaults

# Instagram's own app ids, spelt out: the settings' defaults must keep sending them.
WEB_APP_ID = "936619743392459"
IPAD_APP_ID = "124024574287414"


def test_www_host_follows_the_api_host() -> None:
    assert defaults.strategy_config().www == "https://www.instagram.com"
    assert (
        defaults.strategy_config(api_base="http://127.0.0.1:9000/").www == "http://127.0.0.1:9000"
    )
    assert defaults.strategy_config(www_base="https://x.test/").www == "https://x.test"


def test_profile_requests() -> None:
    cfg = defaults.strategy_config(profile_doc_id="111")
    web = PROFILE_STRATEGIES["web_profile_info"].build_request("Anna.B", cfg)
    assert (web.method, web.url) == (
        "GET",
        "https://i.instagram.com/api/v1/users/web_profile_info/",
    )
    assert web.params == {"username": "anna.b"} and web.headers["x-ig-app-id"] == WEB_APP_ID
    ipad = PROFILE_STRATEGIES["web_profile_info_ipad"].build_request("anna", cfg)
    assert ipad.headers["x-ig-app-id"] == IPAD_APP_ID
    doc = PROFILE_STRATEGIES["graphql_doc_id"].build_request("anna", cfg)
    assert (doc.method, doc.url) == ("POST", "https://www.instagram.com/graphql/query")
    assert doc.data is not None and doc.data["doc_id"] == "111"
    assert json.loads(doc.data["variables"])["username"] == "anna"
    page = PROFILE_STRATEGIES["embedded_page"].build_request("anna", cfg)
    assert page.url == "https://www.instagram.com/anna/" and "text/html" in page.headers["accept"]
    assert "scrape_harder" not in PROFILE_STRATEGIES
    with pytest.raises(ValueError):
        PROFILE_STRATEGIES["embedded_page"].build_request("../etc/passwd", cfg)


def test_timeline_requests() -> None:
    cfg = defaults.strategy_config(timeline_doc_id="222", timeline_query_hash="abc")
    doc = TIMELINE_STRATEGIES["graphql_doc_id"].build_request("anna", None, "CUR", cfg, 12)
    assert doc.data is not None and doc.data["doc_id"] == "222"
    assert json.loads(doc.data["variables"]) == {"username": "anna", "first": 12, "after": "CUR"}
    qh = TIMELINE_STRATEGIES["graphql_query_hash"].build_request("anna", "42", None, cfg, 12)
    assert qh.params is not None and qh.params["query_hash"] == "abc"
    assert json.loads(qh.params["variables"]) == {"id": "42", "first": 12, "after": None}
    with pytest.raises(ValueError, match="digits"):
        TIMELINE_STRATEGIES["graphql_query_hash"].build_request("anna", "42 OR 1=1", None, cfg, 12)


def test_which_cursor_carries_over() -> None:
    def continues(profile: str, timeline: str) -> bool:
        return timeline in PROFILE_STRATEGIES[profile].cursor_continues_with

    assert continues("web_profile_info", "graphql_query_hash")
    assert continues("embedded_page", "graphql_query_hash")
    assert not continues("web_profile_info", "graphql_doc_id")
    assert not continues("graphql_doc_id", "graphql_query_hash")
    assert [n for n, s in PROFILE_STRATEGIES.items() if not s.carries_posts] == ["graphql_doc_id"]
    assert [n for n, s in TIMELINE_STRATEGIES.items() if s.needs_user_id] == ["graphql_query_hash"]


def test_strategy_order_is_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTREND_PROFILE_STRATEGIES", "embedded_page, graphql_doc_id")
    monkeypatch.setenv("INTREND_TIMELINE_DOC_ID", "999")
    settings = IntrendSettings()
    assert settings.profile_strategies == ["embedded_page", "graphql_doc_id"]
    assert settings.timeline_doc_id == "999"
    for bad, message in [
        ("", "at least one"),
        ("web_profile_info,nope", "unknown"),
        ("embedded_page,embedded_page", "repeat"),
    ]:
        monkeypatch.setenv("INTREND_PROFILE_STRATEGIES", bad)
        with pytest.raises(ValidationError, match=message):
            IntrendSettings()
