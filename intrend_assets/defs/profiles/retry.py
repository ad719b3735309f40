"""``retry_failed_profiles_job``: fetch again, in one click, the profiles whose last fetch failed.

Dagster cannot mark one partition of a ranged run failed (dagster-io/dagster#17836), so a
failed profile is not in the asset's "Failed" partitions and "backfill failed and missing"
finds it only if it was never stored. This job needs no partition: it takes the profiles
whose latest fetch failed (the failure records the observations on their partitions came
from), fetches only those, and reports each on its ``raw_profile`` partition as a fetch run
does (materialization when stored, observation with the reason when not). ``posts`` follows
by automation.
"""

from collections.abc import Sequence

import dagster as dg

from intrend_assets.defs.profiles.assets import fetch_and_report
from intrend_assets.defs.profiles.outcomes import name_problem
from intrend_assets.defs.profiles.partitions import profiles_partitions
from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.modem_client import ModemEndpoint
from intrend_assets.lib.pools import warn_if_unlimited
from intrend_assets.lib.ranged_runs import MAX_PROFILES_PER_RUN
from intrend_assets.lib.redacted_logs import redacted_step
from intrend_assets.raw_store.store import RawStore


class RetrySelection(dg.Config):
    """``include_parked``: also the profiles parked after failing for good (not found three
    times in a row); ``limit``: at most this many per run (run it again for the rest)."""

    include_parked: bool = False
    limit: int = MAX_PROFILES_PER_RUN


def failed_profiles(
    order: Sequence[str], store: RawStore, *, include_parked: bool = False
) -> list[str]:
    """Partitions whose latest fetch failed, in partition order. Invalid names are left out:
    no fetch can fix them (their partition says so)."""
    recorded = {str(record.get("username")) for record in store.failures()}
    failing = []
    for name in (key for key in order if key in recorded and name_problem(key) is None):
        cadence = store.cadence(name)
        if cadence.failing and (include_parked or not cadence.parked):
            failing.append(name)
    return failing


@dg.op(pool="instagram", tags={"kind": "retry"})
@redacted_step
def retry_failed_profiles(
    context: dg.OpExecutionContext,
    config: RetrySelection,
    instagram: dg.ResourceParam[InstagramAccess],
    modem: dg.ResourceParam[ModemEndpoint],
    raw_store: dg.ResourceParam[RawStore],
) -> None:
    """Fetch the failed profiles again and report each on its ``raw_profile`` partition."""
    warn_if_unlimited(context, "instagram")
    order = context.instance.get_dynamic_partitions(profiles_partitions.name)
    failed = failed_profiles(order, raw_store, include_parked=config.include_parked)
    keys = failed[: max(0, config.limit)]
    if not keys:
        context.log.info("no failed profile to retry")
        return
    run: dict[str, object] = {"profiles": len(keys), "failed_before": len(failed)}
    fetch_and_report(context, keys, instagram, modem, raw_store, run)
    context.log.info(f"retried {len(keys)} of {len(failed)} failed profiles: {run}")


@dg.job(
    description=(
        "Fetch again the profiles whose latest fetch failed (not found, walled, refused, gave "
        "up), and only those; parked ones with include_parked."
    ),
    tags={"intrend/refresh": "retry"},
)
def retry_failed_profiles_job() -> None:
    retry_failed_profiles()
