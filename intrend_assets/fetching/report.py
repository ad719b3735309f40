"""What a fetch run reports: one outcome per profile, the request log, the modem's share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ProfileOutcome:
    username: str
    outcome: str  # stored / private / not_found / login_wall / refused / invalid / gave_up
    reason: str = ""
    attempts: int = 0
    key: str | None = None
    pages: int = 0
    complete: bool = True  # False: paging stopped early on errors; the mark did not move
    strategy: str | None = None  # the profile strategy that served it
    session: bool = False  # served through the logged-in session
    route: str | None = None  # the egress route it was fetched through


@dataclass
class FetchReport:
    outcomes: dict[str, ProfileOutcome] = field(default_factory=dict)
    log: list[dict[str, object]] = field(default_factory=list)
    rotations: int = 0
    unchanged_rotations: int = 0
    cooldown_waits: int = 0  # the modem answered within its cooldown: no new IP yet, waited
    modem_errors: int = 0
    rotation_seconds: float = 0.0  # held up while the modem changed IP (part of ``seconds``)
    bytes_raw: int = 0
    bytes_stored: int = 0
    seconds: float = 0.0
    gone: dict[str, str] = field(default_factory=dict)  # "profile:<name>" -> why
    benched: dict[str, int] = field(default_factory=dict)  # "profile:<name>" -> times benched
    # Per egress route: profiles, rotations, times benched, profiles handed to other routes.
    routes: dict[str, dict[str, int]] = field(default_factory=dict)

    def served(self) -> dict[str, int]:
        """Profiles stored per profile strategy (``name+session`` when logged in)."""
        counts: dict[str, int] = {}
        for o in self.outcomes.values():
            if o.outcome in ("stored", "private") and o.strategy:
                key = f"{o.strategy}+session" if o.session else o.strategy
                counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def count(self, *outcomes: str) -> int:
        return sum(1 for o in self.outcomes.values() if o.outcome in outcomes)

    @property
    def stored(self) -> int:
        return self.count("stored", "private")

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.stored


ProgressCallback = Callable[[int, int, FetchReport], None]


class GaveUp(Exception):
    """A request exhausted its attempts; carries the reason for the failure record."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.attempts = attempts
