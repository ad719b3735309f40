"""The HiLink backend through huawei-lte-api against a fake stick on a loopback port."""

import asyncio
from collections.abc import Iterator

import pytest

from modem_service.backends.hilink import HilinkModem, local_address_towards
from modem_service.rotation import Rotator
from tests.modem_service.conftest import sample, serve
from tests.modem_service.fake_hilink import FakeHilink, FakeHilinkEcho


@pytest.fixture
def stick() -> Iterator[tuple[FakeHilink, str]]:
    fake = FakeHilink()
    with serve(fake.app()) as base:
        yield fake, base + "/"


def _backend(fake: FakeHilink, url: str) -> tuple[HilinkModem, FakeHilinkEcho]:
    echo = FakeHilinkEcho(fake)
    backend = HilinkModem(
        echo,
        url=url,
        timeout=5,
        bind_address="192.168.8.100",
        off_seconds=0.05,
        connect_timeout=2,
        reboot_timeout=2,
        poll_interval=0.01,
    )
    return backend, echo


def test_state_from_monitoring_status(stick) -> None:
    fake, url = stick
    backend, _ = _backend(fake, url)

    async def scenario() -> None:
        state = await backend.state()
        assert state.present and state.connected
        assert state.detail == {"connection_status": "connected"}
        fake.connection_status = "902"
        assert not (await backend.state()).connected
        await backend.aclose()

    asyncio.run(scenario())


def test_data_toggle_rotates_with_separate_sessions(stick) -> None:
    fake, url = stick
    backend, echo = _backend(fake, url)

    async def scenario():
        try:
            return await Rotator(backend).rotate()
        finally:
            await backend.aclose()

    result = asyncio.run(scenario())
    assert result.changed and result.steps == ["data_toggle"]
    assert result.old_ip == "209.29.168.20" and result.new_ip == "209.29.168.21"
    assert [body.count(">0<") for _, body in fake.writes] == [1, 0]
    assert set(echo.binds) == {"192.168.8.100"}
    writer = {s for m, p, s in fake.requests if m == "POST"}
    poller = {s for m, p, s in fake.requests if p.endswith("monitoring/status")}
    assert len(writer) == 1 and len(poller) == 1 and writer != poller


def test_stale_token_125003_is_recovered(stick) -> None:
    fake, url = stick
    backend, _ = _backend(fake, url)

    async def scenario():
        try:
            await backend.state()  # open the status session
            await backend.step("data_toggle")  # open the writer session
            fake.expire_tokens()  # the stick forgets every CSRF token it gave out
            return await Rotator(backend).rotate()
        finally:
            await backend.aclose()

    result = asyncio.run(scenario())
    assert 125003 in fake.errors_sent
    assert result.changed and result.errors == []
    assert backend.write_session.renewals == 1


def test_lost_session_125002_is_recovered(stick) -> None:
    fake, url = stick
    backend, _ = _backend(fake, url)

    async def scenario():
        try:
            await backend.step("data_toggle")
            fake.drop_sessions()
            return await Rotator(backend).rotate()
        finally:
            await backend.aclose()

    result = asyncio.run(scenario())
    assert 125002 in fake.errors_sent
    assert result.changed and result.errors == []


def test_stuck_ip_escalates_to_redial_then_reboot(stick) -> None:
    fake, url = stick
    fake.stuck_toggles = 3
    backend, _ = _backend(fake, url)

    async def scenario():
        try:
            return await Rotator(backend, max_attempts=2).rotate()
        finally:
            await backend.aclose()

    result = asyncio.run(scenario())
    assert result.steps == ["data_toggle", "data_toggle", "redial", "reboot"]
    assert result.changed_by == "reboot" and result.escalated
    paths = [p for p, _ in fake.writes]
    assert "/api/dialup/dial" in paths and paths[-1] == "/api/device/control"
    assert "<Control>1</Control>" in fake.writes[-1][1]


def test_unreachable_stick() -> None:
    backend, _ = _backend(FakeHilink(), "http://127.0.0.1:9/")
    state = asyncio.run(backend.state())
    assert not state.present and not state.connected


def test_older_firmware_wan_address_is_only_detail() -> None:
    """WanIPAddress (older firmware) is the carrier-side address, never the public IP."""
    fake = FakeHilink(status_sample=sample("hilink_status_with_wan.xml"))
    with serve(fake.app()) as base:
        backend, _ = _backend(fake, base + "/")

        async def scenario():
            try:
                return await backend.state(), await backend.public_ip()
            finally:
                await backend.aclose()

        state, public = asyncio.run(scenario())
    assert state.detail["carrier_address"] == "10.115.89.118"
    assert public == fake.public_ip != "10.115.89.118"


def test_echo_binds_to_our_address_on_the_sticks_network(stick) -> None:
    fake, url = stick
    echo = FakeHilinkEcho(fake)
    backend = HilinkModem(echo, url=url, timeout=5)  # no bind address configured
    assert asyncio.run(backend.public_ip()) == fake.public_ip
    assert echo.binds == ["127.0.0.1"]  # the address that routes to the stick
    assert local_address_towards("http:///nohost") is None
