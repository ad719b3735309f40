"""The modem service's bearer token: required on every endpoint but /health, never leaked.

The endpoints come from the app's own OpenAPI schema, so a new route is covered the day it
is added. The token is checked against logs (every logger, DEBUG) and every body, through a
session that also makes the service fail: unplugged modem, failing steps, bad parameters.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from modem_service import Settings, create_app
from modem_service.backends.simulated import SimulatedModem
from modem_service.settings import parse_weighted_ranges

TOKEN = "tok-Zq9xSecretValue-7f3a"  # distinctive, to grep for
OPEN = {("GET", "/health")}


def _modem() -> SimulatedModem:
    return SimulatedModem(parse_weighted_ranges("209.29.168.0/24=1"), rotation_seconds=0.0)


def _app(modem: SimulatedModem | None = None):
    settings = Settings(backend="simulated", token=TOKEN, sim_rotation_seconds=0)
    return create_app(settings, backend=modem or _modem())


def _operations() -> list[tuple[str, str]]:
    schema = _app().openapi()
    ops = [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(ops) >= 6
    return sorted(ops)


OPERATIONS = _operations()
PROTECTED = [op for op in OPERATIONS if op not in OPEN]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"bearer{TOKEN}",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_every_endpoint_but_health_refuses_a_missing_or_wrong_token(
    method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with TestClient(_app()) as client:
        response = client.request(method, path, headers=headers)
    assert response.status_code == 401, (method, path, authorization)
    assert TOKEN not in response.text


def test_health_needs_no_token_and_says_nothing_secret() -> None:
    with TestClient(_app()) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert TOKEN not in response.text


def test_the_token_never_reaches_logs_or_bodies(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    modem = _modem()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    bodies: list[str] = []
    with TestClient(_app(modem), raise_server_exceptions=False) as client:
        for method, path in OPERATIONS:
            bodies.append(client.request(method, path, headers=auth).text)
        modem.failing_steps = 3
        bodies.append(client.post("/rotate", headers=auth).text)
        modem.down = True
        for path in ("/ip", "/health", "/metrics"):
            bodies.append(client.get(path, headers=auth).text)
        bodies.append(client.post("/rotate", headers=auth).text)
        modem.down = False
        for bad in ("/ips?limit=-5", "/ips?since=yesterday", "/ranges?prefix=999", "/nope"):
            bodies.append(client.get(bad, headers=auth).text)
        bodies.append(client.get("/ip", headers={"Authorization": f"Bearer {TOKEN}!"}).text)
    for body in bodies:
        assert TOKEN not in body
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in repr(record.args) and TOKEN not in str(record.__dict__)


def test_the_token_is_not_in_the_settings_repr() -> None:
    settings = Settings(backend="simulated", token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


def test_the_fetcher_side_client_never_puts_the_token_in_its_errors() -> None:
    import asyncio
    import socket

    from intrend_assets.fetching.modem_client import ModemClient, ModemUnavailable

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def go() -> list[str]:
        client = ModemClient(f"http://127.0.0.1:{port}", TOKEN, timeout=2)
        messages = []
        try:
            for call in (client.rotate, client.current_ip):
                with pytest.raises(ModemUnavailable) as info:
                    await call()
                messages.append(str(info.value) + repr(info.value.__cause__))
        finally:
            await client.aclose()
        return messages

    for message in asyncio.run(go()):
        assert TOKEN not in message
