"""A writable open applies the schema only when it differs from the one last applied."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse import db
from warehouse.db import applied_digest, connect, schema_digest, schema_statements

# A schema file that counts how often the schema is applied.
PROBE = (
    "999_probe.sql",
    "CREATE TABLE IF NOT EXISTS probe (n INTEGER); INSERT INTO probe VALUES (1);",
)


def _with(monkeypatch: pytest.MonkeyPatch, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    statements = [*schema_statements(), *extra]
    monkeypatch.setattr(db, "schema_statements", lambda: statements)
    return statements


def _applies(path: Path) -> int:
    con = connect(path)
    try:
        return con.execute("SELECT count(*) FROM probe").fetchall()[0][0]
    finally:
        con.close()


def test_reopen_skips_unchanged_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    statements = _with(monkeypatch, PROBE)
    assert [_applies(path) for _ in range(3)] == [1, 1, 1]
    con = connect(path, read_only=True)
    try:
        assert applied_digest(con) == schema_digest(statements)
    finally:
        con.close()


def test_changed_schema_applies_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    _with(monkeypatch, PROBE)
    assert _applies(path) == 1
    # A new schema file: the whole schema applies once more, then is skipped again.
    _with(monkeypatch, PROBE, ("998_new.sql", "CREATE TABLE IF NOT EXISTS newer (x INTEGER);"))
    assert [_applies(path) for _ in range(2)] == [2, 2]
    # An edited statement counts as a change too.
    _with(monkeypatch, PROBE, ("998_new.sql", "CREATE TABLE IF NOT EXISTS newer (y INTEGER);"))
    assert _applies(path) == 3


def test_warehouse_without_digest_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    _with(monkeypatch, PROBE)
    assert _applies(path) == 1
    raw = duckdb.connect(str(path))
    raw.execute("DROP TABLE applied_schema")  # as a warehouse from before the digest
    raw.close()
    assert [_applies(path) for _ in range(2)] == [2, 2]


def test_failed_apply_keeps_old_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    before = schema_digest(_with(monkeypatch))
    connect(path).close()
    _with(monkeypatch, PROBE, ("999_zbad.sql", "SELECT * FROM no_such_table;"))
    with pytest.raises(duckdb.CatalogException):
        connect(path)
    con = connect(path, read_only=True)
    try:
        assert applied_digest(con) == before
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        assert "probe" not in tables  # rolled back with the digest
    finally:
        con.close()
    _with(monkeypatch, PROBE)
    assert _applies(path) == 1


def test_memory_warehouse_gets_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    statements = _with(monkeypatch, PROBE)
    for _ in range(2):  # each :memory: open is a new, empty warehouse
        con = connect(":memory:")
        try:
            assert con.execute("SELECT count(*) FROM probe").fetchall() == [(1,)]
            assert applied_digest(con) == schema_digest(statements)
        finally:
            con.close()
