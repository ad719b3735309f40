"""Rows 16-18 on an instance with pools (the project's own): the dead slot, and the
decompression bombs, upstream and in the raw store, under which the peak RSS counts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.faults.children import _stage_child, pools_home
from benchmarks.faults.common import (
    Fault,
    Result,
    _instance,
    audit,
    audit_and_rerun,
    materialize,
    register,
)
from benchmarks.faults.kills import run_dead_slot


def write_zstd_bombs(data_dir: Path, names: list[str], count: int) -> list[str]:
    """Replace the latest stored object of ``count`` profiles with 64 KB of zstd that
    decodes to 2 GiB: the first a streaming frame (no size in its header), the others as
    the store writes frames (size stated)."""
    import zstandard

    from intrend_assets.raw_store.store import LocalRawStore

    store = LocalRawStore(data_dir / "raw")
    zeros = bytes(1 << 20)
    bombed: list[str] = []
    for name in names:
        latest = store.latest(name)
        if latest is None:
            continue
        size = (2 << 30) if bombed else -1
        packer = zstandard.ZstdCompressor(level=3).compressobj(size=size)
        parts = [packer.compress(zeros) for _ in range(2048)]
        (store.root / latest.key).write_bytes(b"".join([*parts, packer.flush()]))
        bombed.append(name)
        if len(bombed) >= count:
            break
    return bombed


def run_bomb(fault: Fault, result: Result, world: Any, spec: dict[str, Any], base: Path) -> None:
    """Rows 17-18: the asset under the bomb runs in a child process, whose peak RSS counts;
    the stages before and after it run here."""
    home = pools_home(base)
    data_dir = Path(spec["data_dir"])
    instance = _instance(home)
    register(instance, spec["names"])
    try:
        if fault.kind == "answer_bomb":
            fault.arm(world, spec["names"])
            code, rss, err = _stage_child({**spec, "stages": [["raw_profile"]]}, base, home)
            result.note = f"bombs answered {world.faults.snapshot()['used']['bomb']}"
            asset, after = "raw_profile", (("posts",), ("hashtag_daily", "posts_wide"))
        else:
            ok = materialize(
                spec["urls"], spec["token"], data_dir, instance, {}, (("raw_profile",),)
            )
            bombed = write_zstd_bombs(data_dir, spec["names"][3:], 3)
            result.note = f"objects bombed {len(bombed)}"
            code, rss, err = _stage_child({**spec, "stages": [["posts"]]}, base, home)
            code = code or int(not ok)
            asset, after = "posts", (("hashtag_daily", "posts_wide"),)
        result.peak_connections = world.peak_proxy_connections
        world.reset_faults()
        ok = materialize(spec["urls"], spec["token"], data_dir, instance, {}, after)
    finally:
        instance.dispose()
    result.peak_rss = rss
    result.note += f"; peak RSS of {asset} {rss / 2**20:.0f} MiB"
    if code != 0 or not ok:
        result.runs_ok = False
        result.note += f" (rc {code}: {err})" if code else ""


def run_guard_fault(
    fault: Fault, result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    """Rows 16-18 on an instance with pools (the project's own), then the audit and a rerun
    that must change nothing, as for the other rows."""
    data_dir = base / "data"
    spec: dict[str, Any] = {
        "data_dir": str(data_dir),
        "urls": world.addresses(),
        "token": world.modem_token,
        "names": given,
    }
    if fault.kind == "dead_slot":
        run_dead_slot(result, world, spec, base)
        if not result.runs_ok:  # the slot may still be held: a rerun would wait for ever
            result.rerun = "not run"
            if (data_dir / "warehouse.duckdb").exists():
                audit(result, given, data_dir)
            return result
    else:
        run_bomb(fault, result, world, spec, base)
    result.seconds = time.monotonic() - started
    result.peak_connections = max(result.peak_connections, world.peak_proxy_connections)
    world.reset_faults()
    return audit_and_rerun(result, world, given, data_dir, base / "dagster-home")
