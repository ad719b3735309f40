"""The contract the loader takes is the one the tables hold and the one the parser builds."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import polars as pl
import pytest

import intrend_assets.hashtags
from intrend_assets.parsing.profile import parse_profile
from warehouse import contract
from warehouse.db import connect
from warehouse.load import load_parsed

from .conftest import node, page_body, profile_body


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    yield con
    con.close()


@pytest.mark.parametrize(
    ("table", "schema"),
    [
        ("posts", contract.POSTS_SCHEMA),
        ("profiles", contract.PROFILE_SCHEMA),
        ("fetch_log", contract.FETCH_LOG_SCHEMA),
        ("ip_log", contract.IP_LOG_SCHEMA),
    ],
)
def test_every_contract_column_is_a_table_column_of_the_same_type(
    con: duckdb.DuckDBPyConnection, table: str, schema: pl.Schema
) -> None:
    stored = con.sql(f"SELECT * FROM {table} LIMIT 0").pl().schema
    assert {name: stored.get(name) for name in schema} == dict(schema)


def test_the_parser_builds_the_contract(con: duckdb.DuckDBPyConnection) -> None:
    fetched = datetime(2026, 5, 1, tzinfo=UTC)
    owner = ("7", "alice")
    full = parse_profile(
        profile_body("7", "alice", [node("1", owner, fetched, "#Café")]), fetched_at=fetched
    )
    page = parse_profile(page_body([node("2", owner, fetched, None)]), fetched_at=fetched)
    assert (full.is_full, page.is_full) == (True, False)
    assert set(full.profile) == set(contract.PROFILE_FIELDS)
    assert full.posts.schema == contract.POSTS_SCHEMA
    frame = contract.profiles_frame_from_answers([full, page])
    assert frame.schema == contract.PROFILES_FRAME_SCHEMA
    assert frame["is_full"].to_list() == [True, False]
    assert load_parsed(con, [full, page]).posts == 2


def test_the_hashtag_key_is_the_warehouses() -> None:
    assert intrend_assets.hashtags.normalize_hashtag is contract.normalize_hashtag
    assert contract.normalize_hashtag("#CAFE\u0301") == "café"
