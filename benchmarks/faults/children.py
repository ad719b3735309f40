"""Stages run in child processes (``--child SPEC``), so that a row can kill one or measure its
peak memory; and the DAGSTER_HOME with the instance config ``intrend serve`` writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks.faults.common import ROOT, materialize


def child_main(spec_path: str) -> int:
    """``--child SPEC``: one pipeline run in this process (instance from DAGSTER_HOME)."""
    import dagster as dg

    warnings.filterwarnings("ignore")
    spec = json.loads(Path(spec_path).read_text())
    data_dir = Path(spec["data_dir"])
    if spec.get("hold_in_load"):
        # Instrumentation for the kill: inside the posts load's transaction, after its posts
        # rows are written, say so on disk and hold still long enough to be killed there.
        import intrend_assets.loading.queue as parsed
        from warehouse.load import load_parsed
        from warehouse.load import posts as posts_load

        marker = Path(spec["hold_in_load"])
        write_posts = posts_load._write_posts

        def write_posts_then_hold(*args: Any, **kwargs: Any) -> int:
            written = write_posts(*args, **kwargs)
            marker.write_text("posts")
            time.sleep(30)
            return written

        def held(con: Any, batch: Any) -> Any:
            posts_load._write_posts = write_posts_then_hold  # type: ignore[assignment]
            try:
                return load_parsed(con, batch)
            finally:
                posts_load._write_posts = write_posts  # type: ignore[assignment]

        parsed.load_parsed = held  # type: ignore[assignment]
    instance = dg.DagsterInstance.get()
    known = set(instance.get_dynamic_partitions("profiles"))
    instance.add_dynamic_partitions("profiles", [n for n in spec["names"] if n not in known])
    stages = tuple(tuple(s) for s in spec.get("stages") or ())
    staged = {"stages": stages} if stages else {}
    ok = materialize(spec["urls"], spec["token"], data_dir, instance, {}, **staged)
    return 0 if ok else 1


def _spawn(spec: dict[str, Any], base: Path, home: Path, stderr: Any) -> subprocess.Popen[bytes]:
    """``spec`` written to ``base``, and this package's ``--child`` started on it."""
    spec_path = base / f"spec-{time.monotonic_ns()}.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.faults", "--child", str(spec_path)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def _child(spec: dict[str, Any], base: Path, home: Path) -> subprocess.Popen[bytes]:
    return _spawn(spec, base, home, subprocess.PIPE)


def pools_home(base: Path) -> Path:
    """A DAGSTER_HOME with the instance config ``intrend serve`` writes: SQLite with the
    batching plugin, one slot per pool, run monitoring on."""
    from intrend_assets.lib.instance import instance_yaml

    home = base / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml(ROOT))
    return home


def _stage_child(
    spec: dict[str, Any], base: Path, home: Path, timeout: float = 600.0
) -> tuple[int, int, str]:
    """Run ``spec`` in a child process: (exit code, its peak RSS in bytes, stderr's tail).
    Reaped with wait4, which gives that one child's peak RSS."""
    err_path = base / f"child-{time.monotonic_ns()}.err"
    with err_path.open("wb") as err:
        child = _spawn(spec, base, home, err)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(child.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.05)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss * 1024, err_path.read_text()[-300:]
