"""Decompression bombs: an answer or a raw object that inflates hugely is refused at the bound.

Real bombs, made here: gzip and zstd of zeros, a few MB at most that inflate to 64 MiB-2 GiB.
Upstream, they come from the sandbox's fake Instagram over loopback (its ``bomb`` switch
answers 1 MB of gzip inflating to 1 GiB); at rest, they are written into a raw store. Memory
is measured with tracemalloc (every bytes object is a Python allocation), and must stay
within a few times the bound, not the inflated size.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http.server
import threading
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import zstandard

from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemClient
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.instagram.bound import BoundStrategies
from intrend_assets.instagram.bounded import DEFAULT_MAX_ANSWER_BYTES, TooLarge, decode_bounded
from intrend_assets.instagram.client import InstagramClient
from intrend_assets.instagram.errors import AnswerTooLarge, NetworkError
from intrend_assets.instagram.http import HttpRequest
from intrend_assets.loading.queue import parse_fetch
from intrend_assets.raw_store.store import LocalRawStore, ObjectTooLarge, decompress
from sandbox.world import SandboxConfig, SandboxWorld, start_sandbox
from tests import defaults
from tests.infra.s3 import StoreFactory

MiB = 1024 * 1024
BODY = b'{"data": {"user": {"username": "anna", "biography": "' + b"x" * 5000 + b'"}}}'


def _zeros_compressed(
    pack: Callable[[bytes], bytes], flush: Callable[[], bytes], mib: int
) -> bytes:
    zeros = bytes(MiB)
    return b"".join([*(pack(zeros) for _ in range(mib)), flush()])


def gzip_bomb(mib: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return _zeros_compressed(packer.compress, packer.flush, mib)


def zstd_bomb(mib: int, *, stated: bool) -> bytes:
    """zstd of ``mib`` MiB of zeros; ``stated``: the frame header says its size (as the raw
    store's own writes do), else it is a streaming frame that does not."""
    packer = zstandard.ZstdCompressor(level=3).compressobj(size=mib * MiB if stated else -1)
    return _zeros_compressed(packer.compress, packer.flush, mib)


def peak_bytes(action: Callable[[], Any]) -> tuple[Any, int]:
    """What ``action`` returned or raised, and the most memory it held at once."""
    tracemalloc.start()
    try:
        try:
            outcome: Any = action()
        except Exception as exc:
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- the decoder ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        (None, lambda b: b),
        ("identity", lambda b: b),
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b, wbits=-zlib.MAX_WBITS)),  # raw, as IIS sends
        ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
        ("gzip, zstd", lambda b: zstandard.ZstdCompressor().compress(gzip.compress(b))),
        ("br", lambda b: b),  # not decoded here (nor by httpx without brotli): as it came
    ],
)
def test_real_answers_decode_as_httpx_decodes_them(
    encoding: str | None, encode: Callable[[bytes], bytes]
) -> None:
    raw = encode(BODY)
    headers = {"content-encoding": encoding} if encoding else {}
    assert decode_bounded(raw, encoding, DEFAULT_MAX_ANSWER_BYTES) == BODY
    if "," not in (encoding or ""):  # httpx 0.28 fails on zstd after another layer
        assert httpx.Response(200, content=raw, headers=headers).content == BODY


@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [
        ("gzip", lambda: gzip_bomb(256)),
        ("zstd", lambda: zstd_bomb(2048, stated=True)),
        ("zstd", lambda: zstd_bomb(2048, stated=False)),
        ("gzip, gzip", lambda: gzip.compress(gzip_bomb(256))),  # a bomb inside a bomb
    ],
)
def test_a_bomb_stops_at_the_bound_with_memory_flat(
    encoding: str, bomb: Callable[[], bytes]
) -> None:
    raw = bomb()
    outcome, peak = peak_bytes(lambda: decode_bounded(raw, encoding, 4 * MiB))
    assert isinstance(outcome, TooLarge), outcome
    assert "INTREND_MAX_ANSWER_BYTES" in str(outcome)
    assert peak < 4 * MiB + 3 * MiB + 2 * len(raw)  # the bound, a step or two, the input


def test_a_body_exactly_at_the_bound_passes() -> None:
    body = bytes(2 * MiB)
    assert decode_bounded(gzip.compress(body), "gzip", 2 * MiB) == body
    with pytest.raises(TooLarge):
        decode_bounded(gzip.compress(body + b"!"), "gzip", 2 * MiB)


# --- upstream: the sandbox answers a bomb over loopback ------------------------------------


@pytest.fixture(scope="module")
def world() -> Iterator[SandboxWorld]:
    config = SandboxConfig(profiles=12, seed=3, budget=1000, speed=1.0)
    with start_sandbox(config) as sandbox:
        yield sandbox


def _send(world: SandboxWorld, **client: Any) -> Any:
    async def go() -> Any:
        config = defaults.client_config(world.instagram_url, proxy_url=world.proxy_url, **client)
        http = InstagramClient(config)
        try:
            return await http.get_profile(world.usernames()[0])
        except Exception as exc:
            return exc
        finally:
            await http.aclose()

    return asyncio.run(go())


def test_a_gzip_bomb_answer_is_refused_once_the_bound_is_decoded(world: SandboxWorld) -> None:
    world.reset_faults()
    world.faults.set(bomb=1)
    outcome, peak = peak_bytes(lambda: _send(world))
    assert isinstance(outcome, AnswerTooLarge), outcome
    assert outcome.outcome == "too_large"
    assert f"{DEFAULT_MAX_ANSWER_BYTES:,} bytes (gzip)" in str(outcome)
    assert world.faults.snapshot()["used"]["bomb"] == 1
    assert peak < 3 * DEFAULT_MAX_ANSWER_BYTES  # not the 1 GiB it inflates to


def test_an_answer_under_the_bound_comes_whole(world: SandboxWorld) -> None:
    world.reset_faults()
    answer = _send(world)
    assert answer.status == 200 and world.usernames()[0].encode() in answer.body


@contextlib.contextmanager
def serving(body: bytes, headers: dict[str, str]) -> Iterator[str]:
    """A loopback HTTP server answering every GET with ``body`` and ``headers`` as given."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            for name, value in {**headers, "content-length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> Any:
    async def go() -> Any:
        http_client = InstagramClient(defaults.client_config(url))
        try:
            return await http_client.send(HttpRequest("GET", f"{url}/x"))
        except Exception as exc:
            return exc
        finally:
            await http_client.aclose()

    return asyncio.run(go())


def test_a_body_broken_in_its_encoding_is_a_network_error_as_before() -> None:
    """httpx's own DecodingError was one (retried like a cut connection); so is ours."""
    broken = gzip.compress(BODY)[:40] + b"\xff" * 40
    with serving(broken, {"content-encoding": "gzip"}) as url:
        outcome = _get(url)
    assert isinstance(outcome, NetworkError) and "bad gzip data" in str(outcome)


def test_a_zstd_bomb_answer_is_refused_too() -> None:
    """Not asked for (we accept gzip and deflate), but httpx would decode it all the same."""
    with serving(zstd_bomb(2048, stated=False), {"content-encoding": "zstd"}) as url:
        outcome, peak = peak_bytes(lambda: _get(url))
    assert isinstance(outcome, AnswerTooLarge) and "(zstd)" in str(outcome)
    assert peak < 3 * DEFAULT_MAX_ANSWER_BYTES


def _fetch(world: SandboxWorld, names: list[str], root: Path) -> FetchReport:
    async def go() -> FetchReport:
        client = InstagramClient(
            defaults.client_config(world.instagram_url, proxy_url=world.proxy_url)
        )
        modem = ModemClient(world.modem_url, world.modem_token)
        try:
            gate = RotationGate(modem.rotate, current_ip=await modem.current_ip())
            strategies = BoundStrategies.from_clients(
                client, ["web_profile_info"], ["graphql_query_hash"]
            )
            return await fetch_profiles(
                names, strategies, gate, LocalRawStore(root), defaults.policy(concurrency=4)
            )
        finally:
            await client.aclose()
            await modem.aclose()

    return asyncio.run(go())


def test_a_fetch_answered_with_a_bomb_is_recorded_as_failed_with_the_reason(
    world: SandboxWorld, tmp_path: Path
) -> None:
    world.reset_faults()
    world.faults.set(bomb=1)
    names = world.usernames()[:4]
    report = _fetch(world, names, tmp_path)
    world.reset_faults()
    refused = [o for o in report.outcomes.values() if o.outcome != "stored"]
    assert len(refused) == 1 and report.stored == 3
    (bombed,) = refused
    assert bombed.outcome == "refused"
    assert "web_profile_info: HTTP 200: body decodes to more than" in bombed.reason
    (record,) = LocalRawStore(tmp_path).failures()
    assert record["username"] == bombed.username and record["reason"] == bombed.reason
    assert [e["outcome"] for e in report.log].count("too_large") == 1


# --- at rest: a bomb in the raw store -------------------------------------------------------


@pytest.mark.parametrize("stated", [True, False], ids=["size in header", "streaming frame"])
def test_a_zstd_bomb_in_the_raw_store_is_refused_unread(
    make_store: StoreFactory, stated: bool
) -> None:
    store = make_store()
    obj = store.put("anna", datetime(2026, 1, 1, tzinfo=UTC), BODY)
    assert decompress(store.read(obj.key)) == BODY  # a real one reads as before
    store.blobs.put(obj.key, zstd_bomb(2048, stated=stated))  # 64 KB -> 2 GiB
    outcome, peak = peak_bytes(lambda: store.read(obj.key))
    assert isinstance(outcome, ObjectTooLarge), outcome
    assert obj.key in str(outcome) and "INTREND_MAX_ANSWER_BYTES" in str(outcome)
    assert peak < 3 * DEFAULT_MAX_ANSWER_BYTES
    with pytest.raises(ObjectTooLarge):
        decompress(store.blobs.get(obj.key) or b"")


def test_the_load_records_a_bombed_object_as_the_profiles_failure(
    make_store: StoreFactory,
) -> None:
    """The loader takes a refused object for that fetch's fault: recorded, not raised."""
    store = make_store(max_object_bytes=4 * MiB)
    obj = store.put("anna", datetime(2026, 1, 1, tzinfo=UTC), BODY)
    store.blobs.put(obj.key, zstd_bomb(64, stated=True))
    unparseable: dict[str, str] = {}
    assert parse_fetch(store, obj, unparseable) == []
    assert "decodes to more than 4,194,304 bytes" in unparseable[obj.key]
    (record,) = store.failures()
    assert record["outcome"] == "invalid" and record["reason"] == unparseable[obj.key]
