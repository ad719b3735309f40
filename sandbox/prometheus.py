"""Debian's Prometheus and Pushgateway for tests and benchmarks: real binaries, loopback
only, unprivileged, always stopped.

``running_pushgateway()`` and ``running_prometheus(config)`` start each on a free 127.0.0.1
port in a fresh temporary folder and stop it (SIGTERM to its group, then SIGKILL) when the
``with`` block ends. As root they run as ``nobody`` (neither needs an account of its own, as
PostgreSQL's test server does), as anyone else as the current user.
``scripts/ensure-prometheus`` (run by ``make test``) installs the packages. Beside
:mod:`sandbox.postgres` for the same reason: the benchmarks use it too, and they may not
import the tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

PROMETHEUS = Path("/usr/bin/prometheus")
PROMTOOL = Path("/usr/bin/promtool")
PUSHGATEWAY = Path("/usr/bin/prometheus-pushgateway")
START_TIMEOUT = 30.0
UNPRIVILEGED = "nobody"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL what is left after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def require_prometheus() -> None:
    """Fail (never skip) with the way to fix it when a binary is missing."""
    missing = [str(p) for p in (PROMETHEUS, PROMTOOL, PUSHGATEWAY) if not p.exists()]
    if missing:
        raise AssertionError(
            f"{', '.join(missing)} missing: the metrics test needs Debian's Prometheus and "
            "Pushgateway. Run scripts/ensure-prometheus as root (make test does), or "
            "apt-get install prometheus prometheus-pushgateway."
        )


def _account() -> pwd.struct_passwd | None:
    return pwd.getpwnam(UNPRIVILEGED) if os.geteuid() == 0 else None


def _as_account(account: pwd.struct_passwd | None, argv: list[str]) -> list[str]:
    if account is None:
        return argv
    ids = [f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
    return ["setpriv", *ids, "--", *argv]


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> bytes:
    """The body of a 200 answer (anything else raises ``httpx.HTTPError``)."""
    answer = httpx.get(url, headers=headers, timeout=timeout)
    answer.raise_for_status()
    return answer.content


@contextlib.contextmanager
def _server(name: str, argv: list[str], root: Path, port: int) -> Iterator[str]:
    """Start ``argv`` (as the unprivileged account) and yield its URL once /-/ready answers."""
    log = root / f"{name}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            _as_account(_account(), argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=root,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{_tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                get(f"{url}/-/ready", timeout=2)
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not ready after {START_TIMEOUT} s:\n{_tail(log)}")
            time.sleep(0.1)
        yield url
    finally:
        _stop(proc)


@contextlib.contextmanager
def _folder(prefix: str) -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are private to root and ``nobody`` could not
    # reach the folder there.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    account = _account()
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def running_pushgateway() -> Iterator[str]:
    """A Pushgateway that keeps what it is pushed in memory only; yields its URL."""
    require_prometheus()
    with _folder("intrend-pushgateway-") as root:
        port = free_port()
        argv = [
            str(PUSHGATEWAY),
            f"--web.listen-address=127.0.0.1:{port}",
            "--persistence.file=",  # Debian's default is a file under /var/lib
            "--log.level=warn",
        ]
        with _server("pushgateway", argv, root, port) as url:
            yield url


@contextlib.contextmanager
def running_prometheus(config: dict[str, Any], files: dict[str, str]) -> Iterator[str]:
    """A Prometheus with ``config``; ``files`` (name -> text, e.g. a token) are written beside
    it, readable by the server only, and ``{dir}`` in the config names their folder."""
    require_prometheus()
    with _folder("intrend-prometheus-") as root:
        account = _account()
        for name, text in files.items():
            path = root / name
            path.write_text(text)
            path.chmod(0o600)
            if account is not None:
                os.chown(path, account.pw_uid, account.pw_gid)
        (root / "prometheus.yml").write_text(yaml.safe_dump(config).replace("{dir}", str(root)))
        port = free_port()
        argv = [
            str(PROMETHEUS),
            f"--config.file={root / 'prometheus.yml'}",
            f"--storage.tsdb.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ]
        with _server("prometheus", argv, root, port) as url:
            yield url


def query(prometheus_url: str, promql: str) -> list[dict[str, Any]]:
    """The result vector of an instant query through Prometheus's HTTP API."""
    answer = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": promql}, timeout=10)
    payload = answer.json()
    if payload.get("status") != "success":
        raise RuntimeError(f"{promql}: {payload}")
    return payload["data"]["result"]


def targets(prometheus_url: str) -> list[dict[str, Any]]:
    return json.loads(get(f"{prometheus_url}/api/v1/targets"))["data"]["activeTargets"]


def check_metrics(text: bytes) -> subprocess.CompletedProcess[str]:
    """``promtool check metrics`` over an exposition text."""
    return subprocess.run(
        [str(PROMTOOL), "check", "metrics"],
        input=text.decode(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
