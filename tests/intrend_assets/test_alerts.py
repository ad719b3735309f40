"""The alert sensors post to a webhook (a loopback receiver here), and stay quiet unconfigured."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

import intrend_assets.defs.alerts.sensors as alert_module
from intrend_assets.alerts.daily import StaleAfter, stale_profiles, stuck_rotations
from intrend_assets.alerts.webhook import AlertNotSent, Webhook
from intrend_assets.defs.alerts.sensors import alert_sensors
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.raw_store.store import LocalRawStore
from intrend_assets.tracking.tracked_file import ProfilesFile
from tests.receiver import receiver

run_failure_alert, daily_health_alert = alert_sensors(dg.DefaultSensorStatus.RUNNING)
NOW = datetime(2026, 6, 10, 7, 30, tzinfo=UTC)


@dg.op
def breaks() -> None:
    raise RuntimeError("the modem box is unplugged")


@dg.job
def fragile_job() -> None:
    breaks()


def _failure_context(instance: dg.DagsterInstance, alerts: Webhook) -> dg.RunFailureSensorContext:
    result = fragile_job.execute_in_process(instance=instance, raise_on_error=False)
    failure = next(
        e.dagster_event
        for e in instance.all_logs(result.run_id)
        if e.dagster_event and e.dagster_event.is_run_failure
    )
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        resources={"alerts": alerts},
    ).for_run_failure()


def _alerts(got) -> list[dict]:
    return [json.loads(body) for method, _path, body in got.requests if method == "POST"]


def test_a_failed_run_is_posted_with_its_job_run_and_error() -> None:
    with receiver() as hook, dg.instance_for_test() as instance:
        context = _failure_context(instance, Webhook(hook.url))
        run_failure_alert(context)
        (alert,) = _alerts(hook)
    assert alert["title"] == "intrend: fragile_job failed"
    assert alert["lines"][0] == f"run {context.dagster_run.run_id}"
    assert alert["text"].startswith("intrend: fragile_job failed\nrun ")


def test_without_a_webhook_nothing_is_posted_and_a_refusing_one_fails_the_tick() -> None:
    with receiver(status=500) as hook, dg.instance_for_test() as instance:
        run_failure_alert(_failure_context(instance, Webhook(None)))
        assert hook.requests == []
        with pytest.raises(AlertNotSent, match="answered 500"):
            run_failure_alert(_failure_context(instance, Webhook(hook.url)))


def _world(tmp_path: Path) -> tuple[LocalRawStore, WarehouseFile]:
    store = LocalRawStore(tmp_path / "raw")
    store.put("old_one", NOW - timedelta(days=5), b"{}")
    store.put("fresh_one", NOW - timedelta(hours=2), b"{}")
    for _ in range(3):  # not_found three times in a row: parked, not stale
        store.record_failure("gone_one", "not_found", "404", 1)
    store.record_failure("walled_one", "login_wall", "wall", 1)
    warehouse = WarehouseFile(tmp_path / "warehouse.duckdb")
    with warehouse.connect() as con:
        for minute in range(5):
            seen = NOW - timedelta(hours=3, minutes=minute)
            kept = minute < 4
            con.execute(
                "INSERT INTO ip_log (ip, seen_at, source, seen_as) VALUES (?, ?, ?, ?)",
                [
                    "10.0.0.1",
                    seen,
                    "rotate-same" if kept else "rotate",
                    "kept" if kept else "first",
                ],
            )
    warehouse.publish()
    return store, warehouse


def test_stale_leaves_the_parked_out_and_stuck_counts_kept_ips(tmp_path: Path) -> None:
    store, warehouse = _world(tmp_path)
    names = ["old_one", "fresh_one", "gone_one", "walled_one"]
    (stale,) = stale_profiles(store, names, NOW, timedelta(days=3))
    assert stale.line.startswith("2 profiles not fetched for 3 days: old_one (last fetched")
    assert "walled_one (never fetched, failing: login_wall)" in stale.line
    assert "gone_one" not in stale.line and "fresh_one" not in stale.line
    with warehouse.connect_published() as con:
        (stuck,) = stuck_rotations(con, NOW - timedelta(days=1))
        assert stuck.line.startswith("4 of 5 rotations since")
        assert stuck_rotations(con, NOW - timedelta(hours=1)) == []


def _daily(tmp_path: Path, alerts: Webhook, cursor: str | None = None):
    store, warehouse = _world(tmp_path)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("profiles", ["old_one", "fresh_one", "gone_one"])
        context = dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            resources={
                "alerts": alerts,
                "raw_store": store,
                "tracked_profiles": ProfilesFile(tmp_path / "none.txt"),
                "warehouse": warehouse,
                "stale_after": StaleAfter(3.0),
            },
        )
        return daily_health_alert(context)


def test_the_daily_alert_posts_once_a_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alert_module, "_now", lambda: NOW)
    with receiver() as hook:
        result = _daily(tmp_path, Webhook(hook.url))
        assert isinstance(result, dg.SensorResult) and result.cursor == "2026-06-10"
        (alert,) = _alerts(hook)
        again = _daily(tmp_path / "again", Webhook(hook.url), cursor="2026-06-10")
        assert isinstance(again, dg.SkipReason)
        assert len(hook.requests) == 1
    assert alert["title"] == "intrend daily: 2 things to look at"
    stale, stuck = alert["lines"]
    assert stale.startswith("1 profiles not fetched for 3 days: old_one")
    assert stuck.startswith("4 of 5 rotations since 2026-06-09 07:30Z kept the same IP")


def test_the_daily_alert_waits_for_its_hour_and_for_a_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with receiver() as hook:
        monkeypatch.setattr(alert_module, "_now", lambda: NOW.replace(hour=5))
        assert isinstance(_daily(tmp_path, Webhook(hook.url)), dg.SkipReason)
        monkeypatch.setattr(alert_module, "_now", lambda: NOW)
        assert isinstance(_daily(tmp_path / "b", Webhook(None)), dg.SkipReason)
        assert hook.requests == []


def test_an_alert_carries_no_known_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook is a message leaving the machine: it goes through the redaction point (a
    run that failed outside our steps, in Dagster's own code, is not scrubbed before it)."""
    from intrend_assets import redaction

    secret = "tok-Al3rtSecretValue-9q"
    redaction.remember(secret)
    try:
        with receiver() as hook:
            Webhook(hook.url).send(f"intrend: run failed near {secret}", [f"line {secret}"])
            (alert,) = _alerts(hook)
    finally:
        redaction.forget()
    assert secret not in json.dumps(alert)
    assert alert["lines"] == [f"line {redaction.REDACTED}"]
