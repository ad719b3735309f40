"""The Celery executor of ``INTREND_EXECUTOR=celery``: steps go to dagster-celery workers.

The run worker walks the run's steps, claims each step's pool slot in the instance (the
``instagram`` and ``warehouse`` pools apply as with any executor: the claim is made before a
step is handed to Celery) and sends the step to the broker; a worker executes it in its own
process against the same instance and data folder.

The broker URL carries the broker's password, so it comes from the environment only
(``DAGSTER_CELERY_BROKER_URL``, the name deploy/celery/ uses). Results come back through the
broker itself (``rpc://``): dagster-celery needs no other result backend, so no Redis.
The workers are started with the same block (deploy/celery/worker.yaml; a test keeps the two
equal), because a worker that listens on another broker never sees the steps.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

BROKER_URL_VARIABLE = "DAGSTER_CELERY_BROKER_URL"

CELERY_EXECUTOR_CONFIG: dict[str, Any] = {
    "broker": {"env": BROKER_URL_VARIABLE},
    "backend": "rpc://",
}


def celery_executor() -> dg.ExecutorDefinition:
    """dagster-celery's executor with :data:`CELERY_EXECUTOR_CONFIG`; the variable is read
    when a run starts, so the code location loads without it."""
    from dagster_celery import celery_executor as executor

    return executor.configured(CELERY_EXECUTOR_CONFIG, name="celery")
