"""A stored body (zstd, bytes or str) → the JSON value it holds.

The raw store keeps bodies zstd-compressed: zstd → bytes → UTF-8 → JSON, or the JSON embedded
in an HTML profile page. The common body (zstd JSON, no escaped surrogate) goes straight from
bytes through ``orjson``, which reads it several times faster than ``json``; anything orjson
refuses takes the ``json`` path, so every error says what it always said and every body
decodes to what ``json`` gives, with one exception no answer meets: an integer beyond 64 bits
(Instagram's ids and counts fit in 63) comes out of orjson as a float.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import zstandard

from intrend_assets.parsing.shapes import ShapeError, extract_embedded

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_DCTX = zstandard.ZstdDecompressor()


class DecodeError(ValueError):
    """A body that holds no JSON value: its reason, for the caller's error."""


def decode(payload: bytes | bytearray | memoryview | str) -> Any:
    """zstd (detected by its magic) → bytes → UTF-8 → JSON; raises :class:`DecodeError`.

    An HTML body (the embedded-page strategy) gives the profile JSON embedded in it, as
    ``{"data": {"user": ...}}`` (:func:`intrend_assets.parsing.shapes.extract_embedded`).
    """
    if isinstance(payload, str):
        return _decode_text(payload, scrub=True)
    raw = bytes(payload)
    if raw[:4] == ZSTD_MAGIC:
        raw = _unzstd(raw)
    # orjson refuses what it cannot read exactly as json does, lone surrogates included (a
    # "\udcxx" escape with no partner, which no UTF-8 writer accepts: the json path scrubs it).
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass  # not strict JSON (or not JSON): the json path says which
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"body is not UTF-8 ({exc})") from None
    return _decode_text(text, scrub="\\ud" in text or "\\uD" in text)


def _unzstd(raw: bytes) -> bytes:
    # Frames written in streaming mode carry no content size: stream to the end, and check
    # the frame really ended (a cut-off frame decodes "fine" up to the cut).
    dobj = _DCTX.decompressobj()
    try:
        out = dobj.decompress(raw)
    except zstandard.ZstdError as exc:
        raise DecodeError(f"corrupt zstd data ({exc})") from None
    if not dobj.eof:
        raise DecodeError("truncated zstd data (frame does not end)")
    return out


def _decode_text(text: str, *, scrub: bool) -> Any:
    if not text.strip():
        raise DecodeError("empty body")
    if _is_html(text):
        try:
            body = extract_embedded(text)
        except ShapeError as exc:
            raise DecodeError(f"HTML page: {exc}") from None
    else:
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DecodeError(f"body is not JSON ({exc})") from None
    return _scrub_surrogates(body) if scrub else body


def _scrub_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate replaced by U+FFFD (pairs are already joined)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, list):
        return [_scrub_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_scrub_surrogates(k): _scrub_surrogates(v) for k, v in value.items()}
    return value


def _is_html(text: str) -> bool:
    # JSON never starts with "<"; only the head is looked at (bodies are tens of kB).
    return text[:64].lstrip("\ufeff \t\r\n").startswith("<")
