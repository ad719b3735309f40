"""The ModemManager driver: rotate by reconnecting, disabling/enabling, resetting the modem.

Every step finds the modem again (``mmcli -L -K``) because the index changes after a reset
and bearer numbers grow with each reconnect; nothing assumes modem 0 or bearer 0. The public
IP comes from the echo services, bound to the bearer's own address so the check leaves
through the modem.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Sequence

from modem_service.backends.base import BackendState
from modem_service.backends.commands import (
    CommandFailed,
    CommandResult,
    CommandRunner,
    run_command,
)
from modem_service.backends.mmcli_output import (
    BearerStatus,
    ModemStatus,
    modem_indexes,
    parse_bearer,
    parse_modem,
)
from modem_service.echo import PublicIpSource


class ModemNotFound(RuntimeError):
    """ModemManager lists no modem (unplugged, or a HiLink stick it cannot see)."""


class MmcliModem:
    """Drives one modem through ``mmcli`` (and ``nmcli`` when NetworkManager owns the link)."""

    name = "mmcli"

    def __init__(
        self,
        echo: PublicIpSource,
        *,
        runner: CommandRunner = run_command,
        mmcli: str = "mmcli",
        nmcli: str = "nmcli",
        nm_connection: str | None = None,
        apn: str | None = None,
        power_cycle_command: str | None = None,
        command_timeout: float = 30.0,
        reappear_timeout: float = 120.0,
        poll_interval: float = 1.0,
        bind_address: str | None = None,
    ) -> None:
        self.echo = echo
        self.runner = runner
        self.mmcli = mmcli
        self.nmcli = nmcli
        self.nm_connection = nm_connection
        self.apn = apn
        self.power_cycle_argv = shlex.split(power_cycle_command) if power_cycle_command else []
        self.command_timeout = command_timeout
        self.reappear_timeout = reappear_timeout
        self.poll_interval = poll_interval
        self.bind_address = bind_address

    @property
    def ladder(self) -> tuple[str, ...]:
        steps = ("reconnect", "disable_enable", "reset")
        return (*steps, "power_cycle") if self.power_cycle_argv else steps

    # -- commands -------------------------------------------------------------------------

    async def _run(self, argv: Sequence[str], time_limit: float | None = None) -> CommandResult:
        result = await self.runner(list(argv), time_limit or self.command_timeout)
        if not result.ok:
            raise CommandFailed(result)
        return result

    async def find_modem(self) -> int:
        """The index of the first modem ModemManager lists."""
        listing = await self._run([self.mmcli, "-L", "-K"])
        indexes = modem_indexes(listing.stdout)
        if not indexes:
            raise ModemNotFound("ModemManager lists no modem")
        return indexes[0]

    async def modem_status(self, index: int) -> ModemStatus:
        return parse_modem((await self._run([self.mmcli, "-m", str(index), "-K"])).stdout)

    async def bearer_status(self, path_or_index: str | int) -> BearerStatus:
        ref = str(path_or_index)
        return parse_bearer((await self._run([self.mmcli, "-b", ref, "-K"])).stdout)

    async def connected_bearer(self) -> BearerStatus | None:
        """The first connected bearer of the current modem, read from its own output."""
        status = await self.modem_status(await self.find_modem())
        for path in status.bearer_paths:
            bearer = await self.bearer_status(path)
            if bearer.connected:
                return bearer
        return None

    async def _connect(self, index: int) -> None:
        """Bring the data link up again: NetworkManager if it owns it, else mmcli."""
        if self.nm_connection:
            await self._run([self.nmcli, "connection", "up", self.nm_connection])
            return
        args = f"apn={self.apn}" if self.apn else ""
        await self._run([self.mmcli, "-m", str(index), f"--simple-connect={args}"])

    async def _disconnect(self, index: int) -> None:
        if self.nm_connection:
            await self._run([self.nmcli, "connection", "down", self.nm_connection])
            return
        await self._run([self.mmcli, "-m", str(index), "--simple-disconnect"])

    async def _wait_for_modem(self) -> int:
        """Poll until ModemManager lists a modem again (after reset or power cycle)."""
        deadline = time.monotonic() + self.reappear_timeout
        while True:
            try:
                index = await self.find_modem()
                status = await self.modem_status(index)
                if status.state not in (None, "unknown", "initializing", "locked", "failed"):
                    return index
            except (ModemNotFound, CommandFailed, ValueError):
                pass
            if time.monotonic() >= deadline:
                raise ModemNotFound(f"no modem came back within {self.reappear_timeout:g} s")
            await asyncio.sleep(self.poll_interval)

    async def _ensure_enabled_and_connected(self, index: int) -> None:
        status = await self.modem_status(index)
        if not status.enabled:
            await self._run([self.mmcli, "-m", str(index), "-e"])
        if not (await self.modem_status(index)).connected:
            await self._connect(index)

    # -- the ladder -----------------------------------------------------------------------

    async def step(self, name: str) -> None:
        if name not in self.ladder:
            raise ValueError(f"unknown rotation step {name!r}")
        if name == "power_cycle":
            await self._run(self.power_cycle_argv, time_limit=self.reappear_timeout)
            index = await self._wait_for_modem()
            await self._ensure_enabled_and_connected(index)
            return
        index = await self.find_modem()
        if name == "reconnect":
            await self._disconnect(index)
            await self._connect(index)
        elif name == "disable_enable":
            await self._run([self.mmcli, "-m", str(index), "-d"])
            await self._run([self.mmcli, "-m", str(index), "-e"])
            await self._ensure_enabled_and_connected(index)
        elif name == "reset":
            await self._run([self.mmcli, "-m", str(index), "--reset"])
            index = await self._wait_for_modem()
            await self._ensure_enabled_and_connected(index)

    async def public_ip(self) -> str | None:
        """The public IP through the modem's bearer address; None when no bearer is up."""
        bind = self.bind_address
        if bind is None:
            try:
                bearer = await self.connected_bearer()
            except (ModemNotFound, CommandFailed):
                return None
            if bearer is None or bearer.ipv4_address is None:
                return None
            bind = bearer.ipv4_address
        return await self.echo.public_ip(bind)

    async def state(self) -> BackendState:
        try:
            index = await self.find_modem()
            status = await self.modem_status(index)
        except (ModemNotFound, CommandFailed, ValueError) as exc:
            return BackendState(present=False, connected=False, detail={"error": str(exc)})
        detail = {"modem": str(status.index), "state": status.state or ""}
        if status.model:
            detail["model"] = status.model
        return BackendState(present=True, connected=status.connected, detail=detail)

    async def aclose(self) -> None:
        await self.echo.aclose()
