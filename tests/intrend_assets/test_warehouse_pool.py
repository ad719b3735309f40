"""Every DuckDB writer funnels through the ``warehouse`` pool, whatever the executor.

A pool is claimed from the Dagster instance's storage (PostgreSQL past one machine), not from
the executor, so in-process, multiprocess, Celery or Kubernetes steps on any machine wait for
the same one slot, as long as each step that writes the file declares the pool. This reads
the code location: every step (asset, check, job op) and every sensor whose code opens the
warehouse, the functions of its module it calls included, is classified as a writer
(``connect()``) or a reader (``connect_published()``, or ``connect(read_only=True)``);
every writer must carry ``pool="warehouse"``, and no sensor may write (a sensor tick is in
no pool).
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from collections.abc import Callable, Iterator

import dagster as dg

from intrend_assets.definitions import defs

WAREHOUSE_POOL = "warehouse"


def _functions_reached(fn: Callable[..., object]) -> Iterator[ast.AST]:
    """The syntax trees of ``fn`` and of the functions of its module it calls, transitively."""
    module = sys.modules[fn.__module__]
    seen: set[str] = set()
    todo = [fn]
    while todo:
        current = todo.pop()
        if current.__qualname__ in seen:
            continue
        seen.add(current.__qualname__)
        tree = ast.parse(textwrap.dedent(inspect.getsource(current)))
        yield tree
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called = getattr(module, node.func.id, None)
                if inspect.isfunction(called) and called.__module__ == module.__name__:
                    todo.append(called)


def _writes_warehouse(fn: Callable[..., object]) -> bool:
    """Whether ``fn`` (or what it calls in its module) opens the warehouse for writing."""
    for tree in _functions_reached(fn):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            read_only = any(
                k.arg == "read_only" and isinstance(k.value, ast.Constant) and k.value.value
                for k in node.keywords
            )
            if name == "connect" and not read_only:
                return True
    return False


def _steps() -> dict[str, dg.OpDefinition]:
    """Every op of the code location's jobs (asset and check steps included), by name."""
    found: dict[str, dg.OpDefinition] = {}
    for job in defs.get_repository_def().get_all_jobs():
        for node_def in job.all_node_defs:
            if isinstance(node_def, dg.OpDefinition):
                found[node_def.name] = node_def
    return found


def _writers() -> dict[str, str | None]:
    """The steps that open the warehouse for writing, with their pools."""
    return {
        name: op.pool
        for name, op in _steps().items()
        if "warehouse" in op.required_resource_keys
        and _writes_warehouse(op.compute_fn.decorated_fn)
    }


def test_every_warehouse_writer_is_in_the_warehouse_pool() -> None:
    writers = _writers()
    assert {name: pool for name, pool in writers.items() if pool != WAREHOUSE_POOL} == {}
    # The analysis sees the writers we know of, and not the readers.
    known = {"posts", "hashtag_daily", "posts_wide", "fetch_log", "ip_log", "fetch_stats"}
    assert known | {"ip_ranges", "load_rate_limit_experiment"} <= set(writers)
    assert not {"trend_report", "warehouse_checks"} & set(writers)


def test_the_rate_limit_experiment_writes_from_the_warehouse_pool() -> None:
    """It rotates the modem in the ``instagram`` pool and used to write DuckDB from there,
    beside a posts load on the file's lock: its writes are now a second op's."""
    steps = _steps()
    assert steps["rate_limit_experiment"].pool == "instagram"
    assert not _writes_warehouse(steps["rate_limit_experiment"].compute_fn.decorated_fn)
    assert steps["load_rate_limit_experiment"].pool == WAREHOUSE_POOL


def test_no_sensor_writes_the_warehouse() -> None:
    """A sensor tick runs in the daemon, in no pool: it may only read the published copy."""
    sensors = defs.get_repository_def().sensor_defs
    readers = [s for s in sensors if "warehouse" in s.required_resource_keys]
    assert readers, "the alert sensor reads the warehouse"
    assert [s.name for s in readers if _writes_warehouse(s._raw_fn)] == []


def test_the_analysis_tells_a_writer_from_a_reader() -> None:
    """What the tests above rest on, on functions written for it."""

    def writer(warehouse) -> None:  # type: ignore[no-untyped-def]
        with warehouse.connect() as con:
            con.execute("CREATE TABLE t (x INT)")

    def reader(warehouse) -> None:  # type: ignore[no-untyped-def]
        with warehouse.connect_published() as con:
            con.execute("SELECT 1")
        with warehouse.connect(read_only=True) as con:
            con.execute("SELECT 1")

    assert _writes_warehouse(writer)
    assert not _writes_warehouse(reader)
