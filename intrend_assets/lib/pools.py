"""Say so when a step runs in an instance that does not limit its pool.

The pools (``instagram``: one run at a time rotates the modem; ``warehouse``: one DuckDB
writer) are instance configuration, so an instance pointed at another ``DAGSTER_HOME`` whose
``dagster.yaml`` lacks them runs every step unlimited: two runs rotating the modem at once,
two writers failing on DuckDB's lock. That cannot be prevented from code; it is reported, in
the step's log, where the person watching the run sees it.
"""

import dagster as dg


def unlimited_pool_warning(instance: dg.DagsterInstance, pool: str) -> str | None:
    """A warning naming the pool when ``instance`` sets no limit for it, else None."""
    if instance.get_concurrency_config().pool_config.default_pool_limit is not None:
        return None
    if any(limit.name == pool for limit in instance.event_log_storage.get_pool_limits()):
        return None
    return (
        f"pool {pool!r} has no limit in this Dagster instance (its dagster.yaml has no "
        "`concurrency: pools:`): runs are not kept apart. Use the project's dagster.yaml "
        f"(intrend serve does) or run `dagster instance concurrency set {pool} 1`."
    )


def warn_if_unlimited(context: dg.AssetExecutionContext, pool: str) -> None:
    warning = unlimited_pool_warning(context.instance, pool)
    if warning is not None:
        context.log.warning(warning)
