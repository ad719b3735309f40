"""The plain rows (baseline, 1-11): one ranged run while the fault is armed, the audit, and a
rerun on the same instance (re-armed for faults that persist)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.faults.common import (
    Effect,
    Fault,
    Result,
    audit,
    compare,
    given_names,
    materialize,
    register,
    wide_snapshot,
)


def spoil_zstd_objects(data_dir: Path, names: list[str], count: int) -> list[str]:
    """Cut the latest stored object of ``count`` profiles in half (a torn write on disk)."""
    from intrend_assets.raw_store.store import LocalRawStore

    store = LocalRawStore(data_dir / "raw")
    spoiled = []
    for name in names:
        latest = store.latest(name)
        if latest is None:
            continue
        path = store.root / latest.key
        blob = path.read_bytes()
        path.write_bytes(blob[: len(blob) // 2])
        spoiled.append(name)
        if len(spoiled) >= count:
            break
    return spoiled


def run_plain(fault: Fault, world: Any, names: list[str], base: Path) -> Result:
    import dagster as dg

    result = Result(fault.name)
    data_dir = base / "data"
    urls = world.addresses()
    given = given_names(fault, world, names)
    effect = Effect(world)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dagster-", dir=base) as home:
        instance = dg.DagsterInstance.ephemeral(tempdir=home)
        register(instance, given)
        fault.arm(world, given)
        if fault.kind == "split_posts":
            ok = materialize(
                urls,
                world.modem_token,
                data_dir,
                instance,
                fault.settings,
                stages=(("raw_profile",),),
            )
            spoiled = spoil_zstd_objects(data_dir, names[3:], 3)
            result.note = f"zstd objects cut: {len(spoiled)}"
            ok = (
                materialize(
                    urls,
                    world.modem_token,
                    data_dir,
                    instance,
                    fault.settings,
                    stages=(("posts",), ("hashtag_daily", "posts_wide")),
                )
                and ok
            )
        else:
            ok = materialize(urls, world.modem_token, data_dir, instance, fault.settings)
        result.runs_ok = ok
        result.peak_connections = world.peak_proxy_connections
        result.seconds = time.monotonic() - started
        result.note = "; ".join(t for t in (result.note, effect.text()) if t)
        audit(result, given, data_dir)
        first = wide_snapshot(data_dir / "warehouse.duckdb")
        world.reset_faults()
        if fault.persistent:
            fault.arm(world, given)
        ok = materialize(urls, world.modem_token, data_dir, instance, fault.settings)
        result.runs_ok = result.runs_ok and ok
        result.peak_connections = max(result.peak_connections, world.peak_proxy_connections)
        second = wide_snapshot(data_dir / "warehouse.duckdb")
        result.rerun = compare(first, second)
        # Whatever the first run left, the rerun must not lose or duplicate either.
        after = Result(fault.name)
        audit(after, given, data_dir)
        result.dup_posts = max(result.dup_posts, after.dup_posts)
        result.lost = sorted(set(result.lost) | set(after.lost))
        instance.dispose()
    world.reset_faults()
    return result
