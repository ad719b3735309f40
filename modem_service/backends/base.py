"""The one interface every modem driver implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class BackendState:
    """What /health reports about the modem."""

    present: bool
    connected: bool
    detail: dict[str, str] = field(default_factory=dict)


class ModemBackend(Protocol):
    """A driver for one kind of modem.

    Rotation is a ladder of ever stronger steps (reconnect, disable/enable, reset, power
    cycle); the service walks the ladder and verifies the public IP after each step, because
    real modems often come back with the same IP.
    """

    name: str

    @property
    def ladder(self) -> tuple[str, ...]:
        """Names of the rotation steps, weakest first."""
        ...

    async def step(self, name: str) -> None:
        """Run one rotation step; return when the modem is connected again."""
        ...

    async def public_ip(self) -> str | None:
        """The public IP as seen through the modem's own connection, or None when offline."""
        ...

    async def state(self) -> BackendState: ...

    async def aclose(self) -> None: ...
