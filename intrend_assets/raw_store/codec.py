"""How the raw store keeps a body: zstd, and how big it may decode to before it is read."""

from __future__ import annotations

import zstandard

from intrend_assets.instagram.bounded import DEFAULT_MAX_ANSWER_BYTES, STEP

ZSTD_LEVEL = 3
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ObjectTooLarge(ValueError):
    """A raw object that decodes to more than the store's bound: refused unread, so that a
    decompression bomb on disk (64 KB of zstd making 2 GiB) cannot fill the memory."""


def compress(body: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)


def decoded_size_within(blob: bytes, limit: int) -> bool:
    """Whether ``blob`` (as stored: zstd, or plain) decodes to at most ``limit`` bytes,
    found without holding the decoded bytes.

    A zstd frame written by :func:`compress` states its size in its header, and the
    decoder refuses to write past a stated size, so the header decides at once. A frame
    without it (written in streaming mode) is decoded ``STEP`` bytes at a time and counted.
    Corrupt data counts as within: the parser says what is wrong with it. Only the first
    frame counts, as the parser reads only the first frame.
    """
    if blob[:4] != ZSTD_MAGIC:
        return len(blob) <= limit
    try:
        stated = zstandard.frame_content_size(blob)
    except zstandard.ZstdError:
        return True
    if stated >= 0:
        return stated <= limit
    decoded = 0
    reader = zstandard.ZstdDecompressor().stream_reader(blob, read_across_frames=False)
    try:
        while piece := reader.read(STEP):
            decoded += len(piece)
            if decoded > limit:
                return False
    except zstandard.ZstdError:
        return True
    return True


def decompress(blob: bytes, limit: int = DEFAULT_MAX_ANSWER_BYTES) -> bytes:
    """The body of a stored object; :class:`ObjectTooLarge` past ``limit`` bytes."""
    if not decoded_size_within(blob, limit):
        raise ObjectTooLarge(f"object decodes to more than {limit:,} bytes")
    # Frames written by ZstdCompressor.compress carry their content size; streaming readers
    # handle those that do not.
    return zstandard.ZstdDecompressor().decompressobj().decompress(blob)
