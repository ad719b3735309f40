"""HTTP clients share one verified TLS context instead of loading the CA bundle each."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.instagram.tls import verified_context
from tests import defaults


def test_context_verifies_and_is_built_once() -> None:
    context = verified_context()
    assert context is verified_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_clients_do_not_load_the_ca_bundle_again(monkeypatch: pytest.MonkeyPatch) -> None:
    verified_context()
    built: list[object] = []
    real = httpx.create_ssl_context

    def counting(verify: object = True, **kwargs: object) -> ssl.SSLContext:
        if not isinstance(verify, ssl.SSLContext):  # a given context is returned as it is
            built.append(verify)
        return real(verify, **kwargs)  # type: ignore[arg-type]

    import httpx._transports.default as transports

    monkeypatch.setattr(transports, "create_ssl_context", counting)
    clients = [
        InstagramClient(
            defaults.client_config("https://i.invalid", proxy_url="http://127.0.0.1:9")
        ),
        ModemClient("https://m.invalid", token=None),
    ]
    for client in clients:
        asyncio.run(client.aclose())
    assert built == []
