"""A fake Huawei HiLink stick: the web API paths the backend uses, with its session rules.

Sessions: ``GET /`` and ``GET /api/webserver/SesTokInfo`` hand out a ``SessionID`` cookie and
a CSRF token. A request without a known session gets error 125002; a write whose
``__RequestVerificationToken`` the stick does not know for that session gets 125003
(``expire_tokens()`` makes every issued token stale, as the stick does after a while).
Answers are the recorded samples with ``ConnectionStatus`` substituted.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.modem_service.conftest import sample

XML = "application/xml"
STATUS = sample("hilink_status_connected.xml")
ERROR = sample("hilink_error_125002.xml").replace("125002", "{code}")
OK = '<?xml version="1.0" encoding="UTF-8"?><response>OK</response>'


@dataclass
class FakeHilink:
    connection_status: str = "901"
    public_ip: str = "209.29.168.20"
    stuck_toggles: int = 0
    status_sample: str = STATUS
    sessions: dict[str, set[str]] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # method, path, session
    errors_sent: list[int] = field(default_factory=list)
    writes: list[tuple[str, str]] = field(default_factory=list)  # path, body
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 20

    def expire_tokens(self) -> None:
        with self._lock:
            for tokens in self.sessions.values():
                tokens.clear()

    def drop_sessions(self) -> None:
        with self._lock:
            self.sessions.clear()

    def _new_session(self) -> tuple[str, str]:
        n = next(self._ids)
        session, token = f"sess{n:04d}", f"tok{n:04d}"
        self.sessions[session] = {token}
        return session, token

    def _new_ip(self) -> None:
        self._counter += 1
        if self.stuck_toggles > 0:
            self.stuck_toggles -= 1
        else:
            self.public_ip = f"209.29.168.{self._counter}"

    def _error(self, code: int) -> Response:
        self.errors_sent.append(code)
        return Response(ERROR.format(code=code), media_type=XML)

    def app(self) -> Starlette:
        async def home(request: Request) -> Response:
            with self._lock:
                session, _ = self._new_session()
            response = Response(
                "<html><head><title>HUAWEI</title></head></html>", media_type="text/html"
            )
            response.set_cookie("SessionID", session, path="/")
            return response

        async def token(request: Request) -> Response:
            return self._error(100002)  # this firmware only knows SesTokInfo

        async def ses_tok_info(request: Request) -> Response:
            with self._lock:
                session, tok = self._new_session()
            body = (
                f"<response><SesInfo>SessionID={session}</SesInfo>"
                f"<TokInfo>{tok}</TokInfo></response>"
            )
            response = Response(body, media_type=XML)
            response.set_cookie("SessionID", session, path="/")
            return response

        def session_of(request: Request) -> str | None:
            session = request.cookies.get("SessionID")
            self.requests.append((request.method, request.url.path, session))
            return session if session in self.sessions else None

        async def status(request: Request) -> Response:
            with self._lock:
                if session_of(request) is None:
                    return self._error(125002)
                body = re.sub(
                    r"<ConnectionStatus>\d+</ConnectionStatus>",
                    f"<ConnectionStatus>{self.connection_status}</ConnectionStatus>",
                    self.status_sample,
                )
            return Response(body, media_type=XML)

        async def write(request: Request) -> Response:
            body = (await request.body()).decode()
            with self._lock:
                session = session_of(request)
                if session is None:
                    return self._error(125002)
                if request.headers.get("__RequestVerificationToken") not in self.sessions[session]:
                    return self._error(125003)
                self.writes.append((request.url.path, body))
                path = request.url.path
                if path.endswith("mobile-dataswitch") or path.endswith("dialup/dial"):
                    on = ">1<" in body
                    if on and self.connection_status != "901":
                        self._new_ip()
                    self.connection_status = "901" if on else "902"
                elif path.endswith("device/control"):
                    self.sessions.clear()  # a reboot forgets every session
                    self._new_ip()
                    self.connection_status = "901"
            return Response(OK, media_type=XML)

        return Starlette(
            routes=[
                Route("/", home),
                Route("/api/webserver/token", token),
                Route("/api/webserver/SesTokInfo", ses_tok_info),
                Route("/api/monitoring/status", status),
                Route("/api/dialup/mobile-dataswitch", write, methods=["POST"]),
                Route("/api/dialup/dial", write, methods=["POST"]),
                Route("/api/device/control", write, methods=["POST"]),
            ]
        )


class FakeHilinkEcho:
    """The public IP of the fake stick while it is connected."""

    def __init__(self, stick: FakeHilink) -> None:
        self.stick = stick
        self.binds: list[str | None] = []

    async def public_ip(self, bind_address: str | None = None) -> str | None:
        self.binds.append(bind_address)
        return self.stick.public_ip if self.stick.connection_status == "901" else None

    async def aclose(self) -> None:
        return None
