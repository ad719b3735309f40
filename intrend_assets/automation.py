"""How assets downstream of the fetch bring themselves up to date (declarative automation).

Chosen over a chain of sensors because Dagster then knows why each run happened and shows
it in the UI. ``eager`` alone would wait for every upstream partition to exist, and a
profile just added but not yet fetched would hold the whole warehouse back: missing
upstream partitions are allowed.
"""

import dagster as dg

from intrend_assets.settings import default_sensor_status

follow_upstream = (
    dg.AutomationCondition.eager()
    .without(~dg.AutomationCondition.any_deps_missing())
    .with_label("eager_allow_missing")
)

automation_sensor = dg.AutomationConditionSensorDefinition(
    "warehouse_automation_sensor",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=60,
    default_status=default_sensor_status(),
    description="Brings posts, hashtag counts, posts_wide and the reports up to date after "
    "profiles are fetched.",
)
