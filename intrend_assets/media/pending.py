"""The media of fetches the media stage has not looked at yet, read from the raw store.

Per profile, every stored fetch (answer and its timeline pages) after the profile's media
cursor, oldest first, so the newest address of a medium wins. A page that does not decode is
skipped here: the posts loader reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intrend_assets.media.refs import MediaMode, MediaRef, media_refs
from intrend_assets.media.store import MediaStore
from intrend_assets.parsing.profile import ProfileParseError, decode_body
from intrend_assets.parsing.shapes import ShapeError
from intrend_assets.raw_store.store import RawStore


@dataclass
class NewFetches:
    refs: dict[str, list[MediaRef]] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)  # the newest fetch seen, per profile
    unreadable: int = 0


def new_fetches(raw: RawStore, media: MediaStore, mode: MediaMode) -> NewFetches:
    """What the next media run has to look at (nothing in ``off`` mode)."""
    out = NewFetches()
    if mode == "off":
        return out
    for username in raw.usernames():
        cursor = media.cursor(username)
        objects = [o for o in raw.objects(username) if cursor is None or o.key > cursor]
        if not objects:
            continue
        found: list[MediaRef] = []
        for obj in objects:
            for key in (obj.key, *raw.pages(obj)):
                try:
                    body = decode_body(raw.read(key), username=username)
                    found.extend(media_refs(username, body, mode))
                except (ProfileParseError, ShapeError, OSError, ValueError):
                    out.unreadable += 1
        out.refs[username] = found
        out.cursors[username] = objects[-1].key
    return out
