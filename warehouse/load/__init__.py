"""Idempotent, columnar loads into the warehouse, one module per family of tables.

- :mod:`.posts`: parsed answers (frames of :mod:`warehouse.contract`) into the normalized
  post and profile tables;
- :mod:`.daily` and :mod:`.wide`: the tables derived from those (``hashtag_daily``,
  ``posts_wide``), refreshed from what changed;
- :mod:`.changes`: what the load marks as changed and what each refresh wrote;
- :mod:`.network`: the request log and the modem's IP log;
- :mod:`.experiments`: the rate-limit experiments' history, one row per pacing per run;
- :mod:`.transaction`: the one transaction every load runs in.

Callers import from here; the modules are the places to read and change.
"""

from warehouse.load.changes import mark_changed, mark_posts_wide_stale, record_refresh
from warehouse.load.daily import rebuild_hashtag_daily, refresh_hashtag_daily
from warehouse.load.experiments import experiment_history_frame, load_experiment_history
from warehouse.load.network import (
    BatchLoadStats,
    fetch_log_frame,
    file_batches,
    load_fetch_log,
    load_fetch_log_batches,
    load_ip_log,
)
from warehouse.load.posts import LoadStats, load_frames, load_parsed, posts_frame, profiles_frame
from warehouse.load.transaction import transaction
from warehouse.load.wide import (
    rebuild_posts_wide,
    refresh_posts_wide,
    upsert_posts_wide,
)

__all__ = [
    "BatchLoadStats",
    "LoadStats",
    "experiment_history_frame",
    "fetch_log_frame",
    "file_batches",
    "load_experiment_history",
    "load_fetch_log",
    "load_fetch_log_batches",
    "load_frames",
    "load_ip_log",
    "load_parsed",
    "mark_changed",
    "mark_posts_wide_stale",
    "posts_frame",
    "profiles_frame",
    "rebuild_hashtag_daily",
    "rebuild_posts_wide",
    "record_refresh",
    "refresh_hashtag_daily",
    "refresh_posts_wide",
    "transaction",
    "upsert_posts_wide",
]
