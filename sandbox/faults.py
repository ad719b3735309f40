"""Runtime fault switches of the sandbox: the world misbehaving on purpose, within bounds.

One :class:`SandboxFaults` object is shared by the fake Instagram, the proxy host and the
modem service's server. Every switch is bounded: counted switches (``status_5xx``, ``slow``,
``truncate``, ``bad_utf8``, ``bad_json``, ``bomb``) are spent one answer at a time, timed switches
(``refuse_proxy_seconds``, ``refuse_modem_seconds``, ``drift_seconds``) end by themselves, and
every switch also ends at ``MAX_FAULT_SECONDS``. ``reset()`` turns everything off.

Set them from code (``world.faults.set(status_5xx=20)``) or over HTTP on the fake Instagram:
``POST /_sandbox/faults`` with a JSON object of the same names, ``GET`` to read them back,
``DELETE`` to reset. The door switches (``login_wall``, ``gone``, ``doc_ids``,
``useragent_mismatch``: Instagram closing or moving a way in) are described in
:mod:`sandbox.doors`. The simulated modem's own switches (``down``, ``stuck_rotations``,
``failing_steps``) live on :class:`~modem_service.backends.simulated.SimulatedModem`.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from sandbox.doors import DOOR_SWITCHES, Doors, parse_door
from sandbox.rng import stable_int

MAX_FAULT_SECONDS = 600.0  # no switch outlives this, whatever it was set to
MAX_SLOW_SECONDS = 30.0

COUNTED = ("status_5xx", "slow", "truncate", "bad_utf8", "bad_json", "bomb")
TIMED = ("refuse_proxy", "refuse_modem", "drift")
DRIFT_KINDS = (
    "caption_missing",
    "counts_null",
    "location_null",
    "likes_renamed",
    "edges_null",
    "node_null",
    "owner_missing",
    "timeline_missing",
)
_5XX = (500, 502, 503, 504)
BOMB_INFLATED_BYTES = 1 << 30


@functools.cache
def gzip_bomb() -> bytes:
    """The ``bomb`` answer: 1 MB of gzip that inflates to 1 GiB (of zeros), sent with
    ``Content-Encoding: gzip``. Made once per process (4 s), on first use."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(BOMB_INFLATED_BYTES // len(zeros))]
    return b"".join([*parts, packer.flush()])


class SandboxFaults:
    """Thread-safe, bounded fault switches (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.doors = Doors(clock, MAX_FAULT_SECONDS)
        self.reset()

    def reset(self) -> None:
        self.doors.reset()
        with self._lock:
            self._counts = dict.fromkeys(COUNTED, 0)
            self._until = dict.fromkeys(TIMED, 0.0)
            self._expires = 0.0  # when the counted switches lapse
            self.slow_seconds = 1.0
            self.drift_share = 1.0
            self.private: frozenset[str] = frozenset()
            self.deleted: frozenset[str] = frozenset()
            self.used = dict.fromkeys((*COUNTED, "refused_proxy", "refused_modem", "drifted"), 0)

    def set(self, **switches: Any) -> dict[str, Any]:
        """Turn switches on; unknown names raise ValueError. Returns the new snapshot.

        Door switches are validated before anything is set, so a bad one changes nothing.
        """
        doors = {name: value for name, value in switches.items() if name in DOOR_SWITCHES}
        for name, value in doors.items():
            parse_door(name, value)
        now = self._clock()
        with self._lock:
            for name, value in switches.items():
                if name in DOOR_SWITCHES:
                    continue
                if name in COUNTED:
                    self._counts[name] = max(0, int(value))
                    self._expires = now + MAX_FAULT_SECONDS
                elif name.endswith("_seconds") and name.removesuffix("_seconds") in TIMED:
                    seconds = min(MAX_FAULT_SECONDS, max(0.0, float(value)))
                    self._until[name.removesuffix("_seconds")] = now + seconds
                elif name == "slow_delay":
                    self.slow_seconds = min(MAX_SLOW_SECONDS, max(0.0, float(value)))
                elif name == "drift_share":
                    self.drift_share = min(1.0, max(0.0, float(value)))
                elif name in ("private", "deleted"):
                    names = frozenset(str(v).lower() for v in value)
                    setattr(self, name, names)
                    # Profile sets are bounded in time like every other switch.
                    self._until.setdefault("profiles", 0.0)
                    self._until["profiles"] = now + MAX_FAULT_SECONDS
                else:
                    raise ValueError(f"unknown fault switch {name!r}")
        self.doors.set(doors)
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        now = self._clock()
        doors = self.doors.snapshot()
        with self._lock:
            live = now < self._expires
            return {
                **doors,
                **{k: (v if live else 0) for k, v in self._counts.items()},
                **{f"{k}_seconds": round(max(0.0, u - now), 3) for k, u in self._until.items()},
                "slow_delay": self.slow_seconds,
                "drift_share": self.drift_share,
                "private": sorted(self.private),
                "deleted": sorted(self.deleted),
                "used": {**self.used, **self.doors.used},
            }

    def take(self, name: str) -> bool:
        """Spend one unit of counted switch ``name``; True when the fault applies now."""
        with self._lock:
            if self._counts[name] <= 0 or self._clock() >= self._expires:
                return False
            self._counts[name] -= 1
            self.used[name] += 1
            return True

    def active(self, name: str) -> bool:
        with self._lock:
            return self._clock() < self._until.get(name, 0.0)

    def refusing(self, server: str) -> bool:
        """True while ``server`` ("proxy" or "modem") must refuse new connections."""
        if not self.active(f"refuse_{server}"):
            return False
        with self._lock:
            self.used[f"refused_{server}"] += 1
        return True

    def profile_override(self, username: str) -> str | None:
        """ "private", "deleted" or None for ``username`` under the profile switches."""
        if not self.active("profiles"):
            return None
        name = username.lower()
        if name in self.deleted:
            return "deleted"
        if name in self.private:
            return "private"
        return None

    def status(self) -> int | None:
        """A 5xx status when a 5xx answer is due, else None."""
        if not self.take("status_5xx"):
            return None
        return _5XX[self.used["status_5xx"] % len(_5XX)]

    def drift_kind(self, key: str) -> str | None:
        """The shape drift applied to answers about ``key`` (a username or user id), if any."""
        if not self.active("drift"):
            return None
        if stable_int(0, "drift-share", key) % 1000 >= self.drift_share * 1000:
            return None
        return DRIFT_KINDS[stable_int(0, "drift", key) % len(DRIFT_KINDS)]

    # Body mutations -----------------------------------------------------------------------

    def drift(
        self,
        key: str,
        body: dict[str, Any],
        apply: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``body`` with the shape drift chosen for ``key`` (a deep copy; the original stays).

        ``apply`` renders a drift kind on the body's shape (default :func:`apply_drift`, the
        graph shapes; :func:`sandbox.drift_v1.apply_drift_v1` for the v1 shapes).
        """
        kind = self.drift_kind(key)
        if kind is None:
            return body
        with self._lock:
            self.used["drifted"] += 1
        return (apply or apply_drift)(kind, body)

    def encode(self, body: Any) -> bytes:
        """Serialize ``body``, spoiling it when ``bad_utf8`` or ``bad_json`` is due."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        if self.take("bad_utf8"):
            # Invalid UTF-8 inside a string value: a lone continuation byte and a bad lead byte.
            cut = raw.find(b'"', len(raw) // 2)
            cut = cut if cut > 0 else len(raw) // 2
            raw = raw[: cut + 1] + b"\x80\xfe\xc3(" + raw[cut + 1 :]
        if self.take("bad_json"):
            raw = raw.replace(b'":', b'"', 3)[:-7] + b",}"
        return raw


def apply_drift(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """One named shape drift applied to a copy of a profile answer or timeline page."""
    body = json.loads(json.dumps(body))
    user = (body.get("data") or {}).get("user")
    if not isinstance(user, dict):
        return body
    media = user.get("edge_owner_to_timeline_media")
    nodes = [
        e.get("node")
        for e in (media or {}).get("edges") or []
        if isinstance(e, dict) and isinstance(e.get("node"), dict)
    ]
    if kind == "caption_missing":
        for n in nodes:
            n.pop("edge_media_to_caption", None)
    elif kind == "counts_null":
        for key in ("edge_followed_by", "edge_follow"):
            if key in user:
                user[key] = {"count": None}
        if isinstance(media, dict):
            media["count"] = None
        for n in nodes:
            for key in ("edge_liked_by", "edge_media_preview_like", "edge_media_to_comment"):
                if key in n:
                    n[key] = None
    elif kind == "location_null":
        for n in nodes:
            n["location"] = None
            n["accessibility_caption"] = None
    elif kind == "likes_renamed":
        for n in nodes:
            for key in ("edge_liked_by", "edge_media_preview_like"):
                if key in n:
                    n[f"{key}_v2"] = n.pop(key)
    elif kind == "edges_null" and isinstance(media, dict):
        media["edges"] = None
    elif kind == "node_null" and isinstance(media, dict) and media.get("edges"):
        media["edges"][0]["node"] = None
        media["edges"].append({})
    elif kind == "owner_missing":
        for n in nodes:
            n.pop("owner", None)
            n.pop("taken_at_timestamp", None)
    elif kind == "timeline_missing":
        user.pop("edge_owner_to_timeline_media", None)
    return body


def refusing_protocol(
    base: type[H11Protocol], faults: SandboxFaults, server: str
) -> type[H11Protocol]:
    """``base`` (an h11 protocol class) that aborts new connections while ``server`` refuses.

    The connection is reset at once (RST), which a client sees as a failed connect or a
    server that disconnected before answering, like a proxy host whose service is down.
    """

    class RefusingH11Protocol(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if faults.refusing(server):
                transport.abort()

    return RefusingH11Protocol


__all__ = ["DRIFT_KINDS", "SandboxFaults", "apply_drift", "refusing_protocol"]
