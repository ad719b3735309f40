"""GET /ips, GET /ranges, GET /metrics through the API; the log survives a restart."""

import asyncio
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from modem_service import Settings, create_app
from modem_service.iplog import IpLog, make_engine
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated


def _settings(**overrides: object) -> Settings:
    return Settings(backend="simulated", token=TOKEN, **overrides)  # type: ignore[arg-type]


def test_ips_newest_first_paged_and_filtered() -> None:
    async def scenario() -> tuple[dict, dict, dict, dict]:
        async with running(create_app(_settings(), backend=simulated())) as client:
            rotated = [(await client.post("/rotate", headers=AUTH)).json() for _ in range(4)]
            everything = (await client.get("/ips", headers=AUTH)).json()
            page = (await client.get("/ips?limit=2&offset=1", headers=AUTH)).json()
            future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            later = (await client.get("/ips", params={"since": future}, headers=AUTH)).json()
            past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
            recent = (await client.get("/ips", params={"since": past}, headers=AUTH)).json()
            assert rotated[-1]["new_ip"] == everything["items"][0]["ip"]
            return everything, page, later, recent

    everything, page, later, recent = asyncio.run(scenario())
    items = everything["items"]
    assert everything["total"] == 5 and [i["source"] for i in items] == ["rotate"] * 4 + ["start"]
    assert page["items"] == items[1:3] and page["total"] == 5
    assert later["items"] == [] and recent["total"] == 5
    stamps = [datetime.fromisoformat(i["seen_at"]) for i in items]
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in stamps)
    assert stamps == sorted(stamps, reverse=True)
    assert abs(datetime.now(UTC) - stamps[0]) < timedelta(minutes=5)


def test_ranges_endpoint_on_known_log() -> None:
    app = create_app(_settings(), backend=simulated())

    async def scenario() -> tuple[dict, dict, int]:
        async with running(app) as client:
            iplog: IpLog = app.state.services.iplog
            for ip in ["209.29.168.10", "209.29.168.11", "209.29.168.10", "209.29.99.7"]:
                iplog.record(ip, "rotate")
            by24 = (await client.get("/ranges?prefix=24", headers=AUTH)).json()
            by16 = (await client.get("/ranges?prefix=16", headers=AUTH)).json()
            bad = (await client.get("/ranges?prefix=200", headers=AUTH)).status_code
            return by24, by16, bad

    by24, by16, bad = asyncio.run(scenario())
    rows = {r["network"]: r for r in by24["items"]}
    assert set(rows) == {"209.29.168.0/24", "209.29.99.0/24"}
    assert rows["209.29.99.0/24"]["share_of_rotations"] == 0.25
    assert rows["209.29.99.0/24"]["distinct_ips"] == 1
    (only,) = by16["items"]
    assert only["network"] == "209.29.0.0/16" and only["share_of_rotations"] == 1.0
    assert bad == 422


def test_metrics_parse_as_prometheus_text() -> None:
    modem = simulated()

    async def scenario() -> str:
        app = create_app(_settings(cooldown_seconds=60), backend=modem)
        async with running(app) as client:
            await asyncio.gather(*(client.post("/rotate", headers=AUTH) for _ in range(5)))
            await client.get("/ip", headers=AUTH)
            return (await client.get("/metrics", headers=AUTH)).text

    families = {f.name: f for f in text_string_to_metric_families(asyncio.run(scenario()))}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("modem_rotations_total", (("result", "changed"),))] == 1
    assert samples[("modem_rotations_total", (("result", "coalesced"),))] == 4
    assert samples[("modem_ip_changes_total", ())] == 1
    assert samples[("modem_rotation_duration_seconds_count", ())] == 1
    assert samples[("modem_ip_uptime_seconds", ())] >= 0
    assert families["modem_rotation_duration_seconds"].type == "histogram"


def test_two_apps_do_not_share_metrics() -> None:
    async def one() -> str:
        async with running(create_app(_settings(), backend=simulated())) as client:
            await client.post("/rotate", headers=AUTH)
            return (await client.get("/metrics", headers=AUTH)).text

    first, second = asyncio.run(one()), asyncio.run(one())
    assert 'modem_rotations_total{result="changed"} 1.0' in first
    assert 'modem_rotations_total{result="changed"} 1.0' in second


def test_log_survives_restart(tmp_path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'iplog.sqlite3'}"

    async def lifetime(seed: int) -> list[str]:
        app = create_app(_settings(database_url=url), backend=simulated(seed=seed))
        async with running(app) as client:
            await client.post("/rotate", headers=AUTH)
            return [i["ip"] for i in (await client.get("/ips", headers=AUTH)).json()["items"]]

    first = asyncio.run(lifetime(1))
    second = asyncio.run(lifetime(2))
    assert len(first) == 2 and second[-2:] == first and len(second) == 4
    # And the file is readable by a plain IpLog, schema already there.
    assert len(IpLog(make_engine(url)).sightings()) == 4


def test_ip_check_logs_a_carrier_initiated_change() -> None:
    modem = simulated()

    async def scenario() -> list[dict]:
        async with running(create_app(_settings(ip_cache_seconds=0), backend=modem)) as client:
            await client.get("/ip", headers=AUTH)  # same IP as at start: not logged again
            await modem.step("reconnect")  # the carrier moved us behind the service's back
            await client.get("/ip", headers=AUTH)
            return (await client.get("/ips", headers=AUTH)).json()["items"]

    items = asyncio.run(scenario())
    assert [i["source"] for i in items] == ["carrier", "start"]


def test_ips_and_ranges_tell_kept_restart_and_returned_apart(tmp_path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'iplog.sqlite3'}"
    modem = simulated(seed=3)

    async def lifetime(stuck: int) -> tuple[list[dict], dict]:
        app = create_app(_settings(database_url=url, ip_check_seconds=0), backend=modem)
        async with running(app) as client:
            modem.stuck_rotations = stuck
            await client.post("/rotate", headers=AUTH)
            ips = (await client.get("/ips", headers=AUTH)).json()["items"]
            ranges = (await client.get("/ranges?prefix=16", headers=AUTH)).json()["items"]
            return ips, ranges[0]

    asyncio.run(lifetime(stuck=10))  # start, then a walk of the ladder that kept the IP
    ips, row = asyncio.run(lifetime(stuck=0))  # restart on that IP, then a new one
    assert [(i["source"], i["seen_as"]) for i in reversed(ips)] == [
        ("start", "first"),
        ("rotate-same", "kept"),
        ("start", "restart"),
        ("rotate", "first"),
    ]
    assert (row["kept_through_rotation"], row["seen_after_restart"]) == (1, 1)
    assert (row["returns"], row["returning_ips"]) == (0, 0)
