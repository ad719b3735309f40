"""The sandbox CDN: the media the fake Instagram's answers point at, signed on its clock.

Paths have the real shape under the sandbox's origin,
``/scontent-cdg2-1.cdninstagram.com/v/t51.2885-15/<nums>_n.jpg?...&oh=00_AT<hash>&oe=<hex>``:
the ``oh`` hash must match the file name (a hand-edited path is "URL signature mismatch"),
and past ``oe`` on the sandbox clock the answer is 403 "URL signature expired", as the
field notes say. Each object is a small JPEG drawn from its hash (a distinct picture per post
and per slide; the renditions of one image, ``s150x150`` … ``s1080x1080``, differ only in
size), or a few bytes of MP4 for videos. Its own budget per client IP (429 past it), apart
from Instagram's. Switches (:class:`CdnSwitches`) make the next answers truncated, not an
image, or expired early, so a downloader's checks can be tested.
"""
# No "from __future__ import annotations": FastAPI reads the route annotations at runtime.

import io
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from fastapi import FastAPI, Request
from fastapi.responses import Response
from PIL import Image

from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.gates import client_ip
from sandbox.media import CDN_HOST_RE, cdn_nums
from sandbox.ratelimit import SlidingWindowLimiter

EXPIRED_BODY = b"URL signature expired"
MISMATCH_BODY = b"URL signature mismatch"
BAD_URL_BODY = b"Bad URL timestamp"
LIMITED_BODY = b"Too Many Requests"
NOT_IMAGE_BODY = b"<!DOCTYPE html><html><body>Sorry, something went wrong.</body></html>"
SWITCHES = ("truncate", "not_image", "expire")

_NAME_RE = re.compile(r"(\d+_\d+_\d+)_n\.(jpg|mp4)")
_SIZE_RE = re.compile(r"_s(\d{2,4})x\d{2,4}")
_OH_RE = re.compile(r"00_AT([0-9a-f]{16})")


@dataclass
class CdnSwitches:
    """How many of the next answers misbehave, per behaviour (see :data:`SWITCHES`)."""

    pending: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, **counts: int) -> dict[str, int]:
        unknown = set(counts) - set(SWITCHES)
        if unknown:
            raise ValueError(f"unknown CDN switch {sorted(unknown)}; known: {SWITCHES}")
        with self._lock:
            self.pending.update({k: int(v) for k, v in counts.items()})
            return dict(self.pending)

    def take(self, name: str) -> bool:
        with self._lock:
            left = self.pending.get(name, 0)
            if left <= 0:
                return False
            self.pending[name] = left - 1
            return True

    def reset(self) -> None:
        with self._lock:
            self.pending.clear()


class CdnState:
    """The CDN's clock, budget, switches and what it answered (by outcome)."""

    def __init__(self, cfg: SandboxConfig, clock: SandboxClock) -> None:
        self.clock = clock
        self.limiter = (
            SlidingWindowLimiter(cfg.cdn_budget, cfg.cdn_window_seconds, clock.now)
            if cfg.cdn_budget
            else None
        )
        self.switches = CdnSwitches()
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


@lru_cache(maxsize=4096)
def picture(nums: str, side: int) -> bytes:
    """A small deterministic JPEG for ``nums``: a 4x4 grid of colours from its digits.

    Distinct objects differ in colours; the same object at another size is the same grid."""
    h = int(nums.replace("_", "")) % (2**127 - 1)
    cells = [((h >> (i * 7)) * 2654435761) & 0xFFFFFF for i in range(16)]
    grid = Image.new("RGB", (4, 4))
    grid.putdata([(c >> 16, (c >> 8) & 255, c & 255) for c in cells])
    out = io.BytesIO()
    grid.resize((side, side), Image.Resampling.NEAREST).save(out, "JPEG", quality=85)
    return out.getvalue()


def clip(nums: str) -> bytes:
    """A few bytes that start like an MP4 (an ``ftyp`` box), unique to ``nums``."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + nums.encode() * 8


def _side(stp: str) -> int:
    """Pixels per side for the ``stp`` rendition: a tenth of what it names, at least 16."""
    match = _SIZE_RE.search(stp)
    return max(16, int(match.group(1)) // 10) if match else 108


def _answer(state: CdnState, outcome: str, status: int, body: bytes, ctype: str) -> Response:
    state.count(outcome)
    return Response(body, status_code=status, media_type=ctype)


def serve(state: CdnState, request: Request, host: str, sub: str, name: str) -> Response:
    """One CDN request: checks in the CDN's order (path, signature, expiry, budget)."""
    match = _NAME_RE.fullmatch(name)
    if not re.fullmatch(CDN_HOST_RE, host) or match is None or not sub.startswith("t5"):
        return _answer(state, "not_found", 404, b"Not Found", "text/plain")
    nums, kind = match.groups()
    q = request.query_params
    oh = _OH_RE.fullmatch(q.get("oh", ""))
    if oh is None or cdn_nums(int(oh.group(1), 16)) != nums:
        return _answer(state, "mismatch", 403, MISMATCH_BODY, "text/plain")
    try:
        expiry = int(q.get("oe", ""), 16)
    except ValueError:
        return _answer(state, "bad_url", 403, BAD_URL_BODY, "text/plain")
    if expiry < state.clock.now() or state.switches.take("expire"):
        return _answer(state, "expired", 403, EXPIRED_BODY, "text/plain")
    if state.limiter is not None and not state.limiter.hit(client_ip(request)):
        return _answer(state, "limited", 429, LIMITED_BODY, "text/plain")
    if state.switches.take("not_image"):
        return _answer(state, "not_image", 200, NOT_IMAGE_BODY, "text/html")
    body, ctype = (
        (clip(nums), "video/mp4")
        if kind == "mp4"
        else (picture(nums, _side(q.get("stp", ""))), "image/jpeg")
    )
    if state.switches.take("truncate"):
        return _answer(state, "truncated", 200, body[: len(body) // 2], ctype)
    return _answer(state, "served", 200, body, ctype)


def create_cdn_app(state: CdnState) -> FastAPI:
    """The CDN's app: the media route and ``/_cdn/`` stats and switches."""
    app = FastAPI(title="intrend sandbox: CDN", docs_url=None, redoc_url=None)

    @app.get("/_cdn/stats")
    async def stats() -> dict[str, int]:
        return state.snapshot()

    @app.post("/_cdn/switches")
    async def switches(counts: dict[str, int]) -> dict[str, int]:
        return state.switches.set(**counts)

    @app.get("/{host}/v/{sub}/{name}")
    async def media(request: Request, host: str, sub: str, name: str) -> Response:
        return serve(state, request, host, sub, name)

    return app


__all__ = ["EXPIRED_BODY", "CdnState", "CdnSwitches", "create_cdn_app", "picture"]
