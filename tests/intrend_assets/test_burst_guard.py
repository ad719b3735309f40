"""The burst guard's learned spacing: bounded, and relaxing back after a quiet stretch, so a
few unlucky bursts do not slow the rest of a run (issue 15)."""

import asyncio

from intrend_assets.fetching.burst import BurstGuard

PAUSE = 0.01


def _burst(guard: BurstGuard, now: list[float], generation: int, size: int) -> None:
    """``size`` lookups answered within a pause, then a limit the pause clears (the probe
    answers): one burst seen."""

    async def go() -> None:
        for _ in range(size):
            guard.answered(generation, "web_profile_info")
        verdict = await guard.limited(generation, "web_profile_info", guard.epoch, 100.0)
        assert verdict == "probe"
        now[0] += PAUSE
        guard.answered(generation, "web_profile_info")

    asyncio.run(go())


def test_the_spacing_is_measured_from_the_burst() -> None:
    now = [0.0]
    guard = BurstGuard(PAUSE, clock=lambda: now[0])
    _burst(guard, now, 0, 6)
    assert guard.interval == PAUSE / 5


def test_repeated_bursts_widen_the_spacing_at_most_to_one_lookup_per_pause() -> None:
    now = [0.0]
    guard = BurstGuard(PAUSE, clock=lambda: now[0])
    for _ in range(20):
        _burst(guard, now, 0, 6)
    assert guard.interval <= PAUSE


def test_a_quiet_stretch_relaxes_the_spacing_back_to_the_measured_one() -> None:
    now = [0.0]
    guard = BurstGuard(PAUSE, clock=lambda: now[0])
    for _ in range(6):
        _burst(guard, now, 0, 6)
    widened = guard.interval
    assert widened > PAUSE / 5
    for _ in range(200):  # answered lookups without another burst
        now[0] += guard.interval
        guard.answered(0, "web_profile_info")
    assert guard.interval < widened
    assert guard.interval <= 1.05 * PAUSE / 5


def test_a_limit_sent_before_the_ip_changed_does_not_pause() -> None:
    """A refusal from the IP before the current one says nothing about the current IP's
    burst: it must not pause everyone (nor teach a spacing from an empty window)."""
    now = [0.0]
    guard = BurstGuard(PAUSE, clock=lambda: now[0])

    async def go() -> str:
        for _ in range(6):
            guard.answered(0, "web_profile_info")
        guard.answered(1, "web_profile_info")  # the gate rotated: generation 1 answers
        return await guard.limited(0, "web_profile_info", guard.epoch, 100.0)

    assert asyncio.run(go()) == "rotate"
    assert guard.pauses == 0


async def _paused() -> BurstGuard:
    """A guard that paused generation 0 after a burst of six: its probe is under way."""
    guard = BurstGuard(PAUSE, clock=lambda: 0.0)
    for _ in range(6):
        guard.answered(0, "web_profile_info")
    assert await guard.limited(0, "web_profile_info", guard.epoch, 100.0) == "probe"
    return guard


def test_a_probe_answered_on_a_new_ip_lets_the_others_go() -> None:
    """The IP changed while a pause's probe was under way (another request rotated it): the
    probe's question (burst, or the IP spent?) is moot. The lookups waiting for its verdict
    must go on, not wait for an answer on an IP that is gone (they waited for ever)."""

    async def go() -> None:
        guard = await _paused()
        guard.answered(1, "web_profile_info")  # the probe, sent after a rotation
        await asyncio.wait_for(guard.before_lookup(), timeout=1.0)

    asyncio.run(go())


def test_a_probe_refused_on_a_new_ip_lets_the_others_go() -> None:
    """The same when the probe, sent after a rotation, is refused on the new IP."""

    async def go() -> None:
        guard = await _paused()
        await guard.limited(1, "web_profile_info", guard.epoch, 100.0)  # the probe, refused
        await asyncio.wait_for(guard.before_lookup(), timeout=1.0)

    asyncio.run(go())
