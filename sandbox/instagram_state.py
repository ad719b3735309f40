"""The mutable side of the fake Instagram: clock, limiters, refusal dice, counters, switches."""

from __future__ import annotations

from typing import Any

from sandbox.clock import SandboxClock
from sandbox.content import SandboxContent
from sandbox.faults import SandboxFaults
from sandbox.field_rules import FieldRules
from sandbox.ratelimit import BurstCounter, RefusalPicker, RequestStats, SlidingWindowLimiter


class InstagramState:
    """Everything the routes change; the world (``content``) itself is pure.

    Three budgets, as in the field notes: profile lookups per IP, profile lookups per
    logged-in session (same window), timeline pages per IP; on top of the profile budgets,
    the burst rule (``burst_limit`` lookups per ``burst_seconds``, same key as the budget), and
    the field behaviours of :class:`~sandbox.field_rules.FieldRules`.
    """

    def __init__(self, content: SandboxContent, clock: SandboxClock) -> None:
        cfg = content.cfg
        self.content = content
        self.clock = clock
        self.profile_limiter = SlidingWindowLimiter(cfg.budget, cfg.window_seconds, clock.now)
        self.session_limiter = SlidingWindowLimiter(
            cfg.session_budget, cfg.window_seconds, clock.now
        )
        self.page_limiter = SlidingWindowLimiter(
            cfg.page_budget, cfg.page_window_seconds, clock.now
        )
        self.refusals = RefusalPicker(cfg.seed, cfg.share_429)
        self.stats = RequestStats()
        self.faults = SandboxFaults()  # off until set (POST /_sandbox/faults)
        self.burst = BurstCounter(cfg.burst_limit, cfg.burst_seconds, clock.now)
        self.field = FieldRules(cfg, clock, self.faults.doors)
        # Route name -> its simulated modem, set by the world: the switch that unplugs one
        # (POST /_sandbox/routes/{name}) for a process that does not hold the world.
        self.modems: dict[str, Any] = {}

    def reset_limits(self) -> None:
        self.profile_limiter.reset()
        self.session_limiter.reset()
        self.page_limiter.reset()
        self.burst.reset()
        self.field.reset()


__all__ = ["InstagramState"]
