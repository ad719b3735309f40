"""Interleaved paging: page requests take turns across the profiles being paged."""

from __future__ import annotations

import asyncio
from typing import Any

from intrend_assets.fetching.run import FetchRun
from tests import defaults


def _pages(paging: str, session: bool = False) -> list[str]:
    """Three profiles paged three pages each; the order the pages were sent in."""

    async def go() -> list[str]:
        run: Any = FetchRun(None, None, None, defaults.policy(paging=paging), None)  # type: ignore[arg-type]
        sent: list[str] = []

        async def profile(name: str) -> None:
            for _ in range(3):
                async with run.page_turn(session):
                    sent.append(name)
                    await asyncio.sleep(0.001 if name == "a" else 0)  # "a" answers slowest

        await asyncio.gather(*(profile(n) for n in "abc"))
        return sent

    return asyncio.run(go())


def test_interleaved_pages_go_round_robin() -> None:
    assert _pages("interleaved") == list("abcabcabc")


def test_together_pages_do_not_wait_for_other_profiles() -> None:
    # Without turns the quick profiles page straight through while "a" waits for its answer.
    assert _pages("together") != list("abcabcabc")
    assert _pages("together")[-1] == "a"


def test_session_pages_skip_the_turn() -> None:
    assert _pages("interleaved", session=True)[-1] == "a"
