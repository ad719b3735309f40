"""One dynamic partition per tracked profile."""

import dagster as dg

from intrend_assets.lib.ranged_runs import MAX_PROFILES_PER_RUN

profiles_partitions = dg.DynamicPartitionsDefinition(name="profiles")

# Backfills over many profiles run as few runs: each run takes a bounded slice of partitions
# and fetches them concurrently through one pooled client.
profiles_backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_PROFILES_PER_RUN)
