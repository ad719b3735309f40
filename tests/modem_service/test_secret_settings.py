"""``MODEM_TOKEN`` and ``MODEM_HILINK_PASSWORD`` are stripped and checked on load, and a bad one
is explained without its value.

A token made from a file (a Kubernetes secret, ``EnvironmentFile=`` written by a script) ends
in a newline: kept, it made the service expect ``tok\\n`` while every client (which strips it,
or whose HTTP library refuses it) sent ``tok``, so every request was refused.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from modem_service import create_app
from modem_service.backends.simulated import SimulatedModem
from modem_service.settings import SettingsError, load_settings, parse_weighted_ranges

TOKEN = "tok-Mq4SecretValue-2b"
PASSWORD = "hiLinkPw-93x"


@pytest.mark.parametrize("padding", ["\n", "\r\n", " \n", "\t"])
def test_a_padded_token_is_stripped_and_the_client_s_token_accepted(padding: str) -> None:
    settings = load_settings(backend="simulated", token=f"{TOKEN}{padding}")
    assert settings.token is not None and settings.token.get_secret_value() == TOKEN
    modem = SimulatedModem(parse_weighted_ranges("209.29.168.0/24=1"), rotation_seconds=0.0)
    with TestClient(create_app(settings, backend=modem)) as client:
        answer = client.get("/ip", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("token", f"{TOKEN[:4]}\n{TOKEN[4:]}"),
        ("token", f"{TOKEN} x"),
        ("hilink_password", f"{PASSWORD}\x00"),
    ],
)
def test_a_secret_with_a_character_inside_it_cannot_carry_is_refused_unseen(
    field: str, value: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(backend="simulated", **{field: value})
    message = str(caught.value)
    assert message.startswith(f"MODEM_{field.upper()}: ")
    assert "\n" not in message
    for part in (TOKEN[:4], TOKEN[4:], PASSWORD):
        assert part not in message
