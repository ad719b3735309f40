"""Tokenless attacks on the modem service, and how fast ``/health`` answers during them.

Starts ``python -m modem_service`` (simulated modem) in a subprocess on a free 127.0.0.1
port with the systemd default of 1,024 open files (soft and hard), then:

1. **huge header**: sends a 20 MB request header in 64 KB chunks, 5 ms apart, and prints
   how much went out before the service refused it and how long that took;
2. **slow header**: sends a small request head one byte every 200 ms, and prints when the
   service closed it (``MODEM_HEADER_TIMEOUT_SECONDS``, 2 s here);
3. **idle sockets**: opens 1,100 connections that never send a byte;

and during each, times ``GET /health`` (worst of several probes). Loopback only; every attack
stops by itself (byte count, deadline) and every socket is closed at the end. The tests in
``tests/modem_service/test_attacks.py`` use these same functions.

    .venv/bin/python benchmarks/modem_attacks.py
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "attack-benchmark-token-not-secret"
SYSTEMD_DEFAULT_NOFILE = 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _limit_files(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


@contextmanager
def spawn_service(
    env: dict[str, str] | None = None, nofile: int = SYSTEMD_DEFAULT_NOFILE
) -> Iterator[tuple[str, int]]:
    """The service in a subprocess with ``nofile`` open files at most; always stopped."""
    port = free_port()
    environ = {
        **os.environ,
        "MODEM_TOKEN": TOKEN,
        "MODEM_BACKEND": "simulated",
        "MODEM_SIM_ROTATION_SECONDS": "0",
        "MODEM_IP_CHECK_SECONDS": "0",
        "MODEM_DATABASE_URL": "sqlite+pysqlite:///:memory:",
        **(env or {}),
    }
    command = [sys.executable, "-m", "modem_service", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "error", "--no-access-log"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environ, preexec_fn=lambda: _limit_files(nofile)
    )
    try:
        deadline = time.monotonic() + 20
        while health_seconds("127.0.0.1", port, timeout=0.5) is None:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the modem service did not start")
            time.sleep(0.1)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def health_seconds(host: str, port: int, timeout: float = 5.0) -> float | None:
    """Seconds a fresh connection takes to get ``/health`` answered 200; None if it fails."""
    started = time.monotonic()
    try:
        response = httpx.get(f"http://{host}:{port}/health", timeout=timeout)
    except httpx.HTTPError:
        return None
    return time.monotonic() - started if response.status_code == 200 else None


@dataclass
class HeaderAttack:
    sent: int  # bytes the service took before it closed the connection
    refused: bool  # closed (or answered) before the whole header went out
    seconds: float  # from the first byte to the close (or to giving up)
    answer: bytes  # the first bytes it answered, if any


def huge_header(
    host: str,
    port: int,
    total: int = 20_000_000,
    chunk: int = 65_536,
    pause: float = 0.005,
    deadline: float = 10.0,
) -> HeaderAttack:
    """Send one request whose header grows to ``total`` bytes; stop at close or deadline."""
    piece = b"a" * chunk
    sent = 0
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=deadline) as sock:
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
            while sent < total and time.monotonic() - started < deadline:
                sock.sendall(piece)
                sent += chunk
                time.sleep(pause)
        except OSError:  # reset or broken pipe: the service closed it
            return HeaderAttack(sent, True, time.monotonic() - started, _drain(sock))
        answer = _drain(sock, timeout=0.5)
        return HeaderAttack(sent, bool(answer), time.monotonic() - started, answer)


def _drain(sock: socket.socket, timeout: float = 0.2) -> bytes:
    sock.settimeout(timeout)
    try:
        return sock.recv(256)
    except OSError:
        return b""


def slow_header(host: str, port: int, pause: float = 0.2, deadline: float = 15.0) -> float:
    """Seconds until the service closes a request head sent one byte per ``pause``.

    The head never completes within ``deadline``: ``inf`` means it was never closed.
    """
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"b" * 10_000
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=deadline) as sock:
        for byte in head:
            if time.monotonic() - started > deadline:
                break
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return time.monotonic() - started
            sock.settimeout(pause)
            try:
                if sock.recv(256) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                continue
            except OSError:
                return time.monotonic() - started
    return float("inf")


def raise_own_files_limit(wanted: int) -> int:
    """Raise this process's soft open-files limit towards ``wanted``; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


@contextmanager
def idle_sockets(host: str, port: int, count: int = 1100) -> Iterator[list[socket.socket]]:
    """``count`` connections that never send a byte; every one closed on exit."""
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            opened.append(socket.create_connection((host, port), timeout=5))
        yield opened
    finally:
        for sock in opened:
            sock.close()


def worst_health_during(attack: threading.Thread, host: str, port: int) -> float | None:
    """Start ``attack``, probe ``/health`` every 100 ms while it runs; the worst latency."""
    attack.start()
    worst: float | None = 0.0
    probes = 0
    while attack.is_alive() or probes == 0:
        seconds = health_seconds(host, port, timeout=5)
        probes += 1
        worst = None if seconds is None or worst is None else max(worst, seconds)
        time.sleep(0.1)
    attack.join()
    return worst


def _fmt(seconds: float | None) -> str:
    return "no answer" if seconds is None else f"{seconds * 1000:.0f} ms"


def main() -> None:
    raise_own_files_limit(4096)
    with spawn_service({"MODEM_HEADER_TIMEOUT_SECONDS": "2"}) as (host, port):
        print(f"service on {host}:{port}, open files limit {SYSTEMD_DEFAULT_NOFILE}")
        print(f"/health at rest: {_fmt(health_seconds(host, port))}")

        result: list[object] = []
        attack = threading.Thread(target=lambda: result.append(huge_header(host, port)))
        worst = worst_health_during(attack, host, port)
        big = result[0]
        assert isinstance(big, HeaderAttack)
        print(
            f"20 MB header: refused={big.refused} after {big.sent:,} bytes in "
            f"{big.seconds * 1000:.0f} ms, answer {big.answer[:12]!r}; worst /health {_fmt(worst)}"
        )

        closed: list[float] = []
        attack = threading.Thread(target=lambda: closed.append(slow_header(host, port)))
        worst = worst_health_during(attack, host, port)
        print(
            f"slow header (1 B / 200 ms): closed after {closed[0]:.1f} s; "
            f"worst /health {_fmt(worst)}"
        )

        started = time.monotonic()
        with idle_sockets(host, port, 1100) as opened:
            took = time.monotonic() - started
            probes = [health_seconds(host, port, timeout=5) for _ in range(5)]
            worst = None if None in probes else max(p for p in probes if p is not None)
            print(
                f"{len(opened)} idle sockets opened in {took:.2f} s; worst of 5 /health "
                f"{_fmt(worst)}"
            )
        print(f"/health after: {_fmt(health_seconds(host, port))}")


if __name__ == "__main__":
    main()
