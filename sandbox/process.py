"""The sandbox in a child process, for benchmarks that must not share an interpreter with it.

In one process the client and the three servers share one interpreter lock, and timings
measure that instead of the system; in the field Instagram and the modem are other machines.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx


@contextmanager
def sandbox_process(*options: str, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
    """Run ``python -m sandbox OPTIONS`` and yield its addresses, token and ground truth.

    The child is terminated on exit, whatever happened.
    """
    command = [sys.executable, "-m", "sandbox", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        info: dict[str, Any] | None = None
        for line in process.stdout:
            if line.startswith("SANDBOX "):
                info = json.loads(line.removeprefix("SANDBOX "))
                break
        if info is None:
            raise RuntimeError(f"the sandbox did not start (exit code {process.poll()})")
        info["truth"] = httpx.get(f"{info['instagram_url']}/_sandbox/truth", timeout=timeout).json()
        yield info
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
