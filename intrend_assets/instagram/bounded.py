"""Decode an answer's body incrementally, and stop once it decodes to more than a bound.

A compressed body can inflate a thousandfold (gzip) or a millionfold (zstd): a 1 MB gzip
answer becomes 1 GiB, a 64 KB zstd one 2 GiB, and a process that decodes first and looks
later is out of memory before it can look. Here every layer of ``Content-Encoding`` decodes
at most :data:`STEP` bytes at a time and hands them on; the last counts what it keeps and
raises :class:`TooLarge` past the bound, so memory stays at the bound plus a step or two.

The encodings are those httpx decodes (``gzip``, ``deflate``, ``zstd``, ``identity``, in the
order the header lists them); others are left as they came, as httpx leaves them.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import zstandard

# The bound's default (``INTREND_MAX_ANSWER_BYTES``). The largest answer the project asks for
# is one profile with its first 12 posts, or one timeline page of 12: 302 KB and 171 KB in
# the real samples (/work/shared/real-samples), tens of KB for most profiles. Even a
# 100,000-post profile (416 MB of JSON in all) comes 12 posts an answer, ~8,300 answers of
# ~50 KB. 16 MiB is fifty times the largest real answer, and small enough for memory: a run
# holds up to ``concurrency`` (8) answers at once, each briefly twice (its pieces, then the
# joined body): 8 x 2 x 16 MiB = 256 MiB over a Dagster process's ~250 MB, under 1 GiB.
DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024
STEP = 1024 * 1024  # bytes one layer decodes at a time


class TooLarge(ValueError):
    """The body decodes to more than the bound (``limit`` bytes)."""

    def __init__(self, limit: int, encoding: str | None = None) -> None:
        how = f" ({encoding})" if encoding else ""
        super().__init__(
            f"body decodes to more than {limit:,} bytes{how}: refused unread "
            "(INTREND_MAX_ANSWER_BYTES)"
        )
        self.limit = limit


class DecodeError(ValueError):
    """The body is not valid data of its ``Content-Encoding``."""


class _Writer(Protocol):
    def write(self, data: bytes) -> object: ...


class Kept:
    """The decoded body, counted as it comes: at most ``limit`` bytes are kept."""

    def __init__(self, limit: int, encoding: str | None = None) -> None:
        self.limit = limit
        self.encoding = encoding
        self.size = 0
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            self._parts.clear()
            raise TooLarge(self.limit, self.encoding)
        self._parts.append(bytes(data))
        return len(data)

    def body(self) -> bytes:
        body = b"".join(self._parts)
        self._parts = [body]
        return body


class _Zlib:
    """gzip or deflate, ``STEP`` bytes of output at a time. ``deflate`` is zlib-wrapped or
    raw (servers send both); like httpx, the first error on the first data tries raw."""

    def __init__(self, downstream: _Writer, encoding: str) -> None:
        self.downstream = downstream
        self.encoding = encoding
        self.raw_fallback = encoding == "deflate"
        wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
        self._d = zlib.decompressobj(wbits)
        self._started = False

    def write(self, data: bytes) -> None:
        try:
            self._decode(data)
        except zlib.error as exc:
            if not (self.raw_fallback and not self._started):
                raise DecodeError(f"bad {self.encoding} data: {exc}") from None
            self.raw_fallback = False
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)
            self.write(data)

    def _decode(self, data: bytes) -> None:
        d = self._d
        while not d.eof:  # after the end of the stream, the rest is ignored (as httpx does)
            out = d.decompress(data, STEP)
            data = d.unconsumed_tail
            if out:
                self._started = True
                self.downstream.write(out)
            if not data and len(out) < STEP:
                return  # all input taken and no output left pending

    def finish(self) -> None:
        self.write(b"")


class _Zstd:
    """zstd, through a stream writer that hands on ``STEP`` bytes at a time."""

    def __init__(self, downstream: _Writer) -> None:
        self._w = zstandard.ZstdDecompressor().stream_writer(
            downstream, write_size=STEP, closefd=False
        )

    def write(self, data: bytes) -> None:
        try:
            self._w.write(data)
        except zstandard.ZstdError as exc:
            raise DecodeError(f"bad zstd data: {exc}") from None

    def finish(self) -> None:
        self._w.flush()


class BoundedDecoder:
    """Feed the raw body's chunks in; :meth:`body` gives the decoded body. Raises
    :class:`TooLarge` as soon as it decodes to more than ``limit`` bytes, and
    :class:`DecodeError` on data that is not of its encoding."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
        known = [e for e in encodings if e in ("gzip", "deflate", "zstd")]
        self.kept = Kept(limit, ", ".join(known) or None)
        downstream: _Writer = self.kept
        layers: list[_Zlib | _Zstd] = []
        # The header lists encodings in the order they were applied: undo the last first.
        for encoding in known:
            layer = _Zstd(downstream) if encoding == "zstd" else _Zlib(downstream, encoding)
            layers.append(layer)
            downstream = layer
        self._layers = layers[::-1]  # outermost first
        self._first: _Writer = downstream

    def feed(self, chunk: bytes) -> None:
        if chunk:
            self._first.write(chunk)

    def body(self) -> bytes:
        for layer in self._layers:
            layer.finish()
        return self.kept.body()


def decode_bounded(data: bytes, content_encoding: str | None, limit: int) -> bytes:
    """A whole body at once (tests, small callers), with the same bound."""
    decoder = BoundedDecoder(content_encoding, limit)
    for start in range(0, len(data), STEP):
        decoder.feed(data[start : start + STEP])
    return decoder.body()
