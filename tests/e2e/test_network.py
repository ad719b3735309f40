"""The network assets on the sandbox: the experiment sees the configured budget."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.definitions import ASSETS
from intrend_assets.defs.experiments.jobs import rate_limit_experiment_job
from sandbox.pipeline import sandbox_resources
from sandbox.world import SandboxConfig, start_sandbox
from warehouse.db import connect

pytestmark = pytest.mark.slow
BUDGET = 12


def test_experiment_fetch_stats_and_ip_ranges(tmp_path: Path) -> None:
    config = SandboxConfig(
        profiles=60, seed=21, budget=BUDGET, speed=200.0, unchanged_probability=0.0
    )
    with start_sandbox(config) as world, dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", world.public_usernames()[:40])
        _, resources = sandbox_resources(
            world.intrend_env(tmp_path),
            concurrency=1,
            max_connections=1,
        )
        run_config = {
            "ops": {
                "rate_limit_experiment": {
                    "config": {
                        "sample_size": 40,
                        "strategies": ["no-sleep", "jittered-sleep", "fixed-sleep-no-rotation"],
                        "pacing_seconds": 0.001,
                        "max_seconds_per_strategy": 20.0,
                    }
                }
            }
        }
        # Only its job runs the experiment (the asset is not materializable on its own).
        result = rate_limit_experiment_job.execute_in_process(
            run_config=run_config, instance=instance, resources=resources
        )
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey("rate_limit_experiment"))
        assert event is not None and event.asset_materialization is not None
        reported = event.asset_materialization.metadata
        assert reported["dagster/row_count"].value == 3  # one row per pacing
        assert "comparison" in reported and "dagster/column_schema" in reported
        result = dg.materialize(
            ASSETS,
            selection=["ip_log", "fetch_stats", "ip_ranges"],
            resources=resources,
            instance=instance,
        )
        assert result.success

    con = connect(tmp_path / "warehouse.duckdb", read_only=True)
    try:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "select strategy, median_requests_before_limit, stored, rotations,"
                " profiles_per_hour from rate_limit_experiment"
            ).fetchall()
        }
        history = con.execute(
            "select count(*), count(distinct run_id) from rate_limit_experiment_history"
        ).fetchone()
        blocks = con.execute("select count(*) from ip_ranges").fetchone()[0]
        strategies = con.execute("select count(*) from fetch_stats").fetchone()[0]
    finally:
        con.close()
    # Sequential requests on a fresh IP get exactly the budget before the first refusal.
    assert rows["no-sleep"][0] == BUDGET
    assert rows["no-sleep"][1] == 40 and rows["no-sleep"][2] >= 40 // BUDGET
    # Without rotation the run waits the window out: far fewer profiles per hour.
    assert rows["fixed-sleep-no-rotation"][2] == 0
    assert rows["no-sleep"][3] > 2 * rows["fixed-sleep-no-rotation"][3]
    assert blocks >= 2 and strategies >= 3
    assert history == (3, 1)  # one row per pacing of the run
