"""intrend's Dagster code location and the plain Python it wires together.

Two halves, kept apart by import rules (import-linter, in CI):

- the Dagster layer: ``definitions.py`` (assembles the code location), ``defs/`` (assets,
  checks, jobs, schedules, sensors and resources, one sub-package per area) and ``lib/``
  (Dagster building blocks: the automation condition, ranged runs, the storage plugin);
- plain Python that never imports Dagster, one package per domain: ``instagram`` (the client
  and its fetch strategies), ``fetching`` (the fetch loop, pacing, modem rotation),
  ``raw_store`` (answers as they came, the load queue), ``tracking`` (which profiles, when
  due), ``parsing`` and ``hashtags`` (answers into rows), and ``settings`` (every default).
"""
