"""The bearer token: required everywhere but /health, compared safely, never echoed."""

import asyncio
import logging

import pytest
from fastapi.testclient import TestClient

from modem_service import Settings, create_app
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated

PROTECTED = [
    ("GET", "/ip"),
    ("GET", "/ips"),
    ("GET", "/ranges"),
    ("GET", "/metrics"),
    ("POST", "/rotate"),
]


def _app(**overrides: object):
    settings = Settings(backend="simulated", token=TOKEN, **overrides)  # type: ignore[arg-type]
    return create_app(settings, backend=simulated())


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_missing_wrong_and_right_token(method: str, path: str, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Bearer not-" + TOKEN
    with TestClient(_app()) as client:
        missing = client.request(method, path)
        bad = client.request(method, path, headers={"Authorization": wrong})
        scheme = client.request(method, path, headers={"Authorization": f"Basic {TOKEN}"})
        good = client.request(method, path, headers=AUTH)
    for response in (missing, bad, scheme):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in response.text and "not-" not in response.text
    assert good.status_code == 200
    assert TOKEN not in caplog.text


def test_health_needs_no_token_and_reports_backend() -> None:
    with TestClient(_app()) as client:
        body = client.get("/health").json()
    assert body["status"] == "ok" and body["backend"] == "simulated"
    assert body["present"] is True and body["connected"] is True
    assert TOKEN not in str(body)


def test_openapi_docs_are_on() -> None:
    with TestClient(_app()) as client:
        paths = client.get("/openapi.json", headers=AUTH).json()["paths"]
    assert {"/rotate", "/ip", "/ips", "/ranges", "/health", "/metrics"} <= set(paths)


def test_refuses_to_start_without_token() -> None:
    with pytest.raises(RuntimeError, match="MODEM_TOKEN"):
        create_app(Settings(backend="simulated"))
    with pytest.raises(RuntimeError, match="MODEM_TOKEN"):
        create_app(Settings(backend="simulated", token=""))


def test_open_only_on_loopback() -> None:
    with pytest.raises(RuntimeError, match="loopback"):
        create_app(Settings(backend="simulated", allow_open=True, host="0.0.0.0"))
    with pytest.raises(RuntimeError, match="loopback"):
        create_app(Settings(backend="simulated", allow_open=True, host="192.168.8.100"))
    for host in ("127.0.0.1", "::1", "localhost"):
        app = create_app(Settings(backend="simulated", allow_open=True, host=host), simulated())

        async def call(app=app) -> int:
            async with running(app) as client:
                return (await client.get("/ip")).status_code

        assert asyncio.run(call()) == 200


def test_token_from_environment_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEM_TOKEN", TOKEN)
    settings = Settings(backend="simulated")
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    with TestClient(create_app(settings, simulated())) as client:
        assert client.get("/ip", headers=AUTH).status_code == 200
