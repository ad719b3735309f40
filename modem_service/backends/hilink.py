"""The Huawei HiLink driver (E3372h and kin): rotate through the stick's web API.

In HiLink mode ModemManager sees no modem; the stick is a network card with its own NAT and
a web API guarded by a session cookie and a CSRF token. ``huawei-lte-api`` handles both; it
is synchronous, so every call runs in a worker thread. Status polling and writing use two
separate sessions because the stick rotates CSRF tokens per write and a poller sharing the
writer's session makes the writer's token stale (error 125003).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from huawei_lte_api.Client import Client
from huawei_lte_api.Connection import Connection
from huawei_lte_api.enums.device import ControlModeEnum
from huawei_lte_api.exceptions import (
    ResponseErrorLoginCsrfException,
    ResponseErrorWrongSessionToken,
)

from modem_service.backends.base import BackendState
from modem_service.echo import PublicIpSource

T = TypeVar("T")

CONNECTED = "901"
CONNECTION_STATUS = {
    "900": "connecting",
    "901": "connected",
    "902": "disconnected",
    "903": "disconnecting",
}
# Errors that a fresh session (new cookie and token) cures.
SESSION_ERRORS = (ResponseErrorWrongSessionToken, ResponseErrorLoginCsrfException)


class HilinkSession:
    """One ``huawei-lte-api`` connection, recreated when the stick calls its token stale."""

    def __init__(self, url: str, username: str | None, password: str | None, timeout: float):
        self.url, self.username, self.password, self.timeout = url, username, password, timeout
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self.renewals = 0

    def _client(self) -> Client:
        if self._connection is None:
            self._connection = Connection(
                self.url, username=self.username, password=self.password, timeout=self.timeout
            )
        return Client(self._connection)

    def _drop(self) -> None:
        if self._connection is not None:
            # A dead session may fail to log out; it is gone anyway.
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def call(self, fn: Callable[[Client], T]) -> T:
        """Run ``fn`` with a client; on a stale session start a new one and try once more."""
        with self._lock:
            try:
                return fn(self._client())
            except SESSION_ERRORS:
                self._drop()
                self.renewals += 1
                return fn(self._client())

    def post_set(self, endpoint: str, data: dict[str, Any]) -> str:
        """A write the library has no method for (e.g. ``dialup/dial`` Action 0)."""

        def post(client: Client) -> str:
            assert self._connection is not None  # set by _client() before fn runs
            return self._connection.post_set(endpoint, data)

        return self.call(post)

    def close(self) -> None:
        with self._lock:
            self._drop()


def local_address_towards(url: str) -> str | None:
    """This host's address on the interface that reaches ``url`` (the stick's network).

    A connected UDP socket sends nothing; the kernel just picks the route and source address.
    Binding the echo check to that address keeps it on the stick's interface, off the VPN.
    """
    host = urlsplit(url).hostname
    if not host:
        return None
    try:
        infos = socket.getaddrinfo(host, 80, type=socket.SOCK_DGRAM)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(address)
            return str(probe.getsockname()[0])
    except OSError:
        return None


class HilinkModem:
    """Ladder: mobile data off/on, then dial-up disconnect/connect, then a device reboot."""

    name = "hilink"
    ladder = ("data_toggle", "redial", "reboot")

    def __init__(
        self,
        echo: PublicIpSource,
        *,
        url: str = "http://192.168.8.1/",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        bind_address: str | None = None,
        off_seconds: float = 2.0,
        connect_timeout: float = 60.0,
        reboot_timeout: float = 120.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.echo = echo
        self.url = url
        self.bind_address = bind_address
        self.off_seconds = off_seconds
        self.connect_timeout = connect_timeout
        self.reboot_timeout = reboot_timeout
        self.poll_interval = poll_interval
        self.status_session = HilinkSession(url, username, password, timeout)
        self.write_session = HilinkSession(url, username, password, timeout)

    async def _status(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.status_session.call, lambda c: c.monitoring.status())

    async def _write(self, fn: Callable[[Client], T]) -> T:
        return await asyncio.to_thread(self.write_session.call, fn)

    async def connection_status(self) -> str | None:
        try:
            return str((await self._status()).get("ConnectionStatus"))
        except Exception:
            return None

    async def _wait_connected(self, limit_seconds: float) -> None:
        if not await self._wait_state({CONNECTED}, limit_seconds):
            raise TimeoutError(f"HiLink modem not connected within {limit_seconds:g} s")

    async def _wait_state(self, wanted: set[str | None], limit_seconds: float) -> bool:
        """Poll the status session until ConnectionStatus is one of ``wanted``."""
        deadline = time.monotonic() + limit_seconds
        while True:
            if await self.connection_status() in wanted:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(self.poll_interval)

    async def step(self, name: str) -> None:
        if name == "data_toggle":
            await self._write(lambda c: c.dial_up.set_mobile_dataswitch(0))
            await self._wait_state({"902", None}, self.off_seconds)
            await self._write(lambda c: c.dial_up.set_mobile_dataswitch(1))
            await self._wait_connected(self.connect_timeout)
        elif name == "redial":
            # Hang up the PDP context (dialup/dial Action 0), then dial again (Action 1).
            await asyncio.to_thread(self.write_session.post_set, "dialup/dial", {"Action": 0})
            await self._wait_state({"902", None}, self.off_seconds)
            await self._write(lambda c: c.dial_up.dial())
            await self._wait_connected(self.connect_timeout)
        elif name == "reboot":
            await self._write(lambda c: c.device.set_control(ControlModeEnum.REBOOT))
            # Both sessions die with the reboot; start fresh ones when it is back.
            await asyncio.to_thread(self.write_session.close)
            await asyncio.to_thread(self.status_session.close)
            await asyncio.sleep(self.off_seconds)
            await self._wait_connected(self.reboot_timeout)
        else:
            raise ValueError(f"unknown rotation step {name!r}")

    async def public_ip(self) -> str | None:
        """The public IP via the echo services, bound to our address on the stick's network."""
        if self.bind_address is None:
            self.bind_address = await asyncio.to_thread(local_address_towards, self.url)
        return await self.echo.public_ip(self.bind_address)

    async def state(self) -> BackendState:
        try:
            status = await self._status()
        except Exception as exc:
            return BackendState(present=False, connected=False, detail={"error": str(exc)})
        code = str(status.get("ConnectionStatus"))
        detail = {"connection_status": CONNECTION_STATUS.get(code, code)}
        if status.get("WanIPAddress"):
            detail["carrier_address"] = str(status["WanIPAddress"])
        return BackendState(present=True, connected=code == CONNECTED, detail=detail)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.write_session.close)
        await asyncio.to_thread(self.status_session.close)
        await self.echo.aclose()
