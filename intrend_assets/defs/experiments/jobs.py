"""The experiment's own job: it rotates the modem per pacing strategy, so it runs alone.

A job of ops rather than an asset job: ``rate_limit_experiment`` is a spec Dagster
cannot materialize, which keeps it out of the UI's "Materialize all".
"""

import dagster as dg

from intrend_assets.defs.experiments.assets import (
    load_rate_limit_experiment,
    run_rate_limit_experiment,
)


@dg.job(description="Compare pacing strategies against the configured target's rate limit.")
def rate_limit_experiment_job() -> None:
    load_rate_limit_experiment(run_rate_limit_experiment())
