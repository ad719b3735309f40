"""An IP log that cannot be written: rotations still answer, nothing is lost, it shows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from modem_service import Settings, create_app
from modem_service.ip_history import IpHistory
from modem_service.iplog import IpLog, make_engine
from modem_service.metrics import ServiceMetrics
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated


class FailingWrites:
    """Wraps ``IpLog.record``: raises "No space left on device" while ``full`` is set."""

    def __init__(self, record: Callable[..., None]) -> None:
        self.record = record
        self.full = True

    def __call__(self, *args: Any) -> None:
        if self.full:
            raise OSError(28, "No space left on device")
        self.record(*args)


def _metric(text: str, name: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise AssertionError(f"{name} not in /metrics")


def test_rotations_on_a_full_disk_answer_200_and_reach_the_log_once_it_is_freed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario() -> None:
        app = create_app(Settings(backend="simulated", token=TOKEN), backend=simulated())
        async with running(app) as client:
            iplog = app.state.services.iplog
            disk = FailingWrites(iplog.record)
            monkeypatch.setattr(iplog, "record", disk)
            answers = [await client.post("/rotate", headers=AUTH) for _ in range(5)]
            assert [a.status_code for a in answers] == [200] * 5
            assert all(a.json()["changed"] for a in answers)
            health = (await client.get("/health")).json()
            assert health["status"] == "degraded"
            assert health["iplog"]["unwritten"] == 5
            assert "No space left on device" in health["iplog"]["error"]
            text = (await client.get("/metrics", headers=AUTH)).text
            assert _metric(text, "modem_iplog_unwritten") == 5
            assert _metric(text, "modem_iplog_write_failures_total") >= 5
            assert _metric(text, "modem_rotations_total") == 5  # result="changed"

            disk.full = False
            assert (await client.get("/health")).json()["status"] == "ok"
            logged = (await client.get("/ips", headers=AUTH)).json()["items"]
            new_ips = [a.json()["new_ip"] for a in answers]
            assert [i["ip"] for i in logged[:5]] == new_ips[::-1]
            assert [i["source"] for i in logged] == ["rotate"] * 5 + ["start"]
            text = (await client.get("/metrics", headers=AUTH)).text
            assert _metric(text, "modem_iplog_unwritten") == 0

    asyncio.run(scenario())


def test_the_waiting_queue_is_bounded_and_counts_what_it_drops() -> None:
    async def scenario() -> None:
        iplog = IpLog(make_engine("sqlite+pysqlite:///:memory:"))
        disk = FailingWrites(iplog.record)
        iplog.record = disk  # type: ignore[method-assign]
        metrics = ServiceMetrics()
        history = IpHistory(iplog, metrics, buffer=3)
        for n in range(5):
            await history.seen(f"10.0.0.{n}", "rotate")
        assert history.unwritten == 3
        assert _metric(metrics.render().decode(), "modem_iplog_dropped_total") == 2
        disk.full = False
        assert await history.flush()
        assert [s.ip for s in iplog.sightings()] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
        stamps = [s.seen_at for s in iplog.sightings()]
        assert stamps == sorted(stamps)

    asyncio.run(scenario())
