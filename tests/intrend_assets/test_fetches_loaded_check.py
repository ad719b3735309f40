"""``fetches_loaded``: a fetch stored but kept out of the warehouse (pending too long, or set
aside) fails a check, with its key and reason, instead of going unnoticed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

import intrend_assets.loading.queue as parsed
from intrend_assets.defs.resources import WarehouseFile
from intrend_assets.defs.warehouse.checks import fetches_loaded
from intrend_assets.defs.warehouse.posts import posts
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.loading.watch import PendingLimit, unloaded_fetches
from intrend_assets.raw_store.store import LocalRawStore
from tests.intrend_assets.test_pending_loads import _answer, _fetch

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
LIMIT = PendingLimit(hours=6)


def _queue(store: LocalRawStore, name: str, age: timedelta) -> str:
    obj = store.put(name, NOW - age, _answer(name, [1, 2]))
    store.mark_pending(obj)
    return obj.key


def test_an_empty_queue_and_a_fresh_fetch_pass(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    assert unloaded_fetches(store, LIMIT, NOW)[0]
    _queue(store, "alice", timedelta(minutes=30))  # a run is loading it right now
    passed, metadata = unloaded_fetches(store, LIMIT, NOW)
    assert passed and metadata["pending"] == 1 and metadata["pending_too_long"] == 0


def test_a_fetch_pending_longer_than_the_limit_fails(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    _queue(store, "alice", timedelta(hours=1))
    old = _queue(store, "bob", timedelta(hours=7))
    passed, metadata = unloaded_fetches(store, LIMIT, NOW)
    assert not passed
    assert metadata["pending_too_long_keys"] == [old]
    assert metadata["pending"] == 2 and metadata["max_pending_hours"] == 6
    assert unloaded_fetches(store, PendingLimit(hours=8), NOW)[0]  # the limit is a setting


def test_a_fetch_set_aside_fails_at_once_with_its_reason(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    key = _queue(store, "alice", timedelta(minutes=1))
    (obj,) = store.pending()
    store.set_aside_pending(obj, "ConstraintException: Duplicate key")
    store.clear_pending([obj])
    passed, metadata = unloaded_fetches(store, LIMIT, NOW)
    assert not passed
    assert metadata["set_aside"] == 1
    assert metadata["set_aside_reasons"] == {key: "ConstraintException: Duplicate key"}


def test_the_check_fails_after_a_load_that_set_a_fetch_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, db = tmp_path / "raw", tmp_path / "w.duckdb"
    store = LocalRawStore(root)
    _fetch(store, ["alice", "bob"])
    real = parsed.load_parsed

    def refuses_bob(con, batch):  # type: ignore[no-untyped-def]
        if any(p.username == "bob" for p in batch):
            raise duckdb.ConstraintException("Duplicate key")
        return real(con, batch)

    monkeypatch.setattr(parsed, "load_parsed", refuses_bob)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [posts, fetches_loaded],
            resources={
                "raw_store": store,
                "warehouse": WarehouseFile(db),
                "pending_limit": LIMIT,
                "metrics": MetricsGateway(None),
            },
            instance=instance,
        )
    assert result.success  # the load went on without bob; the check says so
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "fetches_loaded" and not evaluation.passed
    reasons = evaluation.metadata["set_aside_reasons"].value
    assert list(reasons) == [store.latest("bob").key]  # type: ignore[union-attr]
    assert "Duplicate key" in next(iter(reasons.values()))  # type: ignore[union-attr]
