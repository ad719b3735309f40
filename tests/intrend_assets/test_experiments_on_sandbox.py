"""The experiment's pacings on the sandbox's burst rule: pacing makes a measurable difference.

Budget 20 lookups per IP per window; burst rule: more than 5 lookups within 10 sandbox
seconds are refused. At speed 20, a fixed 0.15 s sleep (3 sandbox seconds) stays under the
burst rule, no sleep does not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from intrend_assets.fetching.experiments import PACINGS, run_pacing, summarize
from sandbox.pipeline import sandbox_resources
from sandbox.world import SandboxConfig, start_sandbox

pytestmark = pytest.mark.slow
BUDGET, BURST = 20, 5


def _rows(tmp_path: Path, names: list[str], concurrency: int) -> dict[str, dict[str, object]]:
    config = SandboxConfig(
        profiles=60,
        seed=21,
        budget=BUDGET,
        speed=20.0,
        unchanged_probability=0.0,
        rotation_seconds=1.0,
        burst_limit=BURST,
        burst_seconds=10.0,
    )
    rows = {}
    with start_sandbox(config) as world:
        _, resources = sandbox_resources(
            world.intrend_env(tmp_path), concurrency=concurrency, max_connections=concurrency
        )
        sample = world.public_usernames()[:30]
        for name in names:
            report = asyncio.run(
                run_pacing(
                    PACINGS[name],
                    sample,
                    resources["instagram"],
                    resources["modem"],
                    tmp_path / name,
                    pacing_seconds=0.15,
                    run_id="sandbox",
                    stop_after=30.0,
                )
            )
            rows[name] = summarize(PACINGS[name], report, len(sample), run_id="sandbox")
        assert world.field_stats()["burst_refused"] > 0
    return rows


def test_sleeping_gets_more_lookups_before_the_burst_rule(tmp_path: Path) -> None:
    rows = _rows(tmp_path, ["no-sleep", "fixed-sleep"], concurrency=1)
    assert rows["no-sleep"]["median_requests_before_limit"] == BURST
    assert rows["fixed-sleep"]["median_requests_before_limit"] == BUDGET
    assert rows["no-sleep"]["rotations"] > rows["fixed-sleep"]["rotations"]
    assert all(row["stored"] == 30 for row in rows.values())


def test_paging_pacings_page_every_profile(tmp_path: Path) -> None:
    rows = _rows(tmp_path, ["pages-together", "pages-interleaved"], concurrency=4)
    for row in rows.values():
        assert row["stored"] == 30 and row["failed"] == 0
        assert row["page_requests"] >= 30  # every profile paged past its first 12 posts
        assert row["median_lookups_before_limit"] is not None
