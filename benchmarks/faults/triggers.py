"""Faults injected mid-run: watchers on the fake Instagram's counters, and the arms of rows
1, 4 and 11."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# --- triggering faults mid-run ------------------------------------------------------------


def when_seen(
    world: Any,
    ready: Callable[[dict[str, int]], bool],
    action: Callable[[], None],
    timeout: float = 120.0,
) -> threading.Thread:
    """Run ``action`` once the fake Instagram's request totals satisfy ``ready`` (bounded)."""

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready(world.stats()["total"]):
                break
            time.sleep(0.005)
        action()

    thread = threading.Thread(target=watch, name="fault-trigger", daemon=True)
    thread.start()
    return thread


def when_requests(world: Any, count: int, action: Callable[[], None]) -> threading.Thread:
    return when_seen(world, lambda total: total["total"] >= count, action)


def when_rate_limited(world: Any, action: Callable[[], None]) -> threading.Thread:
    """At the first rate-limit answer: the moment the fetcher needs the modem."""
    return when_seen(world, lambda total: total["401"] + total["429"] > 0, action)


def for_a_while(seconds: float, on: Callable[[], None], off: Callable[[], None]) -> None:
    on()
    timer = threading.Timer(seconds, off)
    timer.daemon = True
    timer.start()


def modem_down(world: Any, names: list[str]) -> None:
    def on() -> None:
        world.modem.down = True  # unplugged: no egress, /rotate and /ip answer 503
        world.faults.set(refuse_modem_seconds=3.0)  # and the service refuses connections

    def off() -> None:
        world.modem.down = False

    when_rate_limited(world, lambda: for_a_while(3.0, on, off))


def proxy_refusing(world: Any, names: list[str]) -> None:
    when_requests(world, len(names) // 3, lambda: world.faults.set(refuse_proxy_seconds=2.0))


def private_and_deleted(world: Any, names: list[str]) -> None:
    known = [n for n in names if n in set(world.usernames())]
    world.faults.set(private=known[1::10], deleted=known[2::10])
