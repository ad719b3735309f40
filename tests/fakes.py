"""In-process fakes of the two outside systems ``raw_profile`` talks to: Instagram and the modem.

They are the resources a deployment builds, with the network swapped out (httpx's seam, the
transport), so an asset runs its real fetch loop, classifiers and raw store in one process
and in milliseconds. The sandbox stays the test of the wire itself (sockets, proxy, limits
per IP); these are for the asset's own logic.

:class:`FakeInstagram` is an :class:`InstagramAccess` whose clients send through an
``httpx.MockTransport``. Every strategy of the wire contract (``docs/instagram-strategies.md``)
is served, from the real 2022 ``web_profile_info`` answer and the 2020 timeline page (beside
the clone in ``../shared/real-samples``; the contract's own shapes when that is missing), and
each username behaves as it is scripted: a profile (the default), ``UNKNOWN`` (404),
``WALLED`` (a login wall on every strategy) or ``LIMITED_ONCE`` (429 once, then the profile).

:class:`FakeModem` is a :class:`ModemEndpoint` whose clients hand out a new IP per rotation.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.modem_client import ModemEndpoint, Rotation
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.instagram.session import load_session_cookies
from tests.parsing.wire import relay_page, v1_timeline_from_graph, v1_user_from_graph

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "real-samples" / "instagram"

Behaviour = Literal["profile", "unknown", "login_wall", "rate_limit_once"]
UNKNOWN: Behaviour = "unknown"
WALLED: Behaviour = "login_wall"
LIMITED_ONCE: Behaviour = "rate_limit_once"

NOT_FOUND = {"message": "User not found", "status": "fail"}
LOGIN_WALL = {
    "message": "Please make sure you are logged in to see this profile.",
    "status": "fail",
}
RATE_LIMITED = {
    "message": "Please wait a few minutes before you try again.",
    "require_login": True,
    "status": "fail",
}


def _sample(name: str, fallback: dict[str, Any]) -> dict[str, Any]:
    path = SAMPLES / name
    return json.loads(path.read_bytes()) if path.is_file() else fallback


_CONTRACT_USER: dict[str, Any] = {
    "data": {
        "user": {
            "id": "1",
            "username": "u",
            "full_name": "Full Name",
            "is_private": False,
            "edge_followed_by": {"count": 10},
            "edge_owner_to_timeline_media": {
                "count": 1,
                "page_info": {"has_next_page": False, "end_cursor": None},
                "edges": [],
            },
        }
    },
    "status": "ok",
}
PROFILE = _sample("web_profile_info_2022.json", _CONTRACT_USER)
PAGE = _sample("timeline_page_2020.json", {"data": {"user": _CONTRACT_USER["data"]["user"]}})


def user_id(username: str) -> str:
    """A stable numeric id per username (Instagram's ids are digits)."""
    return str(int(hashlib.sha256(username.encode()).hexdigest()[:12], 16))


def profile_body(username: str) -> dict[str, Any]:
    """The real answer, as if it were ``username``'s."""
    body = copy.deepcopy(PROFILE)
    body["data"]["user"].update(username=username, id=user_id(username))
    return body


def _json(status: int, body: object) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


@dataclass(frozen=True)
class FakeInstagram(InstagramAccess):
    """Instagram as scripted per username; what it was asked is kept in ``requests``."""

    script: Mapping[str, Behaviour] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (strategy, username)
    _limited: set[str] = field(default_factory=set)
    _owners: dict[str, str] = field(default_factory=dict)  # user id -> username served

    @classmethod
    def of(cls, access: InstagramAccess, script: Mapping[str, Behaviour]) -> FakeInstagram:
        """``access`` (the settings' configuration) with its network swapped for the script.

        No proxy: httpx would route through a configured proxy rather than the mock transport.
        """
        values = {f.name: getattr(access, f.name) for f in fields(InstagramAccess)}
        values["client_config"] = replace(access.client_config, proxy_url=None)
        return cls(**values, script=dict(script))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def open_client(self) -> InstagramClient:
        return InstagramClient(self.client_config, self.transport())

    def open_session_client(self, pool_of: InstagramClient | None = None) -> InstagramClient | None:
        if not self.session_cookies_file:
            return None
        cookies = load_session_cookies(Path(self.session_cookies_file)).values
        if pool_of is not None:  # the production path: one pool for both clients
            return InstagramClient(self.client_config, cookies=cookies, pool_of=pool_of)
        return InstagramClient(self.client_config, self.transport(), cookies=cookies)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        strategy, username, kind = self._route(request)
        self.requests.append((strategy, username))
        behaviour = self.script.get(username, "profile")
        if kind == "profile" and behaviour == "unknown":
            return _json(404, NOT_FOUND)
        if behaviour == "login_wall":
            if strategy == "embedded_page":
                return httpx.Response(302, headers={"location": "/accounts/login/?next=/"})
            return _json(400, LOGIN_WALL)
        if behaviour == "rate_limit_once" and username not in self._limited:
            self._limited.add(username)
            return _json(429, RATE_LIMITED)
        return self._good(strategy, username, kind)

    def _route(self, request: httpx.Request) -> tuple[str, str, str]:
        """(strategy, username, "profile" or "page") of a request, as the contract sends it."""
        cfg = self.client_config.strategies
        path, params = request.url.path, request.url.params
        if path == "/api/v1/users/web_profile_info/":
            ipad = request.headers.get("x-ig-app-id") == cfg.ipad_app_id
            return (
                ("web_profile_info_ipad" if ipad else "web_profile_info"),
                params["username"],
                "profile",
            )
        if path == "/graphql/query" and request.method == "POST":
            form = dict(httpx.QueryParams(request.content.decode()))
            variables = json.loads(form["variables"])
            kind = "profile" if form["doc_id"] == cfg.profile_doc_id else "page"
            return "graphql_doc_id", variables["username"], kind
        if path == "/graphql/query/":
            wanted = json.loads(params["variables"])["id"]
            return "graphql_query_hash", self._owners.get(wanted, wanted), "page"
        return "embedded_page", path.strip("/"), "profile"

    def _good(self, strategy: str, username: str, kind: str) -> httpx.Response:
        body = profile_body(username)
        self._owners[user_id(username)] = username
        if kind == "page":
            page = copy.deepcopy(PAGE)
            page["data"]["user"]["edge_owner_to_timeline_media"]["page_info"]["has_next_page"] = (
                False
            )
            return _json(
                200, v1_timeline_from_graph(page) if strategy == "graphql_doc_id" else page
            )
        if strategy == "graphql_doc_id":
            return _json(200, v1_user_from_graph(body))
        if strategy == "embedded_page":
            return httpx.Response(200, text=relay_page(body["data"]["user"]))
        return _json(200, body)


@dataclass
class _ModemState:
    ips: list[str] = field(default_factory=lambda: ["10.64.0.1"])
    rotations: int = 0


class FakeModemClient:
    """The async methods of :class:`ModemClient`, answered in process."""

    def __init__(self, state: _ModemState) -> None:
        self._state = state
        self.closed = False

    async def rotate(self) -> Rotation:
        state = self._state
        state.rotations += 1
        old, new = state.ips[-1], f"10.64.{state.rotations // 250}.{state.rotations % 250 + 1}"
        state.ips.append(new)
        return Rotation(old_ip=old, new_ip=new, changed=True, took_ms=1, attempts=1)

    async def current_ip(self) -> str | None:
        return self._state.ips[-1]

    async def ips(self, limit: int = 1000) -> list[dict[str, Any]]:
        seen = datetime(2024, 1, 1, tzinfo=UTC).isoformat()
        return [{"ip": ip, "seen_at": seen, "source": "rotate"} for ip in self._state.ips[-limit:]]

    async def aclose(self) -> None:
        self.closed = True


@dataclass(frozen=True)
class FakeModem(ModemEndpoint):
    """A modem that always gets a new public IP; ``rotations`` counts what it was asked."""

    url: str = "http://modem.invalid"
    token: str | None = None
    timeout: float = 1.0
    state: _ModemState = field(default_factory=_ModemState)

    def open_client(self) -> FakeModemClient:  # type: ignore[override]
        return FakeModemClient(self.state)

    @property
    def rotations(self) -> int:
        return self.state.rotations
