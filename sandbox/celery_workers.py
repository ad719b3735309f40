"""dagster-celery workers and Celery-executed runs for tests and benchmarks, started the way
deploy/celery/README.md says: ``dagster-celery worker start -A dagster_celery.app -y
deploy/celery/worker.yaml``, with the deployment's values in the environment.

``running_workers()`` starts ``count`` workers (one process each, executing one step at a
time), waits until each says it is ready and stops them all on exit (a warm shutdown, then
SIGKILL), however the block ends. :func:`execute_job` runs one job of the code location
through ``dagster job execute`` in a process of its own, as a run worker would;
:func:`run_backfill` the fetch runs of a backfill at once, then the warehouse run.
:func:`warehouse_content` is what a warehouse holds whenever it was fetched, for comparing
two runs' warehouses.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sandbox.pipeline import range_tags
from sandbox.rabbitmq import stop_process

WORKER_YAML = Path("deploy") / "celery" / "worker.yaml"
CONTENT_TABLES = ("posts", "post_hashtags", "hashtag_daily")
FETCH_TIME_COLUMNS = frozenset({"fetched_at", "first_seen_at"})  # when, not what, was fetched
READY_TIMEOUT = 180  # seconds for a worker to import Dagster and the code location, loaded
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Worker:
    name: str  # Celery's node name, NAME@host: what the step events name as "Celery worker"
    proc: subprocess.Popen[bytes]
    log: Path

    def pids(self) -> set[int]:
        """The worker's processes: the CLI, Celery's main process and its pool children."""
        found = {self.proc.pid}
        for _ in range(3):  # CLI -> celery -> pool process
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit() and _ppid(entry) in found:
                    found.add(int(entry.name))
        return found


def _ppid(entry: Path) -> int | None:
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` on top of ours, with this interpreter's scripts first on PATH (the CLI starts
    ``celery`` by name)."""
    return {**os.environ, **env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _spawn(
    argv: list[str], env: Mapping[str, str], project: Path, log: Path
) -> subprocess.Popen[bytes]:
    """``argv`` in ``project`` with ``env``, in a session of its own (stopped as a group),
    its output appended to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv,
            cwd=project,
            env=_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_ready(worker: Worker) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        text = worker.log.read_text(errors="replace")
        if f"{worker.name} ready." in text:
            return
        if worker.proc.poll() is not None:
            raise RuntimeError(f"worker {worker.name} exited:\n{text[-3000:]}")
        time.sleep(0.3)
    raise RuntimeError(f"worker {worker.name} not ready in {READY_TIMEOUT} s:\n{text[-3000:]}")


@contextlib.contextmanager
def running_workers(
    env: Mapping[str, str], folder: Path, project: Path, count: int = 2
) -> Iterator[list[Worker]]:
    """``count`` dagster-celery workers on the broker of ``env``'s
    ``DAGSTER_CELERY_BROKER_URL``, each one process running one step at a time (Celery's
    prefork pool of 1), their logs in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    host = os.uname().nodename
    tag = secrets.token_hex(3)
    workers: list[Worker] = []
    try:
        for i in range(count):
            short = f"intrend-{tag}-{i + 1}"
            log = folder / f"{short}.log"
            argv = [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app"]
            argv += ["-y", str(project / WORKER_YAML), "-n", short, "--", "--concurrency=1"]
            proc = _spawn(argv, env, project, log)
            workers.append(Worker(name=f"{short}@{host}", proc=proc, log=log))
        for worker in workers:
            _wait_ready(worker)
        yield workers
    finally:
        for worker in workers:
            stop_process(worker.proc)


def execute_job(
    job: str,
    env: Mapping[str, str],
    project: Path,
    log: Path,
    tags: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``dagster job execute`` of ``job`` (intrend_assets.definitions) with ``env``;
    the caller waits (:func:`wait_job`). Its output goes to ``log``."""
    argv = [str(BIN / "dagster"), "job", "execute", "-m", "intrend_assets.definitions"]
    argv += ["-a", "defs", "-j", job, "--tags", json.dumps(dict(tags or {}))]
    return _spawn(argv, env, project, log)


def wait_job(proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait for a run started by :func:`execute_job`; stop it and raise if it fails or
    outlasts ``timeout``."""
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process(proc)
        raise RuntimeError(f"run not done in {timeout} s:\n{log.read_text()[-3000:]}") from None
    if code != 0:
        raise RuntimeError(f"run failed ({code}):\n{log.read_text(errors='replace')[-4000:]}")


def run_backfill(
    env: Mapping[str, str], project: Path, ranges: list[list[str]], logs: Path, timeout: float
) -> None:
    """One ranged ``profiles_job`` run per range of profile partitions, all at once (as the
    backfill daemon launches a backfill's runs), then ``warehouse_job``; raises if any fails."""
    logs.mkdir(parents=True, exist_ok=True)
    fetches = []
    for i, keys in enumerate(ranges):
        log = logs / f"fetch-{i + 1}.log"
        fetches.append((execute_job("profiles_job", env, project, log, range_tags(keys)), log))
    try:
        for proc, log in fetches:
            wait_job(proc, log, timeout)
    finally:
        for proc, _ in fetches:
            stop_process(proc)
    log = logs / "warehouse.log"
    wait_job(execute_job("warehouse_job", env, project, log), log, timeout)


def warehouse_content(path: Path) -> dict[str, list[tuple]]:
    """Every row of the tables a fetch fills (:data:`CONTENT_TABLES`), in a stable order,
    without the columns that say when it ran: equal for two warehouses built from the same
    profiles of a frozen sandbox."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        content = {}
        for table in CONTENT_TABLES:
            columns = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
            kept = ", ".join(c for c in columns if c not in FETCH_TIME_COLUMNS)
            query = f"SELECT {kept} FROM {table} ORDER BY ALL"  # noqa: S608 - our own names
            content[table] = con.execute(query).fetchall()
        return content
    finally:
        con.close()
