"""Tokenless attacks against a real ``python -m modem_service`` with 1,024 open files at most.

The service runs in a subprocess (simulated modem) on a free loopback port with the systemd
default open-files limit as both soft and hard limit, so its own limits must hold without
the unit's ``LimitNOFILE``. Every attack is bounded by bytes and a deadline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from benchmarks.modem_attacks import (
    health_seconds,
    huge_header,
    idle_sockets,
    raise_own_files_limit,
    slow_header,
    spawn_service,
)
from modem_service import Settings, create_app
from modem_service.server import RedactQuery, uvicorn_config

from .conftest import TOKEN, free_port, serve_config

pytestmark = pytest.mark.timeout(90)

UNIT = Path(__file__).parents[2] / "deploy" / "modem-service" / "modem-service.service"


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, int]]:
    with spawn_service({"MODEM_HEADER_TIMEOUT_SECONDS": "1"}) as address:
        yield address


def test_a_20_mb_header_is_refused_at_once(service: tuple[str, int]) -> None:
    host, port = service
    attack = huge_header(host, port, total=20_000_000, deadline=8.0)
    assert attack.refused, f"the service took all {attack.sent:,} bytes"
    assert attack.sent < 1_000_000
    assert attack.seconds < 3.0
    assert attack.answer == b"" or attack.answer.startswith(b"HTTP/1.1 400")
    seconds = health_seconds(host, port, timeout=2)
    assert seconds is not None and seconds < 1.0


def test_a_request_head_sent_slowly_is_closed_after_the_header_timeout(
    service: tuple[str, int],
) -> None:
    host, port = service
    closed: list[float] = []
    attack = threading.Thread(target=lambda: closed.append(slow_header(host, port, deadline=6)))
    attack.start()
    during = health_seconds(host, port, timeout=2)
    attack.join(10)
    assert closed and closed[0] < 3.0, f"still open after {closed} s"
    assert during is not None and during < 1.0


def test_health_answers_within_a_second_with_1100_idle_sockets_open(
    service: tuple[str, int],
) -> None:
    if raise_own_files_limit(4096) < 2500:
        pytest.skip("this process cannot open 1,100 sockets plus its own files")
    host, port = service
    with idle_sockets(host, port, 1100):
        probes = [health_seconds(host, port, timeout=3) for _ in range(3)]
    assert None not in probes, probes
    assert max(p for p in probes if p is not None) < 1.0, probes


def test_query_strings_stay_out_of_the_access_log() -> None:
    """A token pasted into a URL is refused (401) and not written down either."""
    settings = Settings(backend="simulated", token=TOKEN, sim_rotation_seconds=0)
    config = uvicorn_config(
        create_app(settings), settings, port=free_port(), log_level="info", access_log=True
    )
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        with serve_config(uvicorn.Server(config)) as url:
            answer = httpx.get(f"{url}/ips", params={"access_token": TOKEN, "since": "x"})
    finally:
        access.removeHandler(handler)
    assert answer.status_code == 401
    assert lines, "no access-log line was written"
    assert all(TOKEN not in line for line in lines), lines
    assert any("/ips?<redacted>" in line for line in lines), lines


def test_redaction_keeps_a_line_without_query_as_it_is() -> None:
    record = logging.LogRecord(
        "uvicorn.access", 20, "", 0, '%s - "%s %s" %d', ("c", "GET", "/health", 200), None
    )
    assert RedactQuery().filter(record)
    assert record.getMessage() == 'c - "GET /health" 200'


def test_the_unit_raises_the_open_files_limit_above_the_connection_cap() -> None:
    lines = UNIT.read_text().splitlines()
    limit = [line for line in lines if line.startswith("LimitNOFILE=")]
    assert limit, "the unit must set LimitNOFILE"
    assert int(limit[0].split("=")[1]) >= 4 * Settings.model_fields["max_connections"].default
    assert any(line.startswith("MemoryMax=") for line in lines)
