"""A fake ModemManager behind a fake command runner, answering in recorded ``-K`` formats.

The outputs are the recorded samples with the changing parts (modem index, state, bearer
paths, addresses) substituted, so the backend under test parses what real mmcli prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from modem_service.backends.commands import CommandResult
from tests.modem_service.conftest import sample

MODEM = sample("mmcli_modem_connected.txt")
BEARER = sample("mmcli_bearer_connected.txt")


@dataclass
class FakeModemManager:
    index: int = 3
    state: str = "connected"
    bearer: int = 7
    carrier_address: str = "10.133.54.34"
    public_ip: str = "209.29.168.10"
    present: bool = True
    absent_polls_after_reset: int = 2
    stuck_connects: int = 0  # next N connects keep the public IP
    fail: dict[str, str] = field(default_factory=dict)  # argv fragment -> stderr
    calls: list[list[str]] = field(default_factory=list)
    _absent_polls: int = 0
    _ip_counter: int = 10

    # -- what the fake mmcli prints --------------------------------------------------------

    def _list(self) -> str:
        if not self.present:
            return sample("mmcli_list_none.txt")
        return (
            "modem-list.length   : 1\n"
            f"modem-list.value[1] : /org/freedesktop/ModemManager1/Modem/{self.index}\n"
        )

    def _modem(self) -> str:
        text = MODEM.replace("Modem/0", f"Modem/{self.index}")
        text = re.sub(r"(modem\.generic\.state\s+): \S+", rf"\1: {self.state}", text)
        text = re.sub(r"modem\.generic\.bearers\..*\n", "", text)
        if self.state == "connected":
            text += (
                "modem.generic.bearers.length                    : 1\n"
                "modem.generic.bearers.value[1]                  : "
                f"/org/freedesktop/ModemManager1/Bearer/{self.bearer}\n"
            )
        else:
            text += "modem.generic.bearers.length                    : 0\n"
        return text

    def _bearer(self) -> str:
        return BEARER.replace("Bearer/3", f"Bearer/{self.bearer}").replace(
            "10.133.54.34", self.carrier_address
        )

    # -- state changes ---------------------------------------------------------------------

    def _connect(self) -> None:
        self.state = "connected"
        self.bearer += 1  # bearer numbers grow with every reconnect
        self._ip_counter += 1
        self.carrier_address = f"10.133.54.{self._ip_counter}"
        if self.stuck_connects > 0:
            self.stuck_connects -= 1
        else:
            self.public_ip = f"209.29.168.{self._ip_counter}"

    async def __call__(self, argv: Sequence[str], time_limit: float) -> CommandResult:
        args = list(argv)
        self.calls.append(args)
        assert time_limit > 0
        joined = " ".join(args)
        for fragment, stderr in self.fail.items():
            if fragment in joined:
                return CommandResult(tuple(args), 1, "", stderr)
        ok = lambda out="": CommandResult(tuple(args), 0, out, "")  # noqa: E731
        if args[0] == "uhubctl":
            self.present, self.index, self.state = True, self.index + 1, "disabled"
            return ok()
        if args[0] == "nmcli":
            if args[2] == "up":
                self._connect()
            else:
                self.state = "registered"
            return ok()
        if args[1:] == ["-L", "-K"]:
            if self._absent_polls > 0:
                self._absent_polls -= 1
                return ok(sample("mmcli_list_none.txt"))
            return ok(self._list())
        if args[1] == "-b":
            if not args[2].endswith(f"/{self.bearer}"):
                return CommandResult(tuple(args), 1, "", "error: couldn't find bearer")
            return ok(self._bearer())
        if args[1] == "-m":
            if not self.present or args[2] != str(self.index):
                return CommandResult(tuple(args), 1, "", "error: couldn't find modem")
            action = args[3]
            if action == "-K":
                return ok(self._modem())
            if action == "-d":
                self.state = "disabled"
                return ok("successfully disabled the modem\n")
            if action == "-e":
                self.state = "registered"
                return ok("successfully enabled the modem\n")
            if action == "--reset":
                self.index += 1  # the modem comes back under a new index
                self.state = "disabled"
                self._absent_polls = self.absent_polls_after_reset
                return ok("successfully reseted the modem\n")
            if action.startswith("--simple-connect"):
                self._connect()
                return ok(
                    "successfully connected the modem at bearer "
                    f"/org/freedesktop/ModemManager1/Bearer/{self.bearer}\n"
                )
            if action == "--simple-disconnect":
                self.state = "registered"
                return ok("successfully disconnected all bearers in the modem\n")
        return CommandResult(tuple(args), 2, "", f"fake mmcli: unexpected {joined}")


class FakeEcho:
    """Answers the fake modem's public IP only when bound to its current carrier address."""

    def __init__(self, mm: FakeModemManager) -> None:
        self.mm = mm
        self.binds: list[str | None] = []
        self.closed = False

    async def public_ip(self, bind_address: str | None = None) -> str | None:
        self.binds.append(bind_address)
        if self.mm.state != "connected" or bind_address != self.mm.carrier_address:
            return None
        return self.mm.public_ip

    async def aclose(self) -> None:
        self.closed = True
