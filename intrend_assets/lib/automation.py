"""How assets downstream of the fetch bring themselves up to date (declarative automation).

Chosen over a chain of sensors because Dagster then knows why each run happened and shows
it in the UI.

The condition is Dagster's ``eager`` with two changes:

- A profile just added but not yet fetched must not hold the warehouse back, so missing
  upstream partitions are allowed (``eager`` waits for every upstream partition to exist).
- An upstream update is ordered against the asset's own update and request by their
  times. ``eager`` resets its "a dependency updated" state whenever the asset itself
  updated since the previous tick, whichever came first: if the warehouse run one tick
  asked for finishes and a fetch run then loads more posts before the next tick, those
  posts would stay out of the warehouse until posts change again (hours, on a quiet day).
  Dagster orders the two only where each side is a single timed condition (an ``or`` of
  conditions carries no times), so the condition is two ``since`` states: a dependency
  updated after the asset's latest update, and after its latest request (so a failed run
  waits for the next change instead of being retried on every tick).
"""

import dagster as dg

AC = dg.AutomationCondition

# A dependency updated after the asset's own latest update, and after its latest request.
# Two states, each a ``since`` of single timed events, so that Dagster compares their times
# (a later dependency update wins over an earlier own update or request).
_deps_updated = AC.any_deps_match(AC.newly_updated())
deps_updated_since_handled = (
    _deps_updated.since(AC.newly_updated()) & _deps_updated.since(AC.newly_requested())
).with_label("deps_updated_since_handled")

follow_upstream = (
    AC.in_latest_time_window()
    & (
        AC.newly_missing().since_last_handled()
        | deps_updated_since_handled
        # a dependency requested on this tick: run in the same run, after it
        | AC.any_deps_match(AC.will_be_requested())
    )
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
).with_label("eager_ordered_allow_missing")


def automation_sensor(status: dg.DefaultSensorStatus) -> dg.AutomationConditionSensorDefinition:
    """The sensor that evaluates ``follow_upstream``, starting with ``status``."""
    return dg.AutomationConditionSensorDefinition(
        "warehouse_automation_sensor",
        target=dg.AssetSelection.all(),
        minimum_interval_seconds=60,
        default_status=status,
        description="Brings posts, hashtag counts, posts_wide and the reports up to date after "
        "profiles are fetched.",
    )
