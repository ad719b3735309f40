"""What counts as a medium: a whole image (decoded to its last byte) or an MP4.

A CDN hiccup answers 200 with half a JPEG, an HTML error page, or a body cut by the
network; none of them may be stored as the post's picture. Images are decoded in full with
Pillow (its ``verify`` misses a truncated JPEG), bounded in pixels; videos must start with
an ``ftyp`` box and be as long as the answer said.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

MAX_PIXELS = 40_000_000  # a 6000 x 6000 picture; Instagram serves at most 1440 wide
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}


class NotMedia(ValueError):
    """A body that is not a whole image or video; retried, never stored."""


@dataclass(frozen=True)
class Inspected:
    content_type: str
    width: int | None
    height: int | None
    extension: str


def _image(body: bytes) -> Inspected:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as image:
                if image.format not in _FORMATS:
                    raise NotMedia(f"an image in {image.format}, not a CDN format")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise NotMedia(f"{width}x{height} pixels is more than a CDN image")
                image.load()  # decodes every byte: a cut body raises here
                fmt = image.format
    except NotMedia:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise NotMedia(f"not a whole image ({exc})") from None
    return Inspected(_FORMATS[fmt], width, height, fmt.lower().replace("jpeg", "jpg"))


def inspect(body: bytes, expected_length: int | None = None) -> Inspected:
    """What ``body`` is, or :class:`NotMedia`."""
    if not body:
        raise NotMedia("empty body")
    if expected_length is not None and expected_length != len(body):
        raise NotMedia(f"{len(body)} bytes of the {expected_length} announced")
    if body[4:8] == b"ftyp":
        return Inspected("video/mp4", None, None, "mp4")
    return _image(body)
