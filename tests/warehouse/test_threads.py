"""An update's statements run on one DuckDB thread; whole-table work keeps every thread, and
the setting is always put back (warehouse.load.threads)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import pytest

from warehouse import checks
from warehouse.load import (
    daily,
    load_parsed,
    rebuild_hashtag_daily,
    rebuild_posts_wide,
    refresh_hashtag_daily,
    refresh_posts_wide,
    wide,
)
from warehouse.load import posts as posts_load
from warehouse.load.threads import single_threaded

from .conftest import AS_OF, synthetic_profiles


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def test_one_thread_inside_the_setting_back_after(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET threads = 3")
    with single_threaded(con):
        assert _threads(con) == 1
    assert _threads(con) == 3
    with single_threaded(con, when=False):
        assert _threads(con) == 3


def test_the_setting_comes_back_after_an_error(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET threads = 3")
    with pytest.raises(ZeroDivisionError), single_threaded(con):
        1 / 0  # noqa: B018 - the error is the point
    assert _threads(con) == 3


def _spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, seen: list[int]) -> None:
    """Record the thread setting each time ``module.name`` is called."""
    real = getattr(module, name)

    def spy(connection: duckdb.DuckDBPyConnection, *args: Any, **kwargs: Any) -> Any:
        seen.append(_threads(connection))
        return real(connection, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)


def test_an_update_runs_on_one_thread_and_a_rebuild_on_all(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    con.execute("SET threads = 3")
    loads: list[int] = []
    folds: list[int] = []
    rewrites: list[int] = []
    _spy(monkeypatch, posts_load, "_find_known", loads)
    _spy(monkeypatch, daily, "_fold", folds)
    _spy(monkeypatch, wide, "_rewrite_rows", rewrites)
    with monkeypatch.context() as bulk:  # too many posts to look up by key: joined
        bulk.setattr(posts_load, "lookup_ids", lambda ids: None)
        load_parsed(con, synthetic_profiles(profiles=6, posts_per_profile=20))
    rebuild_hashtag_daily(con)
    rebuild_posts_wide(con)
    update = synthetic_profiles(profiles=2, posts_per_profile=10, fetched_at=AS_OF + timedelta(1))
    load_parsed(con, update)
    refresh_hashtag_daily(con)
    refresh_posts_wide(con)
    assert loads == [3, 1]  # the bulk load on every thread, the update on one
    assert folds == [1]
    assert rewrites == [1]
    assert _threads(con) == 3


def test_the_checks_of_an_update_run_on_one_thread(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    con.execute("SET threads = 3")
    load_parsed(con, synthetic_profiles(profiles=4, posts_per_profile=10))
    rebuild_hashtag_daily(con)
    rebuild_posts_wide(con)
    seen: list[int] = []
    _spy(monkeypatch, checks, "_unique_post_id", seen)
    with checks.reads_shared(con):  # after full rebuilds: every row, every thread
        checks.posts_unique(con, changed_only=True)
    update = synthetic_profiles(profiles=1, posts_per_profile=10, fetched_at=AS_OF + timedelta(1))
    load_parsed(con, update)
    refresh_hashtag_daily(con)
    refresh_posts_wide(con)
    with checks.reads_shared(con):
        passed, _ = checks.posts_unique(con, changed_only=True)
    assert passed
    assert seen == [3, 1]
    assert _threads(con) == 3
