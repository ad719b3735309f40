"""Orchestration figures on the sandbox (issue 6).

1. A backfill of N profiles (default 1,000): how many runs the backfill policy makes of it,
   and Dagster's overhead: the share of wall time not spent fetching and parsing (target
   <= 20%). Fetch and parse times are the assets' own measurements (their ``seconds``
   metadata); everything else in the runs' wall time is Dagster's.
2. The incremental cost: with N loaded, 10 new profiles in the tracked file; the tracked
   profiles sensor adds and fetches them, declarative automation (evaluated with
   ``dg.evaluate_automation_conditions``) brings the warehouse up to date. Target <= 5% of
   the full run's time, fetching only the new partitions and updating posts_wide, not
   rebuilding it. Measured twice: right after the backfill, and for a second batch of new
   profiles after the first. They differ in the modem: with N a multiple of the sandbox's
   50 lookups per IP, the backfill ends on an IP that has used its whole budget (the
   window is 600 sandbox seconds), so the first batch starts with a rotation, and at field
   speed the seeded sandbox modem's next IP is one the backfill spent minutes before, so a
   second. The second batch starts on the IP the first left with 40 lookups to spare.
   Both are real situations; the time spent waiting on the modem is printed apart.

Each run is launched as the backfill daemon or the sensor would launch it (ranged runs of
at most 500 profiles), in this process, on a SQLite Dagster instance in a temporary folder;
the sandbox runs in its own process. The instance is set up as ``intrend`` sets it up:
the project's instance config in DAGSTER_HOME, and DAGSTER_EVENT_BATCH_SIZE set (unless it is
already in the environment: ``DAGSTER_EVENT_BATCH_SIZE=0`` measures Dagster's one-event-at-a-
time writes).

3. With ``--metrics-overhead REPS``: what the Prometheus metrics cost a backfill (issue 19,
   target <= 2%). REPS backfills with ``--metrics on`` (a Pushgateway on loopback, every
   ``raw_profile`` and ``posts`` step pushing to it) and REPS with ``--metrics off``,
   interleaved (off, on, off, on, ...), each in its own process with its own sandbox: the
   medians of their wall times and the ratio. Each "on" run also times the metrics code
   itself (building the step's metrics and the push), a figure the machine's noise does not
   blur.

Run:  .venv/bin/python benchmarks/backfill.py --profiles 1000
      .venv/bin/python benchmarks/backfill.py --profiles 1000 --metrics-overhead 3
      .venv/bin/python benchmarks/backfill.py --profiles 1000 --speed 1 --rotation-seconds 15
      (field time: a 15 s redial per rotation; the full run then takes about 5 minutes)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)

from intrend_assets.definitions import ASSETS, build_defs  # noqa: E402
from intrend_assets.defs.profiles.jobs import PROFILE_ASSETS  # noqa: E402
from intrend_assets.defs.profiles.sensors import profile_sensors  # noqa: E402
from intrend_assets.defs.warehouse.checks import ASSET_CHECKS  # noqa: E402
from intrend_assets.lib.instance import instance_yaml, storage_choice  # noqa: E402
from intrend_assets.lib.metrics_push import MetricsGateway  # noqa: E402
from intrend_assets.lib.ranged_runs import MAX_PROFILES_PER_RUN, range_run_requests  # noqa: E402
from intrend_assets.lib.storage import EVENT_BATCH_SIZE  # noqa: E402
from sandbox.pipeline import intrend_env, sandbox_resources  # noqa: E402
from sandbox.process import sandbox_process  # noqa: E402
from sandbox.prometheus import running_pushgateway  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
UNPARTITIONED = {
    "posts",
    "hashtag_daily",
    "posts_wide",
    "trend_report",
    "fetch_log",
    "fetch_stats",
}


class TimedGateway(MetricsGateway):
    """The Pushgateway resource, adding up the seconds its pushes take (metrics built and
    sent): the metrics' own cost, apart from the noise of the run around them."""

    seconds: float = 0.0

    def push_fetch(self, report, warn):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().push_fetch(report, warn)
        finally:
            TimedGateway.seconds += time.perf_counter() - started

    def push_load(self, report, seconds, warn):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().push_load(report, seconds, warn)
        finally:
            TimedGateway.seconds += time.perf_counter() - started


def _run_metadata(result: dg.ExecuteInProcessResult, asset: str, key: str = "seconds") -> float:
    """A run-level number an asset records (``seconds``, ``rotations``): a ranged run gives
    every partition the same metadata, so it is read once per run."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.to_user_string() == asset:
            value = materialization.metadata.get(key)
            return float(value.value) if value is not None else 0.0
    return 0.0


def _fetch_run(request: dg.RunRequest, resources, instance) -> dg.ExecuteInProcessResult:
    """One run of the profile assets as the backfill daemon or a sensor would launch it."""
    return dg.materialize(
        ASSETS,
        selection=PROFILE_ASSETS,
        resources=resources,
        instance=instance,
        run_config=QUIET,
        tags=request.tags,
    )


def _run_ranges(keys, resources, instance) -> tuple[int, float, float, float, int]:
    """Launch ranged runs over ``keys``; return (runs, wall, fetch seconds, parse seconds,
    modem rotations)."""
    runs = rotations = 0
    wall = fetch = parse = 0.0
    for request in range_run_requests(keys):
        started = time.perf_counter()
        result = _fetch_run(request, resources, instance)
        wall += time.perf_counter() - started
        assert result.success
        runs += 1
        fetch += _run_metadata(result, "raw_profile")
        parse += _run_metadata(result, "posts")
        rotations += int(_run_metadata(result, "raw_profile", "rotations"))
    return runs, wall, fetch, parse, rotations


def _step_seconds(result: dg.ExecuteInProcessResult) -> str:
    """Each step's own duration in a run, as Dagster measured it: where a run's time went."""
    parts = [
        f"{event.step_key} {event.event_specific_data.duration_ms / 1000:.2f}"
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_SUCCESS
    ]
    return ", ".join(parts)


def _automation(defs, instance, cursor, resources) -> tuple[float, float, list[str], object]:
    """Evaluate declarative automation and run what it requests.

    Returns (evaluation seconds, run seconds, requested assets, cursor).
    """
    started = time.perf_counter()
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    requested = [a.key.to_user_string() for a in ASSETS if evaluation.get_num_requested(a.key)]
    evaluated = time.perf_counter() - started
    started = time.perf_counter()
    unpartitioned = [a for a in requested if a in UNPARTITIONED]
    if unpartitioned:
        result = dg.materialize(
            [*ASSETS, *ASSET_CHECKS],
            selection=unpartitioned,
            resources=resources,
            instance=instance,
            run_config=QUIET,
        )
        assert result.success
        print(f"  automation run    steps (s): {_step_seconds(result)}")
    return evaluated, time.perf_counter() - started, requested, evaluation.cursor


def _incremental(
    instance: dg.DagsterInstance, defs: dg.Definitions, cursor: object, resources: dict
) -> tuple[dict[str, object], object]:
    """One update as the deployment makes it: the tracked-profiles sensor adds the new
    profiles and requests their run; then declarative automation brings the rest up to date.

    Returns the figures and the automation cursor.
    """
    started = time.perf_counter()
    tracked_profiles_sensor = profile_sensors(dg.DefaultSensorStatus.RUNNING)[0]
    tick = tracked_profiles_sensor(dg.build_sensor_context(instance=instance, resources=resources))
    assert isinstance(tick, dg.SensorResult)
    for request in tick.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions("profiles", list(request.partition_keys))
    sensor_s = time.perf_counter() - started
    fetched = rotations = 0
    modem_s = 0.0
    for request in tick.run_requests or []:
        result = _fetch_run(request, resources, instance)
        assert result.success
        rotations += int(_run_metadata(result, "raw_profile", "rotations"))
        modem_s += _run_metadata(result, "raw_profile", "rotation_seconds")
        fetched += len(
            {
                e.partition
                for e in result.get_asset_materialization_events()
                if e.asset_key and e.asset_key.to_user_string() == "raw_profile"
            }
        )
    fetch_s = time.perf_counter() - started - sensor_s
    eval_s, auto_s, requested, cursor = _automation(defs, instance, cursor, resources)
    figures = {
        "seconds": time.perf_counter() - started,
        "sensor": sensor_s,
        "fetch": fetch_s,
        "evaluation": eval_s,
        "downstream": auto_s,
        "fetched": fetched,
        "requested": requested,
        "rotations": rotations,
        "modem": modem_s,
    }
    return figures, cursor


def _print_incremental(label: str, new: int, f: dict, full: float) -> None:
    seconds = float(f["seconds"])
    print(
        f"incremental         {label}: {new} new profiles, {f['fetched']} partitions fetched, "
        f"automation requested {', '.join(f['requested']) or 'nothing'}"  # type: ignore[arg-type]
    )
    print(
        f"  incremental cost  {seconds:.1f} s = {seconds / full:.1%} of the full run (target <= 5%)"
    )
    print(
        f"  of which          sensor tick {f['sensor']:.1f} s, fetch run {f['fetch']:.1f} s "
        f"(waiting for {f['rotations']} modem rotations {f['modem']:.1f} s), automation "
        f"evaluation {f['evaluation']:.1f} s, downstream run {f['downstream']:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="sandbox seconds per real second (default 60: rotations and rate-limit windows "
        "pass 60 times faster than on a real modem; 1 keeps field time)",
    )
    parser.add_argument(
        "--rotation-seconds",
        type=float,
        default=2.0,
        help="how long a modem reconnect takes, in sandbox seconds (default 2, the quickest "
        "seen in the field; a redial takes 10-30 s)",
    )
    parser.add_argument(
        "--profile-incremental",
        type=Path,
        metavar="FILE",
        help="write cProfile stats of each incremental update to FILE.after and FILE.second "
        "(read them with `python -m pstats FILE.after`): where their fixed cost goes",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="Dagster storage on a throwaway local PostgreSQL 15 instead of SQLite",
    )
    parser.add_argument(
        "--metrics",
        choices=("off", "on"),
        default="off",
        help="on: start a Pushgateway on loopback and push every step's metrics to it",
    )
    parser.add_argument(
        "--backfill-only", action="store_true", help="stop after the backfill (part 1)"
    )
    parser.add_argument(
        "--metrics-overhead",
        type=int,
        metavar="REPS",
        help="REPS backfills with metrics on and REPS off, interleaved, one process each: "
        "medians and their ratio",
    )
    args = parser.parse_args(argv)
    if args.metrics_overhead:
        return _metrics_overhead(args)
    if not args.postgres:
        return _measure(args, "dagster.yaml + intrend_assets/lib/storage/sqlite.yaml")
    from sandbox.postgres import running_postgres

    with running_postgres() as server:
        os.environ.update(server.env)
        return _measure(args, "deploy/dagster/dagster.postgres.yaml")


def _measure(args: argparse.Namespace, storage: str) -> int:
    """The figures, on the instance config ``intrend`` writes (``storage`` names it;
    INTREND_DAGSTER_STORAGE=stock measures Dagster's own storage instead)."""
    choice = storage_choice()
    print(f"Dagster storage     {storage} ({choice})")
    print(
        f"sandbox             speed {args.speed:g}x, rotation {args.rotation_seconds:g} s "
        f"(sandbox time), 50 profile lookups per IP"
    )

    with (
        sandbox_process(
            # Some sandbox profiles are private or deleted: ask for enough public ones.
            f"--profiles={(args.profiles + 2 * args.new) * 11 // 10 + 20}",
            "--budget=50",
            f"--speed={args.speed}",
            f"--rotation-seconds={args.rotation_seconds}",
            "--private-share=0.02",
            "--duration=3600",
        ) as info,
        tempfile.TemporaryDirectory(prefix="intrend-backfill-") as tmp,
        running_pushgateway() if args.metrics == "on" else contextlib.nullcontext() as gateway,
    ):
        home = Path(tmp) / "dagster"
        home.mkdir()
        (home / "dagster.yaml").write_text(instance_yaml(ROOT))
        os.environ["DAGSTER_HOME"] = str(home)  # the SQLite event log's folder comes from it
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
        profiles_file = Path(tmp) / "profiles.txt"
        os.environ["INTREND_PROFILES_FILE"] = str(profiles_file)
        names = info["truth"]["public_usernames"][: args.profiles + 2 * args.new]
        if len(names) < args.profiles + 2 * args.new:
            raise SystemExit(f"the sandbox made only {len(names)} public profiles")
        base, new = names[: args.profiles], names[args.profiles :]
        settings, resources = sandbox_resources(
            intrend_env(info, info["modem_token"], Path(tmp) / "data"), pushgateway_url=gateway
        )
        resources["metrics"] = TimedGateway(gateway)
        defs = build_defs(settings)  # for evaluating automation; runs get `resources`

        with dg.DagsterInstance.from_config(str(home)) as instance:
            # 1. The backfill.
            instance.add_dynamic_partitions("profiles", base)
            runs, wall, fetch, parse, rotations = _run_ranges(base, resources, instance)
            started = time.perf_counter()
            built = dg.materialize(
                [*ASSETS, *ASSET_CHECKS],
                selection=["hashtag_daily", "posts_wide", "trend_report"],
                resources=resources,
                instance=instance,
                run_config=QUIET,
            )
            assert built.success
            down_s = time.perf_counter() - started
            full = wall + down_s
            # The first evaluation only records where things stand (eager reacts to change).
            _, _, _, cursor = _automation(defs, instance, None, resources)
            overhead = (wall - fetch - parse) / wall
            print(
                f"backfill            {len(base)} profiles in {runs} runs "
                f"(at most {MAX_PROFILES_PER_RUN} profiles per run)"
            )
            print(
                f"fetch + parse runs  {wall:.1f} s wall: fetching {fetch:.1f} s, "
                f"parsing and loading {parse:.1f} s"
            )
            print(f"Dagster overhead    {overhead:.1%} of the runs' wall time (target <= 20%)")
            print(f"downstream          {down_s:.1f} s (hashtag_daily, posts_wide, trend_report)")
            print(f"full run            {full:.1f} s")
            if gateway:
                print(f"metrics pushed      {TimedGateway.seconds:.3f} s building and pushing")
            print(f"BACKFILL {full:.3f} {TimedGateway.seconds:.4f}")  # read by --metrics-overhead
            if args.backfill_only:
                return 0

            # 2. New profiles in the tracked file, twice: right after the backfill (the
            # modem's IP as the backfill left it), then a second batch a moment later.
            tracked = list(base)
            batches = (
                ("right after", "after", new[: args.new]),
                ("a second", "second", new[args.new :]),
            )
            for label, suffix, batch in batches:
                tracked += batch
                profiles_file.write_text("\n".join(tracked) + "\n")
                profiler = cProfile.Profile() if args.profile_incremental else None
                if profiler:
                    profiler.enable()
                figures, cursor = _incremental(instance, defs, cursor, resources)
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(f"{args.profile_incremental}.{suffix}")
                _print_incremental(f"{label} batch", len(batch), figures, full)
            print(f"modem rotations     backfill {rotations}")
    return 0


def _one_backfill(args: argparse.Namespace, metrics: str) -> tuple[float, float]:
    """One backfill in a process of its own: (its wall time, seconds in the metrics code)."""
    argv = [
        sys.executable,
        __file__,
        f"--profiles={args.profiles}",
        f"--new={args.new}",
        f"--speed={args.speed}",
        f"--rotation-seconds={args.rotation_seconds}",
        f"--metrics={metrics}",
        "--backfill-only",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=1800)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BACKFILL "))
    full, pushing = (float(x) for x in line.split()[1:])
    return full, pushing


def _metrics_overhead(args: argparse.Namespace) -> int:
    order = ["off", "on"] * args.metrics_overhead  # A B A B ...
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    pushing: list[float] = []
    for metrics in order:
        full, pushed = _one_backfill(args, metrics)
        seconds[metrics].append(full)
        if metrics == "on":
            pushing.append(pushed)
        print(f"  {args.profiles} profiles, metrics {metrics:3}  {full:7.1f} s", flush=True)
    off, on = statistics.median(seconds["off"]), statistics.median(seconds["on"])
    push = statistics.median(pushing)
    print(f"backfill median     metrics off {off:.1f} s, on {on:.1f} s: on/off {on / off:.3f}")
    print(
        f"metrics code        {push:.3f} s per backfill = {push / on:.2%} of the run (target <= 2%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
