"""The experiment's own job: it rotates the modem per pacing strategy, so it runs alone."""

import dagster as dg

rate_limit_experiment_job = dg.define_asset_job(
    "rate_limit_experiment_job",
    selection=["rate_limit_experiment"],
    description="Compare pacing strategies against the configured target's rate limit.",
)
