"""One event per profile partition of a ranged run, written as Dagster writes a range.

A ranged run's ``MaterializeResult`` materializes every partition of the range, so a profile
that was not found would show as a green partition (dagster-io/dagster#17836). ``raw_profile``
instead materializes only the partitions it stored and records an observation, with the
reason, for the ones it could not. Events logged one by one (``context.log_event``) cost
about 25 ms each on SQLite (six transactions); these are handed to the instance as one batch,
the way Dagster hands over a ranged output's materializations, so the batching storage
(``intrend_assets/lib/storage``) writes them in two transactions.

The asset still has to produce its output, or Dagster skips the steps after it in the run
(``posts`` in ``profiles_job``); :func:`output_without_materializations` is that output,
marked so that Dagster adds no materialization of the whole range for it.

**Tied to the pinned Dagster version (1.13.27)**, like the storage plugin: it uses the step
context behind the asset's context, ``DagsterEvent``'s constructors with batch metadata, and
the marker Dagster gives the outputs of observable source assets for the same purpose.
``tests/intrend_assets/test_partition_truth.py`` fails if that stops working.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.source_asset import SYSTEM_METADATA_KEY_SOURCE_ASSET_OBSERVATION
from dagster._core.events import DagsterEvent, DagsterEventBatchMetadata, generate_event_batch_id

PartitionEvent = dg.AssetMaterialization | dg.AssetObservation


def log_partition_events(
    context: dg.AssetExecutionContext | dg.OpExecutionContext, events: Sequence[PartitionEvent]
) -> None:
    """Store ``events`` as one batch and let them through to the run's event stream (the
    same two things ``context.log_event`` does for each event alone)."""
    op_context = (
        context.op_execution_context if isinstance(context, dg.AssetExecutionContext) else context
    )
    step = op_context._step_execution_context  # private: see the module docstring
    batch_id = generate_event_batch_id()
    last = len(events) - 1
    for index, event in enumerate(events):
        batch = DagsterEventBatchMetadata(batch_id, index == last)
        if isinstance(event, dg.AssetMaterialization):
            logged = DagsterEvent.asset_materialization(step, event, batch)
        else:
            logged = DagsterEvent.asset_observation(step, event, batch)
        op_context._events.append(logged)  # yielded with the step's events


def output_without_materializations() -> dg.MaterializeResult:
    """The asset's output, for the steps after it, without the materialization of every
    partition of the range Dagster adds to an output (the events above are the truth)."""
    return dg.MaterializeResult(metadata={SYSTEM_METADATA_KEY_SOURCE_ASSET_OBSERVATION: True})
