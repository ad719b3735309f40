"""Secrets with stray whitespace never reach a message: stripped and checked on load, HTTP
library messages that quote headers never copied, known values scrubbed where we write.

A Kubernetes secret made from a file ends the modem token with a newline; h11 then refuses
the header and its error quotes ``Bearer <token>``. A JSON cookie export with one trailing
space did the same with the whole cookie header, which went into ``raw/failures/*.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from intrend_assets import redaction
from intrend_assets.fetching.modem_client import ModemClient, ModemUnavailable
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.instagram.errors import NetworkError
from intrend_assets.instagram.http import HttpRequest
from intrend_assets.instagram.session import SessionFileError, load_session_cookies
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import SettingsError, load_settings
from tests import defaults

TOKEN = "tok-Zq9xSecretValue-7f3a"  # distinctive, to grep for
SESSION = "8123%3AsEcReTsEsSiOn%3A27"
PROXY_PASSWORD = "pRoXy-Pw-Qz81"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback socket that accepts and never answers: enough for h11 to check the request
    it is about to send (and refuse a bad header before a byte goes out)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    yield
    redaction.forget()


# --- settings: stripped and checked on load -----------------------------------------------


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t\n", "  \n\n"])
def test_a_padded_modem_token_is_stripped_on_load(padding: str) -> None:
    settings = load_settings(modem_token=f"{TOKEN}{padding}")
    assert settings.modem_token is not None
    assert settings.modem_token.get_secret_value() == TOKEN


@pytest.mark.parametrize("bad", [f"{TOKEN[:5]}\n{TOKEN[5:]}", f"{TOKEN}\x00x", f"{TOKEN} x"])
def test_a_token_with_a_control_character_inside_stops_with_one_line_without_it(
    bad: str,
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(modem_token=bad)
    message = str(caught.value)
    assert message.startswith("INTREND_MODEM_TOKEN: ")
    assert "\n" not in message and TOKEN[:5] not in message and TOKEN[5:] not in message


def test_a_proxy_password_is_a_secret_apart_from_the_url() -> None:
    settings = load_settings(proxy_url=f"http://user:{PROXY_PASSWORD}@proxy.test:3128\n")
    assert settings.proxy_url == "http://user@proxy.test:3128"
    assert settings.proxy_password is not None
    assert settings.proxy_password.get_secret_value() == PROXY_PASSWORD
    proxy = settings.client_config().proxy()
    assert proxy is not None and proxy.auth == ("user", PROXY_PASSWORD)
    for text in (repr(settings), str(settings), repr(settings.client_config()), repr(proxy)):
        assert PROXY_PASSWORD not in text


def test_a_percent_encoded_proxy_password_is_decoded_once() -> None:
    settings = load_settings(proxy_url="http://me:p%40ss%3Aw0rd@proxy.test:3128")
    assert settings.proxy_password is not None
    assert settings.proxy_password.get_secret_value() == "p@ss:w0rd"
    assert settings.proxy_url == "http://me@proxy.test:3128"


@pytest.mark.parametrize("inside", ["\x00", "%00", "%0A"])
def test_a_bad_proxy_url_is_refused_without_its_password(inside: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(proxy_url=f"http://user:{PROXY_PASSWORD}{inside}x@proxy.test:3128")
    assert str(caught.value).startswith("INTREND_PROXY_URL: ")
    assert PROXY_PASSWORD not in str(caught.value)


# --- the session's cookies: stripped and checked on load ----------------------------------


def _cookie_file(tmp_path: Path, value: str) -> Path:
    path = tmp_path / "cookies.json"
    cookies = [
        {"name": "sessionid", "value": value, "domain": ".instagram.com"},
        {"name": "csrftoken", "value": "csrf-Vb72 ", "domain": ".instagram.com"},
    ]
    path.write_text(json.dumps(cookies))
    os.chmod(path, 0o600)
    return path


def test_a_json_cookie_with_a_trailing_space_is_stripped(tmp_path: Path) -> None:
    cookies = load_session_cookies(_cookie_file(tmp_path, f"{SESSION} "))
    assert cookies.values == {"sessionid": SESSION, "csrftoken": "csrf-Vb72"}


@pytest.mark.parametrize("inside", ["\n", "\x00", "\x7f", "é"])
def test_a_cookie_a_header_cannot_carry_is_refused_naming_the_cookie_only(
    tmp_path: Path, inside: str
) -> None:
    path = _cookie_file(tmp_path, f"{SESSION[:6]}{inside}{SESSION[6:]}")
    with pytest.raises(SessionFileError) as caught:
        load_session_cookies(path)
    message = str(caught.value)
    assert "'sessionid'" in message and str(path) in message
    assert SESSION[:6] not in message and SESSION[6:] not in message


# --- HTTP library messages that quote headers are never copied ----------------------------


def _refused(client: ModemClient | InstagramClient, error: type[Exception]) -> Exception:
    """The error ``client`` raises when h11 refuses a header it was built with."""

    async def go() -> None:
        try:
            if isinstance(client, ModemClient):
                await client.current_ip()
            else:
                await client.send(HttpRequest("GET", "/api/v1/users/web_profile_info/"))
        finally:
            await client.aclose()

    with pytest.raises(error) as caught:
        asyncio.run(go())
    assert "LocalProtocolError" in str(caught.value)
    return caught.value


def test_a_header_h11_refuses_is_not_quoted_by_the_modem_client(silent_server: str) -> None:
    refused = _refused(ModemClient(silent_server, f"{TOKEN}\n", timeout=2), ModemUnavailable)
    _nowhere_in_the_chain(refused, TOKEN)


def test_a_header_h11_refuses_is_not_quoted_by_the_instagram_client(silent_server: str) -> None:
    config = defaults.client_config(silent_server, read_timeout=2.0)
    client = InstagramClient(config, cookies={"sessionid": f"{SESSION} "})
    _nowhere_in_the_chain(_refused(client, NetworkError), SESSION)


def _nowhere_in_the_chain(exc: BaseException | None, secret: str) -> None:
    """Dagster stores an error's cause and context with it: none of them may quote it."""
    while exc is not None:
        assert secret not in str(exc) and secret not in repr(exc.args)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


# --- the one redaction point --------------------------------------------------------------


def test_known_values_are_scrubbed_in_every_form_a_message_may_hold() -> None:
    redaction.remember(TOKEN, SESSION, "p@ss word!")
    text = (
        f"Illegal header value b'Bearer {TOKEN}\\n'; cookie sessionid={SESSION}; "
        "proxy http://me:p%40ss%20word%21@proxy.test and 'p@ss word!'"
    )
    scrubbed = redaction.redact(text)
    for value in (TOKEN, SESSION, "p%40ss%20word%21", "p@ss word!"):
        assert value not in scrubbed
    assert "Illegal header value" in scrubbed and "proxy.test" in scrubbed


def test_shapes_of_secrets_are_scrubbed_even_when_the_value_is_unknown() -> None:
    texts = (
        "b'Bearer abc.def-123' via http://u:hunter22@10.0.0.1:3128/",
        "b'sessionid=XyZ%3A99; csrftoken=c5rf'",
        "headers {'Cookie': 'sessionid=XyZ%3A99; csrftoken=c5rf'}",
    )
    scrubbed = " ".join(redaction.redact(text) for text in texts)
    for value in ("abc.def-123", "XyZ%3A99", "c5rf", "hunter22"):
        assert value not in scrubbed
    assert "10.0.0.1:3128" in scrubbed


def test_short_or_public_values_are_not_taken_for_secrets() -> None:
    redaction.remember("", None, "ab")
    text = "ab and abc stay; so does a missing or wrong bearer token"
    assert redaction.redact(text) == text


def test_metadata_and_records_are_scrubbed_through_and_through() -> None:
    redaction.remember(TOKEN)
    data = {"a": [f"x {TOKEN}", {"b": TOKEN}], TOKEN: 3, "n": 1.5}
    assert TOKEN not in json.dumps(redaction.redact_data(data))
    assert redaction.redact_data(data)["n"] == 1.5


def test_the_raw_store_writes_failures_and_refusals_through_the_redaction_point(
    tmp_path: Path,
) -> None:
    redaction.remember(SESSION)
    store = LocalRawStore(tmp_path)
    store.record_failure("some.one", "gave_up", f"sessionid={SESSION} refused", 2)
    obj = store.put("some.one", __import__("datetime").datetime.now().astimezone(), b"{}")
    store.set_aside_pending(obj, f"why: {SESSION}")
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*.json"))
    assert SESSION.encode() not in written
    assert store.failures()[0]["reason"].startswith("sessionid=")


def test_the_resources_built_from_the_settings_show_no_secret(tmp_path: Path) -> None:
    """The resources are plain objects (never in a run's config or snapshot), but a repr
    reaches a log or a traceback all the same."""
    from intrend_assets.defs.resources import build_resources

    settings = load_settings(
        data_dir=tmp_path,
        modem_token=f"{TOKEN}\n",
        proxy_url=f"http://user:{PROXY_PASSWORD}@proxy.test:3128",
    )
    resources = build_resources(settings)
    assert resources["modem"].token == TOKEN
    for resource in resources.values():
        assert TOKEN not in repr(resource) and PROXY_PASSWORD not in repr(resource)
    # Building them told the redaction point the values.
    assert redaction.redact(f"{TOKEN} {PROXY_PASSWORD}") == " ".join([redaction.REDACTED] * 2)


def test_the_alert_webhook_url_is_a_secret_the_redaction_point_knows(tmp_path: Path) -> None:
    """A Slack incoming webhook's URL is its credential: an error quoting it is scrubbed."""
    from intrend_assets.defs.resources import build_resources

    webhook = "https://hooks.slack.test/services/T0AB/B1CD/xYzSeCrEtPaTh42"
    build_resources(load_settings(data_dir=tmp_path, alert_webhook_url=webhook))
    try:
        assert redaction.redact(f"POST {webhook} failed") == f"POST {redaction.REDACTED} failed"
    finally:
        redaction.forget()


def test_the_quick_look_never_misses_what_redact_would_scrub() -> None:
    """``needs_redaction`` says False only for texts ``redact`` leaves as they are (the step's
    redaction point skips the full scrub of an event on its word)."""
    redaction.remember(TOKEN, "p@ss word!")
    samples = [
        f"x {TOKEN} y",
        "Bearer abc.def-123",
        "proxy-authorization: Basic dXNlcjpwdw==",
        "{'Cookie': 'a=b'}",
        "SESSIONID=XyZ; mid=abc; rur=x; ig_did=1; csrftoken=z",
        "http://u:hunter22@10.0.0.1:3128/",
        "p%40ss%20word%21",
        "fetched 200/200 profiles: 198 stored, 2 failed, egress 10.0.0.7",
        "partition 'a b' is not a profile name: spaces",
    ]
    for text in samples:
        changed = redaction.redact(text) != text
        assert not changed or redaction.needs_redaction(text), text
    assert not redaction.needs_redaction(samples[-2]) and not redaction.needs_redaction(samples[-1])
