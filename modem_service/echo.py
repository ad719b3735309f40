"""Learning the public IP from echo services reached through the modem's own interface.

The address ModemManager or the HiLink stick reports is the carrier-side one (10.x, CGNAT
100.64.0.0/10); only an echo service on the internet sees the public IP. The request must
leave through the modem, never over the VPN, so the HTTP transport binds its source address
to the modem's interface address (httpx ``local_address``). On Linux the outgoing interface
follows the destination route unless policy routing says otherwise, so ``interface`` can
also pin the socket to the device itself (``SO_BINDTODEVICE``, needs CAP_NET_RAW). Two
services that must agree guard against one of them answering with a cached or proxied
address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Protocol

import httpx


class EchoError(RuntimeError):
    """The echo services gave no usable answer, or answers that disagree."""


class PublicIpSource(Protocol):
    """Anything that can say which public IP the modem's traffic leaves with."""

    async def public_ip(self, bind_address: str | None = None) -> str | None: ...

    async def aclose(self) -> None: ...


def parse_echo_answer(body: str) -> str:
    """The global IP an echo service answered with, or ``ValueError``.

    Accepts the plain-text answer of ipify/ifconfig.me/icanhazip (whitespace trimmed).
    Private, loopback, link-local and CGNAT (100.64.0.0/10) addresses are rejected:
    ``ipaddress`` calls CGNAT "not private", so the test is ``is_global``.
    """
    text = body.strip()
    if not text or len(text) > 64:
        raise ValueError("echo answer is not an IP address")
    address = ipaddress.ip_address(text)
    if not address.is_global:
        raise ValueError(f"echo answered a non-global address {address}")
    return str(address)


def agreed_ip(answers: Sequence[str], min_agree: int) -> str:
    """The single IP all answers agree on, if at least ``min_agree`` answered.

    Disagreeing answers mean one service sees another path (or lies): no answer is better
    than a wrong one in the IP log.
    """
    distinct = set(answers)
    if len(distinct) > 1:
        raise EchoError(f"echo services disagree: {sorted(distinct)}")
    if len(answers) < max(1, min_agree):
        raise EchoError(f"{len(answers)} echo answer(s), {min_agree} needed")
    return answers[0]


class EchoChecker:
    """Asks every configured echo URL concurrently through a client bound to one address.

    Clients are kept per bind address (the modem's address changes on reconnect with some
    drivers) and closed in :meth:`aclose`.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        bind_address: str | None = None,
        interface: str | None = None,
        timeout: float = 5.0,
        min_agree: int = 2,
    ) -> None:
        if not urls:
            raise ValueError("at least one echo URL is needed")
        self.urls = list(urls)
        self.bind_address = bind_address
        self.interface = interface
        self.timeout = timeout
        self.min_agree = min(min_agree, len(self.urls))
        self._clients: dict[str | None, httpx.AsyncClient] = {}

    def _client(self, bind_address: str | None) -> httpx.AsyncClient:
        client = self._clients.get(bind_address)
        if client is None:
            options = []
            if self.interface:
                device = self.interface.encode()
                options.append((socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device))
            transport = httpx.AsyncHTTPTransport(
                local_address=bind_address, retries=0, socket_options=options or None
            )
            # trust_env=False: an HTTP(S)_PROXY in the environment must not carry the check.
            client = httpx.AsyncClient(transport=transport, timeout=self.timeout, trust_env=False)
            self._clients[bind_address] = client
        return client

    async def _ask(self, client: httpx.AsyncClient, url: str) -> str:
        response = await client.get(url, headers={"Accept": "text/plain"})
        response.raise_for_status()
        return parse_echo_answer(response.text)

    async def public_ip(self, bind_address: str | None = None) -> str | None:
        """The agreed public IP; None when no service answered (the modem is offline).

        Raises :class:`EchoError` when services answered but disagree or too few agree.
        """
        client = self._client(bind_address or self.bind_address)
        results = await asyncio.gather(
            *(self._ask(client, url) for url in self.urls), return_exceptions=True
        )
        answers = [r for r in results if isinstance(r, str)]
        if not answers:
            return None
        return agreed_ip(answers, self.min_agree)

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
