"""Dagster building blocks of this project, not tied to one area: the automation condition
(``automation``), ranged runs over many partitions (``ranged_runs``), metadata formatting
(``metadata``) and the batching instance storage plugin (``storage``)."""
