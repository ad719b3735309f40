"""``/docs`` and ``/redoc``: served from local files, behind the token unless configured open."""

import asyncio
import re

import httpx
import pytest

from modem_service import Settings, create_app
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated

DOC_PAGES = ("/docs", "/redoc", "/openapi.json")


def _get_all(settings: Settings, paths: tuple[str, ...], **kwargs: object) -> list[httpx.Response]:
    async def scenario() -> list[httpx.Response]:
        async with running(create_app(settings, backend=simulated())) as client:
            return [await client.get(path, **kwargs) for path in paths]  # type: ignore[arg-type]

    return asyncio.run(scenario())


def _settings(**overrides: object) -> Settings:
    return Settings(backend="simulated", token=TOKEN, ip_check_seconds=0, **overrides)  # type: ignore[arg-type]


def test_docs_need_the_token_by_default() -> None:
    assert [r.status_code for r in _get_all(_settings(), DOC_PAGES)] == [401, 401, 401]
    assert [r.status_code for r in _get_all(_settings(), DOC_PAGES, headers=AUTH)] == [200] * 3


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_pages_load_everything_from_the_service_itself(page: str) -> None:
    (html,) = _get_all(_settings(), (page,), headers=AUTH)
    assert "cdn" not in html.text and "fonts.googleapis" not in html.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts
    # the assets themselves are public code: a browser fetches them without the header
    answers = _get_all(_settings(), tuple(assets))
    assert [a.status_code for a in answers] == [200] * len(assets)
    assert all(len(a.content) > 1000 for a in answers if a.request.url.path.endswith(".js"))


def test_docs_open_when_configured_open() -> None:
    answers = _get_all(_settings(docs="open"), DOC_PAGES)
    assert [r.status_code for r in answers] == [200] * 3
    (ip,) = _get_all(_settings(docs="open"), ("/ip",))
    assert ip.status_code == 401  # only the docs are open


def test_docs_off() -> None:
    answers = _get_all(_settings(docs="off"), DOC_PAGES, headers=AUTH)
    assert [r.status_code for r in answers] == [404] * 3
