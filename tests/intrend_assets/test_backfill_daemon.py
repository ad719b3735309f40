"""A UI backfill over ``raw_profile`` (and ``posts``), planned and run by Dagster's own daemons.

The README promises that a backfill launched from the UI over many profiles runs as a few
ranged runs of at most 500 profiles, and that ``posts`` then loads what they fetched. Our
``range_run_requests`` is tested elsewhere, but what a UI backfill becomes is decided by
Dagster's backfill machinery, not by us. So these tests do what the UI and ``dagster dev`` do,
with nothing of the project replaced:

- the instance is built as the `intrend` commands build it (the project's dagster.yaml:
  queued runs, at most 2 backfill runs at a time, the pools; plus the batching SQLite
  storages) in a temporary DAGSTER_HOME;
- the code location is loaded from workspace.yaml into a code server subprocess, as the
  daemon loads it, and runs are launched by Dagster's default run launcher, each in its own
  process (so the settings reach them through ``INTREND_*`` variables, as in a deployment);
- the backfill is launched through the GraphQL mutation, with the parameters the UI's
  "Launch backfill" dialog sends (dagster-webserver's ``LaunchAssetChoosePartitionsDialog``);
- the iterations of the backfill daemon and of the run queue daemon are called in turn, in
  place of ``dagster-daemon``'s loop (whose 30 s backfill interval would only add waiting).
"""

import logging
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.execution.backfill import (
    BULK_ACTION_TERMINAL_STATUSES,
    BulkActionStatus,
    PartitionBackfill,
)
from dagster._core.storage.dagster_run import ACTIVE_RUN_STATUSES
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    BACKFILL_ID_TAG,
    PARTITION_NAME_TAG,
)
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.backfill import execute_backfill_iteration
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)
from dagster._utils.error import SerializableErrorInfo
from dagster_graphql.client.query import LAUNCH_PARTITION_BACKFILL_MUTATION
from dagster_graphql.test.utils import execute_dagster_graphql

from intrend_assets.definitions import ASSETS, build_defs
from intrend_assets.defs.profiles.partitions import profiles_backfill_policy
from intrend_assets.lib.instance import instance_yaml
from intrend_assets.lib.ranged_runs import MAX_PROFILES_PER_RUN
from intrend_assets.lib.storage import EVENT_BATCH_SIZE
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.settings import IntrendSettings
from sandbox.process import sandbox_process
from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "intrend"  # workspace.yaml's location_name
PER_RUN = profiles_backfill_policy.max_partitions_per_run
# Every asset of the code location: what "Materialize all" on the global asset graph selects.
ALL_ASSETS = [asset.key.to_user_string() for asset in ASSETS]
# More than two runs' worth: three ranged runs, of which the backfill tag limit in dagster.yaml
# lets two start at once. On the sandbox the whole backfill takes 30-55 s on 2 busy cores.
PROFILES = 1_100
FROM_UI = {"key": "dagster/from_ui", "value": "true"}
ASSET_NODES_QUERY = """
query ($keys: [AssetKeyInput!]!) {
  assetNodes(assetKeys: $keys) { assetKey { path } jobNames isExecutable }
}
"""


@contextmanager
def _deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partitions: Sequence[str]
) -> Iterator[tuple[dg.DagsterInstance, WorkspaceProcessContext]]:
    """The project's instance and code location, as ``intrend dev`` sets them up.

    ``INTREND_*`` settings must be in the environment before this: the code server (and every
    run it launches) is a subprocess that reads them when it loads the definitions.
    """
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.delenv("INTREND_DAGSTER_STORAGE", raising=False)
    (home / "dagster.yaml").write_text(instance_yaml(ROOT))  # as the `intrend` commands write it
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("profiles", list(partitions))
        target = WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])
        with create_test_daemon_workspace_context(target, instance) as workspace:
            try:
                yield instance, workspace
            finally:
                _stop_runs(instance)


def _stop_runs(instance: dg.DagsterInstance, timeout: float = 30.0) -> None:
    """Leave no run behind a failed test: queued runs are canceled, launched ones terminated.

    A launched run is a process of the code server's, which would otherwise go on fetching
    (and keep the server alive) after the test; termination is retried while a run is still
    starting, for at most ``timeout`` seconds.
    """
    waiting = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=waiting)):
        instance.report_run_canceled(run)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE_RUN_STATUSES))
        if not live:
            return
        for run in live:
            instance.run_launcher.terminate(run.run_id)
        time.sleep(1)


def _ui_backfill(
    workspace: WorkspaceProcessContext,
    assets: Sequence[str],
    partitions: Sequence[str],
    job: str | None = None,
) -> str:
    """Launch a backfill as the UI's "Launch backfill" button does; return its id.

    From the asset graph (``job`` None) the UI sends the selected assets and partition keys:
    a pure asset backfill. From a job's page it names the job's partition set instead, and
    Dagster makes a job backfill of it.
    """
    params: dict[str, object] = {
        "assetSelection": [{"path": [name]} for name in assets],
        "partitionNames": list(partitions),
        "fromFailure": False,
        "tags": [FROM_UI],  # added to every launch by the UI (tagsWithUIExecutionTags)
    }
    if job is not None:
        params["selector"] = {
            "partitionSetName": f"{job}_partition_set",
            "repositorySelector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": "__repository__",
            },
        }
    result = execute_dagster_graphql(
        workspace.create_request_context(),
        LAUNCH_PARTITION_BACKFILL_MUTATION,
        {"backfillParams": params},
    )
    launched = result.data["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def _common_job(workspace: WorkspaceProcessContext, assets: Sequence[str]) -> str:
    """The job the UI launches ``assets`` with from the asset graph: the first job every
    selected asset belongs to, in the order GraphQL lists them (``getCommonJob`` in
    dagster-webserver's LaunchAssetExecutionButton). A hidden ``__ASSET_JOB`` means the UI
    sends a pure asset backfill (assets and partition keys, no job)."""
    result = execute_dagster_graphql(
        workspace.create_request_context(),
        ASSET_NODES_QUERY,
        {"keys": [{"path": [name]} for name in assets]},
    )
    nodes = {n["assetKey"]["path"][0]: n["jobNames"] for n in result.data["assetNodes"]}
    first = nodes[assets[0]]
    return next(job for job in first if all(job in jobs for jobs in nodes.values()))


def _materialize_all(workspace: WorkspaceProcessContext) -> list[str]:
    """What the UI's "Materialize all" selects: every asset of the graph that is executable
    (LaunchAssetExecutionButton leaves the others out, as it does source assets)."""
    result = execute_dagster_graphql(
        workspace.create_request_context(),
        ASSET_NODES_QUERY,
        {"keys": [{"path": [name]} for name in ALL_ASSETS]},
    )
    return [n["assetKey"]["path"][0] for n in result.data["assetNodes"] if n["isExecutable"]]


def _plan(workspace: WorkspaceProcessContext) -> None:
    """One pass of the backfill daemon: it plans every requested backfill and submits the
    runs it can start now (queued, as the project's run coordinator has them)."""
    logger = logging.getLogger("test_backfill_daemon")
    errors = [
        e
        for e in execute_backfill_iteration(workspace, logger)
        if isinstance(e, SerializableErrorInfo)
    ]
    assert not errors, errors[0].to_string()


def _daemon_iteration(
    workspace: WorkspaceProcessContext, queue: QueuedRunCoordinatorDaemon
) -> None:
    """One pass of the backfill daemon, then one of the run queue daemon (which launches the
    queued runs the instance's limits allow, each in a process of its own)."""
    _plan(workspace)
    list(queue.run_iteration(workspace))


def _runs(instance: dg.DagsterInstance, backfill_id: str) -> list[dg.DagsterRun]:
    """The backfill's runs, oldest first."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))
    return list(reversed(runs))


def _assets(run: dg.DagsterRun) -> set[str]:
    return {key.to_user_string() for key in run.asset_selection or ()}


def _range(run: dg.DagsterRun) -> tuple[str, str] | None:
    start = run.tags.get(ASSET_PARTITION_RANGE_START_TAG)
    end = run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    return (start, end) if start is not None and end is not None else None


def _requested(defs: dg.Definitions, result: dg.EvaluateAutomationConditionsResult) -> set[str]:
    """The assets an automation evaluation requests."""
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    return {key.to_user_string() for key in keys if result.get_num_requested(key)}


def _expected_ranges(partitions: Sequence[str]) -> list[tuple[str, str]]:
    """Consecutive slices of at most PER_RUN partitions, in partition order."""
    return [
        (partitions[i], partitions[min(i + PER_RUN, len(partitions)) - 1])
        for i in range(0, len(partitions), PER_RUN)
    ]


def _ranges(runs: Sequence[dg.DagsterRun], partitions: Sequence[str]) -> list[tuple[str, str]]:
    """The runs' partition ranges, in partition order (names need not sort in it)."""
    found = [r for r in map(_range, runs) if r is not None]
    return sorted(found, key=lambda r: partitions.index(r[0]))


def test_the_policy_is_the_one_the_readme_and_sensors_use() -> None:
    assert PER_RUN == MAX_PROFILES_PER_RUN == 500


def test_ui_backfills_are_planned_as_ranged_runs_of_at_most_500_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Dagster's backfill daemon makes of 1,100 profiles, for each way the UI offers.

    One daemon pass plans every backfill: nothing is executed (runs wait in the queue, as
    the project's QueuedRunCoordinator has them), so this needs no sandbox.
    """
    partitions = [f"user{i:05d}" for i in range(PROFILES)]
    ranges = _expected_ranges(partitions)
    assert len(ranges) == math.ceil(len(partitions) / 500) == 3
    monkeypatch.setenv("INTREND_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTREND_MODEM_TOKEN", "unused")  # resolved when a run is planned
    # Nothing is launched here; should a run ever start, it finds closed local ports.
    monkeypatch.setenv("INTREND_INSTAGRAM_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INTREND_MODEM_URL", "http://127.0.0.1:9")
    with _deployment(tmp_path, monkeypatch, partitions) as (instance, workspace):
        # From the asset graph, both selections go out as pure asset backfills.
        assert _common_job(workspace, ["raw_profile"]) == "__ASSET_JOB"
        assert _common_job(workspace, ["raw_profile", "posts"]) == "__ASSET_JOB"
        raw_only = _ui_backfill(workspace, ["raw_profile"], partitions)
        with_posts = _ui_backfill(workspace, ["raw_profile", "posts"], partitions)
        materialize_all = _materialize_all(workspace)
        assert "rate_limit_experiment" not in materialize_all  # it rotates the modem
        assert len(materialize_all) == len(ALL_ASSETS) - 1
        everything = _ui_backfill(workspace, materialize_all, partitions)
        # From profiles_job's page the UI names the job: a job backfill.
        from_job = _ui_backfill(workspace, ["raw_profile", "posts"], partitions, "profiles_job")
        _plan(workspace)
        # Planned, not launched: every run waits in the queue. None is a one-partition run.
        planned = instance.get_runs()
        assert {r.status for r in planned} == {dg.DagsterRunStatus.QUEUED}
        assert all(r.tags.get(FROM_UI["key"]) == FROM_UI["value"] for r in planned)
        assert not [r for r in planned if PARTITION_NAME_TAG in r.tags]

        # raw_profile alone: one run per slice of 500, each given its range, not its keys.
        runs = _runs(instance, raw_only)
        assert [_assets(r) for r in runs] == [{"raw_profile"}] * 3
        assert _ranges(runs, partitions) == ranges
        assert all(r.job_name == "__ASSET_JOB" for r in runs)

        # With posts: Dagster accepts the unpartitioned asset in the same backfill, but it is
        # in none of the ranged runs; it waits for every raw_profile partition (see the
        # sandbox test below for the run it gets afterwards).
        runs = _runs(instance, with_posts)
        assert [_assets(r) for r in runs] == [{"raw_profile"}] * 3
        assert _ranges(runs, partitions) == ranges
        backfill = instance.get_backfill(with_posts)
        assert backfill is not None
        assert dg.AssetKey("posts") in backfill.asset_selection

        # "Materialize all": the same three ranged runs, plus one run of the unpartitioned
        # roots (not the rate-limit experiment); posts and the warehouse wait.
        runs = _runs(instance, everything)
        ranged = [r for r in runs if _range(r) is not None]
        assert [_assets(r) for r in ranged] == [{"raw_profile"}] * 3
        assert _ranges(ranged, partitions) == ranges
        others = [r for r in runs if _range(r) is None]
        assert [_assets(r) for r in others] == [{"ip_log", "ip_ranges"}]

        # From the job's page: still three ranged runs, but each runs posts after its own
        # raw_profile range (posts loads three times, each time what is pending).
        runs = _runs(instance, from_job)
        assert [_assets(r) for r in runs] == [{"raw_profile", "posts"}] * 3
        assert _ranges(runs, partitions) == ranges
        assert all(r.job_name == "profiles_job" for r in runs)


@pytest.mark.slow
def test_ui_backfill_of_raw_profile_and_posts_runs_on_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backfill over both assets, executed: every partition is materialized by the
    ranged runs, then posts runs once, after them, and loads every fetch; the automation
    sensor does not add a posts run of its own meanwhile."""
    started = time.monotonic()
    with sandbox_process(
        f"--profiles={PROFILES * 6 // 5 + 20}",
        # This test is about orchestration: no rate limit, so no rotations (tested elsewhere).
        "--budget=1000000",
        "--private-share=0",
        "--duration=600",  # the sandbox ends itself should this process die
    ) as info:
        partitions = info["truth"]["public_usernames"][:PROFILES]
        assert len(partitions) == PROFILES
        data = tmp_path / "data"
        for name, value in {
            "DATA_DIR": str(data),
            "PROFILES_FILE": str(tmp_path / "profiles.txt"),
            "INSTAGRAM_BASE_URL": info["instagram_url"],
            "PROXY_URL": info["proxy_url"],
            "MODEM_URL": info["modem_url"],
            "MODEM_TOKEN": info["modem_token"],
        }.items():
            monkeypatch.setenv(f"INTREND_{name}", value)
        with (
            _deployment(tmp_path, monkeypatch, partitions) as (instance, workspace),
            QueuedRunCoordinatorDaemon(interval_seconds=1) as queue,
        ):
            # The warehouse automation sensor runs beside the backfill (RUNNING by default):
            # evaluated before each daemon pass, it sees every state the backfill goes through,
            # including all ranges fetched and posts not yet requested by the backfill.
            defs = build_defs(IntrendSettings())  # as the code server builds it
            automation = dg.evaluate_automation_conditions(defs=defs, instance=instance)
            by_automation: set[str] = set()
            backfill_id = _ui_backfill(workspace, ["raw_profile", "posts"], partitions)
            backfill: PartitionBackfill | None = None
            while time.monotonic() - started < 150:
                automation = dg.evaluate_automation_conditions(
                    defs=defs, instance=instance, cursor=automation.cursor
                )
                by_automation |= _requested(defs, automation)
                _daemon_iteration(workspace, queue)
                backfill = instance.get_backfill(backfill_id)
                assert backfill is not None
                if backfill.status in BULK_ACTION_TERMINAL_STATUSES:
                    break
                time.sleep(0.5)
            runs = _runs(instance, backfill_id)
            summary = [(r.status.value, sorted(_assets(r)), _range(r)) for r in runs]
            assert backfill is not None
            assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS, summary
            records = {
                r.dagster_run.run_id: r
                for r in instance.get_run_records(
                    filters=dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id})
                )
            }
            materialized = instance.get_materialized_partitions(dg.AssetKey("raw_profile"))
            last_fetched = instance.get_latest_materialization_event(dg.AssetKey("raw_profile"))
            loaded = instance.get_latest_materialization_event(dg.AssetKey("posts"))
        elapsed = time.monotonic() - started

    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), summary
    ranged = [r for r in runs if _range(r) is not None]
    assert [_assets(r) for r in ranged] == [{"raw_profile"}] * 3, summary
    assert _ranges(ranged, partitions) == _expected_ranges(partitions)
    assert materialized == set(partitions)
    # posts: one run of its own, which Dagster created once every partition was materialized.
    (posts_run,) = [r for r in runs if _range(r) is None]
    assert _assets(posts_run) == {"posts"}
    assert last_fetched is not None
    assert records[posts_run.run_id].create_timestamp.timestamp() >= last_fetched.timestamp
    assert loaded is not None and loaded.run_id == posts_run.run_id
    # Automation leaves posts to the backfill that targets it (no second posts run) and
    # follows up with what depends on the fetches alone (fetch_log, fetch_stats).
    assert not by_automation & {"raw_profile", "posts"}, by_automation
    assert {"fetch_log", "fetch_stats"} <= by_automation, by_automation
    metadata = loaded.asset_materialization.metadata  # type: ignore[union-attr]
    assert metadata["fetches_loaded"].value == PROFILES
    # Every fetch is in the warehouse and none is left in the queue.
    assert LocalRawStore(data / "raw").pending() == []
    con = connect(data / "warehouse.duckdb", read_only=True)
    try:
        (profiles,) = con.execute("select count(distinct username) from profiles").fetchone()
    finally:
        con.close()
    assert profiles == PROFILES
    print(f"backfill of {PROFILES} profiles and posts: {len(runs)} runs, {elapsed:.1f} s")
