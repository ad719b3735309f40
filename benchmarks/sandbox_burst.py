"""Profile lookups one IP gets before the first refusal, by pacing, under the burst rule.

Run: ``python benchmarks/sandbox_burst.py`` from the project root. The sandbox clock is driven
by hand (``clock.advance``), so the sleeps cost no real time and the numbers are exact. It
shows what the burst rule is for: with it, pacing changes the count; without it (the old
limiter, a bare per-IP budget), every pacing gets the budget.
"""

from __future__ import annotations

import random

import httpx

from sandbox.gates import EGRESS_HEADER
from sandbox.world import SandboxConfig, start_sandbox

PACINGS: dict[str, object] = {
    "no sleep": lambda rng: 0.0,
    "fixed 1 s": lambda rng: 1.0,
    "fixed 2 s": lambda rng: 2.0,
    "jitter 0-3 s": lambda rng: rng.uniform(0.0, 3.0),
    "jitter 1-3 s": lambda rng: rng.uniform(1.0, 3.0),
}


def before_limit(world, ip: str, pause, tries: int = 500) -> int:
    rng = random.Random(1)
    names = world.public_usernames()
    url = world.instagram_url + "/api/v1/users/web_profile_info/"
    with httpx.Client(headers={EGRESS_HEADER: ip}, trust_env=False, timeout=10) as client:
        for n in range(tries):
            if client.get(url, params={"username": names[n % len(names)]}).status_code != 200:
                return n
            world.clock.advance(pause(rng))
    return tries


def main() -> None:
    rows = []
    limiters: tuple[tuple[str, dict[str, float]], ...] = (
        ("burst rule (6 per 10 s)", {"burst_limit": 6, "burst_seconds": 10.0}),
        ("bare budget", {}),
    )
    for label, extra in limiters:
        cfg = SandboxConfig(profiles=200, speed=0.001, budget=50, **extra)
        with start_sandbox(cfg) as world:
            for i, (name, pause) in enumerate(PACINGS.items()):
                ip = f"209.29.168.{10 + i}"
                rows.append((label, name, before_limit(world, ip, pause)))
    print(f"{'limiter':<26}{'pacing':<16}{'lookups before the first refusal':>34}")
    for label, name, count in rows:
        print(f"{label:<26}{name:<16}{count:>34}")


if __name__ == "__main__":
    main()
