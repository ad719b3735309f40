"""Row 15: secrets with stray whitespace, then everything the runs wrote searched for them."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.faults.common import Result, audit, compare, materialize, register, wide_snapshot

# The secrets fault: padded secrets, then everything the runs wrote searched for them.

SESSION_COOKIE = "sandbox-session"  # the sandbox's logged-in session (SandboxConfig)
PROXY_PASSWORD = "faults-pRoXy-Qz81"  # a value to search for


@contextlib.contextmanager
def captured_output(path: Path) -> Iterator[None]:
    """This process's stdout and stderr (file descriptors: loggers and children too) into
    ``path`` while the block runs."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with path.open("wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def session_requests(data_dir: Path) -> int:
    """Requests the logged-in session sent, from the request log the runs wrote."""
    import polars as pl

    logs = sorted((data_dir / "raw" / "fetch_log").glob("*.parquet"))
    if not logs:
        return 0
    return int(pl.concat([pl.read_parquet(p) for p in logs])["session"].sum())


def run_secrets_fault(
    result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    """The modem token ends in a newline (a Kubernetes secret made from a file), the session's
    JSON cookie export in a space, the proxy URL carries a password; a quarter of the profiles
    are login-walled on every anonymous strategy, so the session serves them. The run and
    its rerun must work and not one of the values may be in anything they wrote: Dagster's
    storage (snapshots included), the raw store, the request log, the warehouse, the output.
    A value found fails the row (noted as LEAKED)."""
    import dagster as dg

    from intrend_assets.instagram.strategies import PROFILE_STRATEGIES
    from sandbox.written import occurrences

    data_dir, home, secrets = base / "data", base / "dagster-home", base / "secrets"
    home.mkdir()
    secrets.mkdir()
    cookies = secrets / "cookies.json"
    cookies.write_text(
        json.dumps(
            [{"name": "sessionid", "value": f"{SESSION_COOKIE} ", "domain": ".instagram.com"}]
        )
    )
    os.chmod(cookies, 0o600)
    urls = world.addresses()
    overrides = {
        "proxy_url": urls["proxy_url"].replace("http://", f"http://intrend:{PROXY_PASSWORD}@"),
        "session_cookies_file": str(cookies),
        "session_pacing_seconds": 0.0,
    }
    walls = {"login_wall": dict.fromkeys(PROFILE_STRATEGIES, 0.7)}
    world.faults.set(**walls)
    instance = dg.DagsterInstance.local_temp(str(home))
    try:
        register(instance, given)
        with captured_output(secrets / "output.txt"):
            ok = materialize(urls, f"{world.modem_token}\n", data_dir, instance, overrides)
        result.runs_ok = ok
        result.seconds = time.monotonic() - started
        audit(result, given, data_dir)
        first = wide_snapshot(data_dir / "warehouse.duckdb")
        world.faults.set(**walls)
        with captured_output(secrets / "rerun-output.txt"):
            ok = materialize(urls, f"{world.modem_token}\n", data_dir, instance, overrides)
        result.runs_ok = result.runs_ok and ok
        result.rerun = compare(first, wide_snapshot(data_dir / "warehouse.duckdb"))
        result.peak_connections = world.peak_proxy_connections
    finally:
        instance.dispose()
        world.reset_faults()
    values = {"token": world.modem_token, "session": SESSION_COOKIE, "proxy": PROXY_PASSWORD}
    found = occurrences(
        [data_dir, home, secrets / "output.txt", secrets / "rerun-output.txt"], values
    )
    places = sum(len(where) for where in found.values())
    result.note = f"{session_requests(data_dir)} requests through the session; secrets found "
    result.note += f"in {places} places" + (f": LEAKED {sorted(found)}" if found else "")
    result.runs_ok = result.runs_ok and not found
    return result
