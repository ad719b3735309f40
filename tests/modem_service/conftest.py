"""Shared fixtures: recorded samples, a loopback server runner, a bound on every test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from modem_service.backends.simulated import SimulatedModem

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is bounded to 60 s, whatever its own marks say.

    The hook sees the whole session's items, wherever this file is: only those under this
    folder get the bound (the end-to-end tests keep the project's 300 s).
    """
    for item in items:
        if HERE not in Path(item.path).parents:
            continue
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(60))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: object, host: str = "127.0.0.1") -> Iterator[str]:
    """Run an ASGI app under uvicorn in a thread on a free loopback port; always stop it."""
    port = free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    with serve_config(uvicorn.Server(config)) as url:
        yield url


@contextmanager
def serve_config(server: uvicorn.Server) -> Iterator[str]:
    """Run a configured uvicorn server in a thread; its URL; always stopped."""
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{server.config.host}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


TOKEN = "s3cret-Token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan plus an in-process HTTP client; both closed on exit."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://modem") as client:
            yield client


def simulated(**overrides: object) -> SimulatedModem:
    """A fast, deterministic simulated modem (no unchanged draws unless asked)."""
    options: dict[str, object] = {"rotation_seconds": 0.0, "unchanged_probability": 0.0, "seed": 1}
    options.update(overrides)
    return SimulatedModem(
        [("209.29.168.0/24", 0.9), ("209.29.99.0/24", 0.1)],
        **options,  # type: ignore[arg-type]
    )
