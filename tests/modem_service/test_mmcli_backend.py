"""The mmcli backend driven by a fake command runner that answers in recorded formats."""

import asyncio
import sys

import pytest

from modem_service import Settings, create_app
from modem_service.app import build_backend
from modem_service.backends.commands import run_command
from modem_service.backends.mmcli import MmcliModem, ModemNotFound
from modem_service.rotation import Rotator
from tests.modem_service.fake_modemmanager import FakeEcho, FakeModemManager


def _backend(mm: FakeModemManager, **options: object) -> tuple[MmcliModem, FakeEcho]:
    echo = FakeEcho(mm)
    backend = MmcliModem(echo, runner=mm, apn="internet", poll_interval=0.01, **options)  # type: ignore[arg-type]
    return backend, echo


def test_public_ip_is_checked_bound_to_the_bearer_address() -> None:
    mm = FakeModemManager()
    backend, echo = _backend(mm)
    assert asyncio.run(backend.public_ip()) == "209.29.168.10"
    assert echo.binds == ["10.133.54.34"]
    # Found modem 3 and bearer 7 from the output; never assumed 0.
    assert ["mmcli", "-m", "3", "-K"] in mm.calls
    assert ["mmcli", "-b", "/org/freedesktop/ModemManager1/Bearer/7", "-K"] in mm.calls


def test_reconnect_step_uses_simple_connect_with_the_found_index() -> None:
    mm = FakeModemManager()
    backend, _ = _backend(mm)
    asyncio.run(backend.step("reconnect"))
    assert ["mmcli", "-m", "3", "--simple-disconnect"] in mm.calls
    assert ["mmcli", "-m", "3", "--simple-connect=apn=internet"] in mm.calls
    assert asyncio.run(backend.public_ip()) == "209.29.168.11"


def test_reconnect_through_networkmanager_when_it_owns_the_link() -> None:
    mm = FakeModemManager()
    backend, _ = _backend(mm, nm_connection="telus")
    asyncio.run(backend.step("reconnect"))
    assert ["nmcli", "connection", "down", "telus"] in mm.calls
    assert ["nmcli", "connection", "up", "telus"] in mm.calls


def test_stuck_ip_escalates_to_disable_enable_then_reset() -> None:
    mm = FakeModemManager(stuck_connects=3)
    backend, _ = _backend(mm)
    result = asyncio.run(Rotator(backend, max_attempts=2).rotate())
    assert result.steps == ["reconnect", "reconnect", "disable_enable", "reset"]
    assert result.changed and result.changed_by == "reset" and result.errors == []
    assert ["mmcli", "-m", "3", "-d"] in mm.calls and ["mmcli", "-m", "3", "-e"] in mm.calls
    assert ["mmcli", "-m", "3", "--reset"] in mm.calls
    # After the reset the modem came back as 4; the backend found it instead of assuming.
    assert ["mmcli", "-m", "4", "-e"] in mm.calls
    assert ["mmcli", "-m", "4", "--simple-connect=apn=internet"] in mm.calls


def test_power_cycle_hook_is_the_last_rung_and_runs_without_shell() -> None:
    mm = FakeModemManager(stuck_connects=3)
    backend, _ = _backend(mm, power_cycle_command="uhubctl -l '1-1' -p 2 -a cycle")
    assert backend.ladder[-1] == "power_cycle"
    result = asyncio.run(Rotator(backend, max_attempts=1).rotate())
    assert result.steps == ["reconnect", "disable_enable", "reset", "power_cycle"]
    assert result.changed_by == "power_cycle"
    assert ["uhubctl", "-l", "1-1", "-p", "2", "-a", "cycle"] in mm.calls


def test_failing_command_is_reported_and_ladder_continues() -> None:
    mm = FakeModemManager(fail={"--simple-disconnect": "error: couldn't disconnect: 'busy'"})
    backend, _ = _backend(mm)
    result = asyncio.run(Rotator(backend, max_attempts=1).rotate())
    assert result.errors[0].startswith("reconnect: mmcli -m 3 --simple-disconnect exited 1")
    assert "busy" in result.errors[0]
    assert result.changed and result.changed_by == "disable_enable"


def test_no_modem() -> None:
    mm = FakeModemManager(present=False)
    backend, _ = _backend(mm, reappear_timeout=0.05)
    state = asyncio.run(backend.state())
    assert not state.present and not state.connected
    assert asyncio.run(backend.public_ip()) is None
    with pytest.raises(ModemNotFound):
        asyncio.run(backend.step("reconnect"))


def test_state_reports_index_and_state() -> None:
    state = asyncio.run(_backend(FakeModemManager())[0].state())
    assert state.present and state.connected
    assert state.detail["modem"] == "3" and state.detail["model"] == "L850-GL"


def test_run_command_real_process_and_timeout() -> None:
    ok = asyncio.run(run_command([sys.executable, "-c", "print('hi')"], 10))
    assert ok.ok and ok.stdout.strip() == "hi"
    slow = asyncio.run(run_command([sys.executable, "-c", "import time; time.sleep(30)"], 0.3))
    assert slow.returncode == -9 and "timed out" in slow.stderr
    missing = asyncio.run(run_command(["/nonexistent/mmcli", "-L", "-K"], 1))
    assert missing.returncode == 127


def test_app_with_mmcli_backend_starts_without_modemmanager() -> None:
    """The service must start and say so on /health when mmcli is missing."""
    settings = Settings(
        backend="mmcli", token="t", mmcli_path="/nonexistent/mmcli", echo_urls="http://127.0.0.1:9"
    )
    assert isinstance(build_backend(settings), MmcliModem)

    async def scenario() -> dict:
        from tests.modem_service.conftest import running

        async with running(create_app(settings)) as client:
            return (await client.get("/health")).json()

    health = asyncio.run(scenario())
    assert health["backend"] == "mmcli" and health["present"] is False
