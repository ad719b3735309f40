"""Load figures for the modem service: rotation coalescing and GET /ip throughput.

Starts ``python -m modem_service`` (simulated modem, a small rotation time, a cooldown) in a
subprocess on a free 127.0.0.1 port, then:

1. fires 200 concurrent ``POST /rotate`` and prints how many backend rotations happened
   (read from the service's own /metrics; expected: exactly 1 inside the cooldown);
2. loads ``GET /ip`` with 500 concurrent connections for a bounded time with ``wrk`` (or, if
   wrk is not installed, a bounded httpx asyncio load, and says so) and prints p50/p99
   latency and requests/s.

Loopback only; every load is bounded in count and time.

    /work/main/.venv/bin/python benchmarks/modem_load.py [--seconds 10] [--connections 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "benchmark-token-not-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_service(port: int, rotation_seconds: float, cooldown: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "MODEM_TOKEN": TOKEN,
        "MODEM_BACKEND": "simulated",
        "MODEM_SIM_ROTATION_SECONDS": str(rotation_seconds),
        "MODEM_SIM_UNCHANGED_PROBABILITY": "0",
        "MODEM_COOLDOWN_SECONDS": str(cooldown),
        "MODEM_IP_CACHE_SECONDS": "2",
        "MODEM_DATABASE_URL": "sqlite+pysqlite:///:memory:",
    }
    command = [sys.executable, "-m", "modem_service", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the service did not come up")


def metric_values(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{base}/metrics", headers=AUTH, timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def burst_rotate(base: str, count: int) -> list[dict]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        responses = await asyncio.gather(
            *(client.post("/rotate", headers=AUTH) for _ in range(count))
        )
    return [r.json() for r in responses]


def run_wrk(url: str, connections: int, seconds: int) -> dict[str, str]:
    threads = min(connections, max(2, os.cpu_count() or 2))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "-H",
        f"Authorization: {AUTH['Authorization']}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    out = done.stdout
    figures = {"tool": "wrk " + " ".join(command[1:4])}
    for label, key in (("50%", "p50"), ("99%", "p99")):
        match = re.search(rf"^\s*{re.escape(label)}\s+(\S+)", out, re.MULTILINE)
        figures[key] = match.group(1) if match else "?"
    match = re.search(r"Requests/sec:\s+(\S+)", out)
    figures["rps"] = match.group(1) if match else "?"
    match = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    figures["requests"] = match.group(0) if match else "?"
    errors = re.search(r"Socket errors:.*|Non-2xx or 3xx responses: \d+", out)
    figures["errors"] = errors.group(0) if errors else "none"
    figures["raw"] = out
    return figures


async def httpx_load(url: str, connections: int, seconds: int) -> dict[str, str]:
    """Fallback when wrk is missing: ``connections`` workers in a loop until the deadline."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(limits=limits, timeout=5) as client:

        async def worker() -> None:
            nonlocal failures
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get(url, headers=AUTH)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                failures += not ok

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - started
    q = statistics.quantiles(latencies, n=100)
    return {
        "tool": f"httpx asyncio load, {connections} workers (wrk not installed)",
        "p50": f"{q[49] * 1000:.2f}ms",
        "p99": f"{q[98] * 1000:.2f}ms",
        "rps": f"{len(latencies) / elapsed:.1f}",
        "requests": f"{len(latencies)} requests in {elapsed:.1f}s",
        "errors": str(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rotations", type=int, default=200)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rotation-seconds", type=float, default=0.5)
    parser.add_argument("--cooldown", type=float, default=30.0)
    parser.add_argument("--show-raw", action="store_true", help="print wrk's own output")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = start_service(port, args.rotation_seconds, args.cooldown)
    try:
        started = time.perf_counter()
        results = asyncio.run(burst_rotate(base, args.rotations))
        burst_ms = (time.perf_counter() - started) * 1000
        values = metric_values(base)
        backend_rotations = sum(
            v
            for (name, labels), v in values.items()
            if name == "modem_rotations_total" and dict(labels)["result"] != "coalesced"
        )
        steps = sum(v for (name, _), v in values.items() if name == "modem_rotation_steps_total")
        print(
            f"== {args.rotations} concurrent POST /rotate "
            f"(simulated rotation {args.rotation_seconds}s, cooldown {args.cooldown}s)"
        )
        print(f"   backend rotations: {backend_rotations:.0f} (ladder steps run: {steps:.0f})")
        print(
            f"   answers: {len(results)}, coalesced: {sum(r['coalesced'] for r in results)}, "
            f"distinct new_ip: {len({r['new_ip'] for r in results})}"
        )
        print(f"   wall time of the burst: {burst_ms:.0f} ms")
        again = httpx.post(f"{base}/rotate", headers=AUTH, timeout=30).json()
        print(f"   one more POST /rotate inside the cooldown: coalesced={again['coalesced']}")

        url = f"{base}/ip"
        if shutil.which("wrk"):
            figures = run_wrk(url, args.connections, args.seconds)
        else:
            figures = asyncio.run(httpx_load(url, args.connections, args.seconds))
        print(f"== GET /ip, {args.connections} concurrent connections, {args.seconds}s")
        print(f"   tool: {figures['tool']}")
        print(f"   {figures['requests']}, requests/s: {figures['rps']}")
        print(f"   latency p50: {figures['p50']}, p99: {figures['p99']}")
        print(f"   errors: {figures['errors']}")
        if args.show_raw and "raw" in figures:
            print(figures["raw"])
    finally:
        service.terminate()
        try:
            service.wait(10)
        except subprocess.TimeoutExpired:
            service.kill()


if __name__ == "__main__":
    main()
