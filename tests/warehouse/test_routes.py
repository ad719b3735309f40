"""The route in the warehouse: fetch_log and ip_log carry it (migration 013), ip_ranges counts
each route's carrier blocks apart and all routes together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from intrend_assets.defs.network.assets import ip_log
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.fetching.routes import EgressRoute, ModemPool
from tests.fakes import FakeModem
from warehouse.db import apply_schema, connect, schema_statements
from warehouse.load import load_fetch_log, load_ip_log
from warehouse.queries import run_query

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _sightings(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ip": [ip for ip, _ in rows],
            "seen_at": [T0 + timedelta(minutes=i) for i in range(len(rows))],
            "source": ["rotate"] * len(rows),
            "seen_as": ["first"] * len(rows),
            "route": [route for _, route in rows],
        }
    )


def test_ip_ranges_per_route_and_across_routes(con: duckdb.DuckDBPyConnection) -> None:
    load_ip_log(
        con,
        _sightings(
            [
                ("209.29.168.1", "a"),
                ("209.29.168.2", "a"),
                ("209.30.168.1", "b"),
                ("209.29.168.9", "b"),
            ]
        ),
    )
    rows = {
        (r["route"], r["prefix_len"], r["cidr"]): r for r in run_query(con, "ip_ranges").to_dicts()
    }
    assert rows[(None, 24, "209.29.168.0/24")]["sightings"] == 3  # across routes
    assert rows[("a", 24, "209.29.168.0/24")]["sightings"] == 2
    assert rows[("b", 24, "209.29.168.0/24")]["sightings"] == 1
    assert rows[("b", 16, "209.30.0.0/16")]["share"] == 0.5  # of route b's sightings
    assert ("a", 16, "209.30.0.0/16") not in rows
    assert rows[(None, 16, "209.29.0.0/16")]["share"] == 0.75


def test_one_route_gives_the_rows_it_always_did(con: duckdb.DuckDBPyConnection) -> None:
    load_ip_log(con, _sightings([("209.29.168.1", "modem"), ("209.29.99.1", "modem")]))
    ranges = run_query(con, "ip_ranges")
    assert ranges.height == 3  # one /16 and two /24 blocks, no per-route copies
    assert set(ranges["route"].to_list()) == {None}


def test_rows_from_before_routes_are_the_one_modems(tmp_path: Path) -> None:
    """A warehouse from before migration 013: its rows become route 'modem', and the same
    sighting loaded again from that modem (now named) is the same row, not a second one."""
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    apply_schema(old, [s for s in schema_statements() if s[0] < "013_routes.sql"])
    old.execute(
        "INSERT INTO ip_log (ip, seen_at, source) VALUES ('10.1.2.3', $t, 'rotate')", {"t": T0}
    )
    old.execute(
        "INSERT INTO fetch_log (requested_at, username, run_id, attempt) VALUES ($t, 'u', 'r', 1)",
        {"t": T0},
    )
    old.close()
    con = connect(path)
    try:
        assert con.execute("SELECT route FROM fetch_log").fetchall() == [("modem",)]
        load_ip_log(con, _sightings([("10.1.2.3", "modem")]))
        assert con.execute("SELECT count(*), any_value(route) FROM ip_log").fetchall() == [
            (1, "modem")
        ]
        # A request-log batch written before the route column: the one modem too.
        batch = pl.DataFrame(
            {"requested_at": [T0], "username": ["v"], "run_id": ["r"], "attempt": [1]}
        )
        load_fetch_log(con, batch)
        assert con.execute("SELECT route FROM fetch_log WHERE username = 'v'").fetchall() == [
            ("modem",)
        ]
    finally:
        con.close()


def test_the_ip_log_asset_reads_every_routes_modem(tmp_path: Path) -> None:
    """Each route's modem service gives its own sightings; each row is named by its route
    as the code location knows it (the same IP at the same time on two routes: two rows)."""
    a, b = FakeModem(), FakeModem()
    b.state.ips[:] = ["10.64.0.1", "100.70.0.1"]
    routes = (EgressRoute("a", a, None), EgressRoute("b", b, None))
    pool = ModemPool("http://modem.invalid", None, 1.0, routes)
    warehouse = WarehouseFile(tmp_path / "warehouse.duckdb")
    assert dg.materialize([ip_log], resources={"modem": pool, "warehouse": warehouse}).success
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("SELECT route, ip FROM ip_log ORDER BY route, ip").fetchall()
    assert rows == [("a", "10.64.0.1"), ("b", "10.64.0.1"), ("b", "100.70.0.1")]
