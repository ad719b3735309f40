"""How fresh each asset is expected to be, and the code version every asset starts at.

The warehouse is rebuilt every morning (``daily_warehouse_rebuild``, 05:00 UTC, after the
03:00 refresh) and follows every fetch in between, so its tables warn when their latest
materialization is a day and an hour old (one missed rebuild) and fail past 30 hours. The
rate-limit experiment runs weekly. Dagster's freshness daemon (on by default) evaluates
these; the UI shows each asset's state and the Catalog filters on it.

``CODE_VERSION``: Dagster marks an asset "unsynced" when its code version differs from the
one its latest materialization ran with. Bump an asset's own version when a change to it
means its table should be rebuilt (a new column, a changed definition), not for a refactor.
"""

from datetime import timedelta

import dagster as dg

DAILY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=30), warn_window=timedelta(hours=25)
)
WEEKLY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=8), warn_window=timedelta(days=7, hours=6)
)
CODE_VERSION = "1"
