"""Refresh lookups on the sandbox (issue 15): a refresh run looks up the due profiles, only.

Profile lookups are what Instagram limits, so a refresh that looks up more than the due
profiles spends the IP budget on nothing. For each case, N partitions are tracked, D of them
due and scattered through the partition order (a fixed seed); the others were fetched an hour
ago. ``new_posts_sensor`` ticks once, as the daemon would, and its run requests are
materialized as the daemon would launch them (``raw_profile`` on the deployment's resources,
through the sandbox's proxy and modem). Printed per case:

- runs the tick requested, and the profiles they span (ranges of at most 500 partitions);
- lookups: profile lookups the sandbox answered (counted by the sandbox, whatever the
  strategy; refused ones included) against the due count (target: lookups per due = 1.00
  with an IP budget above D, so no refusal is retried);
- skipped: partitions in the runs' ranges that were not due (``skipped_not_due``);
- refetched: profiles with a second stored fetch (must equal the due set, exactly).

The stored fetches are placeholders written straight into the raw store (their age is what
makes a profile due); only ``raw_profile`` runs, so they are never parsed.

Run:  .venv/bin/python benchmarks/refresh.py
      .venv/bin/python benchmarks/refresh.py --partitions 2000 --due 20 --due 200 --due 1000
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import httpx

warnings.filterwarnings("ignore", category=dg.BetaWarning)

from intrend_assets.defs.profiles.assets import raw_profile  # noqa: E402
from intrend_assets.defs.profiles.sensors import profile_sensors  # noqa: E402
from intrend_assets.lib.instance import instance_yaml  # noqa: E402
from intrend_assets.lib.storage import EVENT_BATCH_SIZE  # noqa: E402
from intrend_assets.raw_store.store import LocalRawStore  # noqa: E402
from sandbox.pipeline import intrend_env, sandbox_resources  # noqa: E402
from sandbox.process import sandbox_process  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _lookups(instagram_url: str) -> int:
    """Profile lookups the sandbox has answered so far (every strategy, refusals too)."""
    stats = httpx.get(f"{instagram_url}/_sandbox/stats", timeout=10).json()
    return int(stats["total"]["profile"])


def _case(info: dict[str, Any], names: list[str], due: set[str], tmp: Path) -> dict[str, Any]:
    """One tick of the sensor over ``names`` with ``due`` due, its runs materialized."""
    home = tmp / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml(ROOT))
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    settings, resources = sandbox_resources(
        intrend_env(info, info["modem_token"], tmp / "data"), profiles_file=tmp / "profiles.txt"
    )
    store = LocalRawStore(settings.resolved_raw_dir())
    now = datetime.now(UTC)
    for name in names:
        store.put(name, now - (timedelta(days=2) if name in due else timedelta(hours=1)), b"{}")
    _, new_posts_sensor, _ = profile_sensors(dg.DefaultSensorStatus.RUNNING)
    started = time.perf_counter()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("profiles", names)
        # Each case starts with a fresh IP budget, so an earlier case's lookups never refuse
        # (and retry) this one's.
        httpx.post(f"{info['instagram_url']}/_sandbox/reset-limits", timeout=10)
        before = _lookups(info["instagram_url"])
        tick = new_posts_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        requests = tick.run_requests if isinstance(tick, dg.SensorResult) else []
        spanned = skipped = failed = 0
        for request in requests or []:
            result = dg.materialize(
                [raw_profile],
                resources=resources,
                instance=instance,
                tags=request.tags,
                run_config={**request.run_config, **QUIET},
            )
            event = result.asset_materializations_for_node("raw_profile")[0].metadata
            spanned += int(event["partitions"].value)
            skipped += int(event["skipped_not_due"].value)
            failed += int(event["failed"].value)
        lookups = _lookups(info["instagram_url"]) - before
    refetched = {n for n in names if len(store.objects(n)) == 2}
    return {
        "runs": len(requests or []),
        "spanned": spanned,
        "lookups": lookups,
        "skipped": skipped,
        "failed": failed,
        "exact": refetched == due,
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partitions", type=int, default=1000)
    parser.add_argument(
        "--due", type=int, action="append", help="due profiles per case (default 10, 100, 500)"
    )
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    cases = args.due or [10, 100, 500]
    if max(cases) > args.partitions:
        parser.error("--due cannot exceed --partitions")
    print(f"{'partitions':>10} {'due':>5} {'runs':>4} {'spanned':>7} {'lookups':>7} "
          f"{'lk/due':>6} {'skipped':>7} {'failed':>6} {'exact':>5} {'wall s':>6}")  # fmt: skip
    ok = True
    with sandbox_process(
        f"--profiles={args.partitions * 11 // 10 + 20}",
        # A budget above every case, so a lookup is never refused and retried: the figure
        # is the sensor's and raw_profile's choice of profiles, not the rate limit's.
        f"--budget={max(cases) + 50}",
        "--private-share=0",
        "--missing-share=0",
    ) as info:
        public = info["truth"]["public_usernames"]
        if len(public) < args.partitions:
            raise SystemExit(f"the sandbox made only {len(public)} public profiles")
        names = sorted(public[: args.partitions])
        for count in cases:
            due = set(random.Random(args.seed).sample(names, count))
            with tempfile.TemporaryDirectory(prefix="intrend-refresh-") as tmp:
                row = _case(info, names, due, Path(tmp))
            ok = ok and row["exact"] and row["lookups"] == count
            print(
                f"{args.partitions:>10} {count:>5} {row['runs']:>4} {row['spanned']:>7} "
                f"{row['lookups']:>7} {row['lookups'] / count:>6.2f} {row['skipped']:>7} "
                f"{row['failed']:>6} {'yes' if row['exact'] else 'NO':>5} {row['seconds']:>6.1f}"
            )
    print("lookups per refresh = due profiles" if ok else "MISSED: lookups differ from due")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
