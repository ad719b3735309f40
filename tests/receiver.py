"""A loopback HTTP receiver that records what is POSTed to it (a webhook, a Pushgateway)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.infra.servers import free_port


@dataclass
class Received:
    url: str
    status: int = 200
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # method, path, body


@contextmanager
def receiver(status: int = 200) -> Iterator[Received]:
    """A server on 127.0.0.1 answering every POST/PUT with ``status``; stopped on exit."""
    got = Received("", status)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            got.requests.append((self.command, self.path, body))
            self.send_response(got.status)
            self.end_headers()

        do_POST = do_PUT = _record

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    got.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
