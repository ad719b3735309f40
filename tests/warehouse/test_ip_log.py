"""ip_log keeps the modem's ``seen_as`` label, and ip_ranges counts only real returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from intrend_assets.defs.network.assets import ip_log
from intrend_assets.defs.resources import WarehouseFile
from modem_service.ranges import Sighting, aggregate, classify
from warehouse.db import apply_schema, connect, schema_statements
from warehouse.load import load_ip_log
from warehouse.queries import run_query

T0 = datetime(2026, 5, 1, tzinfo=UTC)

# A day of the modem, oldest first: (ip, source, the label the modem gives it).
LOG = [
    ("209.29.168.1", "start", "first"),
    ("209.29.168.1", "rotate-same", "kept"),  # a rotation that failed to change the IP
    ("209.29.168.2", "rotate", "first"),
    ("209.29.168.2", "start", "restart"),  # the service restarted, the IP stayed
    ("209.29.99.7", "carrier", "first"),  # the carrier changed it on its own
    ("209.29.168.1", "rotate", "returned"),
    ("209.29.168.1", "check", "repeat"),
    ("209.29.168.2", "rotate", "returned"),
    ("209.29.168.1", "rotate", "returned"),
]


def _frame(log: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ip": [ip for ip, _, _ in log],
            "seen_at": [T0 + timedelta(minutes=i) for i in range(len(log))],
            "source": [source for _, source, _ in log],
            "seen_as": [seen_as for _, _, seen_as in log],
        }
    )


def _ranges(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    return {r["cidr"]: r for r in run_query(con, "ip_ranges").to_dicts()}


COUNTS = (
    "distinct_ips",
    "sightings",
    "kept_through_rotation",
    "seen_after_restart",
    "returns",
    "returning_ips",
    "carrier_changes",
    "unlabelled",
)


def test_the_hand_made_log_is_labelled_as_the_modem_labels() -> None:
    sightings = [Sighting(ip, T0 + timedelta(minutes=i), src) for i, (ip, src, _) in enumerate(LOG)]
    assert classify(sightings) == [seen_as for _, _, seen_as in LOG]


def test_only_returned_counts_as_a_return(con: duckdb.DuckDBPyConnection) -> None:
    load_ip_log(con, _frame(LOG))
    rows = _ranges(con)
    assert {k: rows["209.29.168.0/24"][k] for k in COUNTS} == {
        "distinct_ips": 2,
        "sightings": 8,
        "kept_through_rotation": 1,
        "seen_after_restart": 1,
        "returns": 3,
        "returning_ips": 2,
        "carrier_changes": 1,  # the check that found the IP unchanged
        "unlabelled": 0,
    }
    assert {k: rows["209.29.99.0/24"][k] for k in COUNTS} == {
        "distinct_ips": 1,
        "sightings": 1,
        "kept_through_rotation": 0,
        "seen_after_restart": 0,
        "returns": 0,
        "returning_ips": 0,
        "carrier_changes": 1,
        "unlabelled": 0,
    }
    whole = rows["209.29.0.0/16"]
    assert (whole["prefix_len"], whole["sightings"], whole["returns"]) == (16, 9, 3)
    assert (whole["kept_through_rotation"], whole["carrier_changes"]) == (1, 2)


def test_the_warehouse_agrees_with_the_modems_ranges(con: duckdb.DuckDBPyConnection) -> None:
    load_ip_log(con, _frame(LOG))
    ours = {c: r for c, r in _ranges(con).items() if r["prefix_len"] == 24}
    sightings = [Sighting(ip, T0 + timedelta(minutes=i), src) for i, (ip, src, _) in enumerate(LOG)]
    modem = {r.network: r for r in aggregate(sightings, 24)}
    assert set(ours) == set(modem)
    for cidr, r in modem.items():
        assert (
            ours[cidr]["distinct_ips"],
            ours[cidr]["sightings"],
            ours[cidr]["kept_through_rotation"],
            ours[cidr]["seen_after_restart"],
            ours[cidr]["returns"],
            ours[cidr]["returning_ips"],
            ours[cidr]["carrier_changes"],
        ) == (
            r.distinct_ips,
            r.times_seen,
            r.kept_through_rotation,
            r.seen_after_restart,
            r.returns,
            r.returning_ips,
            r.carrier_changes,
        )


def test_rows_from_before_the_label_are_unknown_until_reloaded(tmp_path: Path) -> None:
    """A warehouse whose ip_log predates seen_as: its rows count as sightings, never as
    returns, and a reload from a labelling modem fills the label in."""
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    apply_schema(old, [s for s in schema_statements() if s[0] < "010_ip_log_seen_as.sql"])
    assert "seen_as" not in {r[0] for r in old.execute("DESCRIBE ip_log").fetchall()}
    old.execute(
        "INSERT INTO ip_log VALUES ('10.1.2.3', $t, 'rotate'), ('10.1.2.3', $u, 'rotate-same')",
        {"t": T0, "u": T0 + timedelta(minutes=1)},
    )
    old.close()
    con = connect(path)  # the writable open migrates
    try:
        assert con.execute("SELECT count(*) FROM ip_log WHERE seen_as IS NULL").fetchall() == [(2,)]
        block = _ranges(con)["10.1.2.0/24"]
        assert (block["sightings"], block["returns"], block["unlabelled"]) == (2, 0, 2)
        load_ip_log(
            con, _frame([("10.1.2.3", "rotate", "first"), ("10.1.2.3", "rotate-same", "kept")])
        )
        block = _ranges(con)["10.1.2.0/24"]
        assert (block["sightings"], block["kept_through_rotation"], block["unlabelled"]) == (
            2,
            1,
            0,
        )
    finally:
        con.close()


@dataclass
class _FakeModemClient:
    items: list[dict[str, object]]

    async def ips(self, limit: int = 1000) -> list[dict[str, object]]:
        return self.items[:limit]

    async def aclose(self) -> None:
        return None


@dataclass(frozen=True)
class _FakeModem:
    items: list[dict[str, object]]

    def open_client(self) -> _FakeModemClient:
        return _FakeModemClient(self.items)


def test_the_ip_log_asset_carries_seen_as(tmp_path: Path) -> None:
    """GET /ips items, newest first; the last one from a modem service that does not label."""
    items: list[dict[str, object]] = [
        {"ip": "209.29.168.1", "source": "rotate", "seen_at": "2026-05-01T02:00:00+00:00",
         "seen_as": "returned"},
        {"ip": "209.29.168.2", "source": "rotate", "seen_at": "2026-05-01T01:00:00+00:00",
         "seen_as": "first"},
        {"ip": "209.29.168.1", "source": "start", "seen_at": "2026-05-01T00:00:00+00:00"},
    ]  # fmt: skip
    warehouse = WarehouseFile(tmp_path / "warehouse.duckdb")
    result = dg.materialize(
        [ip_log], resources={"modem": _FakeModem(items), "warehouse": warehouse}
    )
    assert result.success
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("SELECT ip, source, seen_as FROM ip_log ORDER BY seen_at").fetchall()
    assert rows == [
        ("209.29.168.1", "start", None),
        ("209.29.168.2", "rotate", "first"),
        ("209.29.168.1", "rotate", "returned"),
    ]
