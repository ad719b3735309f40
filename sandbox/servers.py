"""Run an ASGI app with uvicorn in a background thread on a free 127.0.0.1 port.

The socket is bound here (port 0) before uvicorn starts, so the port is known at once and
two sandboxes never race for the same one.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn


class ServerThread:
    """One uvicorn server on its own thread and event loop; ``start()``/``stop()``."""

    def __init__(self, app: Any, name: str, *, http: Any = "h11", lifespan: str = "auto") -> None:
        self.name = name
        self._config = uvicorn.Config(
            app,
            http=http,
            loop="asyncio",
            lifespan=lifespan,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(self._config)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when
        # the listening socket says TCP; without it every response waits ~40 ms (Nagle
        # meeting delayed ACKs between the header and body writes).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.set_inheritable(True)
        self._socket = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name=f"sandbox-{self.name}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"sandbox {self.name} server failed to start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox {self.name} server did not start in {timeout} s")
            time.sleep(0.01)

    def _run(self) -> None:
        assert self._socket is not None
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def request_stop(self) -> None:
        """Ask the server to exit without waiting (to stop several at once)."""
        self._server.should_exit = True

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def stop_all(servers: list[ServerThread]) -> None:
    """Stop servers together: signal every one, then wait for each."""
    for server in servers:
        server.request_stop()
    for server in servers:
        server.stop()
