"""The code location loads and is configured by the settings.

What it holds (assets, checks, jobs, schedules, sensors) is compared with a checked-in
snapshot in ``test_definitions_snapshot.py``.
"""

import dagster as dg

from intrend_assets.definitions import defs


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_raw_profile_is_partitioned_by_profile_and_posts_loads_whatever_is_pending() -> None:
    graph = defs.resolve_asset_graph()
    partitions = graph.get(dg.AssetKey("raw_profile")).partitions_def
    assert isinstance(partitions, dg.DynamicPartitionsDefinition)
    assert partitions.name == "profiles"
    # One event per run for posts, not one per profile (see intrend_assets/defs/warehouse/posts.py).
    assert graph.get(dg.AssetKey("posts")).partitions_def is None
    # A ranged run of the profiles job still carries both.
    assert defs.resolve_job_def("profiles_job").partitions_def == partitions


def test_executor_is_configuration() -> None:
    import pytest

    from intrend_assets.definitions import build_executor
    from intrend_assets.settings import IntrendSettings

    assert build_executor(IntrendSettings()) is dg.in_process_executor
    assert build_executor(IntrendSettings(executor="multiprocess")) is dg.multiprocess_executor
    # dagster-celery's, its broker read from DAGSTER_CELERY_BROKER_URL when a run starts.
    assert build_executor(IntrendSettings(executor="celery")).name == "celery"
    try:
        import dagster_celery_k8s  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="celery-k8s extra"):
            build_executor(IntrendSettings(executor="celery_k8s"))


def test_sensors_start_as_configured(monkeypatch) -> None:
    from intrend_assets.definitions import build_defs
    from intrend_assets.settings import IntrendSettings

    def statuses() -> set[dg.DefaultSensorStatus]:
        defs = build_defs(IntrendSettings())
        return {s.default_status for s in defs.sensors or []}

    assert statuses() == {dg.DefaultSensorStatus.RUNNING}
    monkeypatch.setenv("INTREND_SENSORS", "stopped")
    assert statuses() == {dg.DefaultSensorStatus.STOPPED}


def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch) -> None:
    import pytest

    from intrend_assets.settings import SettingsError, load_settings

    monkeypatch.setenv("INTREND_CONCURRENCY", "abc")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("INTREND_CONCURRENCY='abc': ")
    assert "integer" in message


def test_schedules_start_as_configured_like_the_sensors(monkeypatch) -> None:
    from intrend_assets.definitions import build_defs
    from intrend_assets.settings import IntrendSettings

    def statuses() -> dict[str, dg.DefaultScheduleStatus]:
        defs = build_defs(IntrendSettings())
        return {s.name: s.default_status for s in defs.schedules or []}

    retention = "raw_store_retention_schedule"  # it deletes raw objects: its own switch
    running = statuses()
    assert running.pop(retention) == dg.DefaultScheduleStatus.STOPPED
    assert set(running.values()) == {dg.DefaultScheduleStatus.RUNNING}  # the sensors' default
    monkeypatch.setenv("INTREND_SCHEDULES", "stopped")
    assert set(statuses().values()) == {dg.DefaultScheduleStatus.STOPPED}
    monkeypatch.setenv("INTREND_RETENTION_SCHEDULE", "running")
    assert statuses()[retention] == dg.DefaultScheduleStatus.RUNNING


def test_every_sensor_schedule_and_job_says_what_it_does() -> None:
    repo = defs.get_repository_def()
    described = [*repo.sensor_defs, *repo.schedule_defs]
    described += [j for j in repo.get_all_jobs() if not j.name.startswith("__")]
    missing = sorted(d.name for d in described if not (d.description or "").strip())
    assert missing == []
