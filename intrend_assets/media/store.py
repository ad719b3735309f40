"""Media kept by content: ``media/objects/<sha256[:2]>/<sha256>.<ext>`` beside the raw store.

On the raw store's blobs (:mod:`intrend_assets.raw_store.blobs`), so media live where the
raw answers do: a folder, or the bucket of ``INTREND_RAW_URL=s3://...``. The same picture
twice (a post seen in two fetches, one image in two renditions' places) is one object.
Writes are whole objects (temporary file, fsync and rename on a folder; one PUT on S3), so
an object under its hash is always whole. What a run made of a profile's media is one
object of JSON lines, ``media/records/<username>/<stamp>.jsonl`` (objects cannot be
appended to; the warehouse's ``post_media`` is loaded from them in key order),
``media/settled/<username>.json`` lists the media no run needs to fetch again, and
``media/cursors/<username>`` names the newest raw fetch already looked at.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from intrend_assets.raw_store.blobs import Blobs
from intrend_assets.tracking.usernames import validate_username

ARCHIVED = "archived"
# Not tried again; an expired medium is, when a later fetch brings a fresh address.
TERMINAL = frozenset({ARCHIVED, "refused"})
PREFIX = "media/"
OBJECTS = PREFIX + "objects/"
_runs = itertools.count()  # tells apart two record objects written in one microsecond


@dataclass(frozen=True)
class MediaRecord:
    """What became of one medium: archived (with its hash) or why not."""

    username: str
    post_id: str
    kind: str
    position: int
    status: str  # archived, refused (final); expired, failed (tried again on a new fetch)
    fetched_at: str  # ISO 8601, UTC
    url_expires_at: int | None = None
    sha256: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    content_type: str | None = None
    reason: str | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.post_id, self.kind, self.position)


class MediaStore:
    """The ``media/`` keys of a raw store's blobs."""

    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs

    @staticmethod
    def object_key(sha256: str, extension: str) -> str:
        return f"{OBJECTS}{sha256[:2]}/{sha256}.{extension}"

    def put(self, body: bytes, extension: str) -> tuple[str, bool]:
        """Store ``body`` under its sha256; ``(hash, written)``, False when already there."""
        digest = hashlib.sha256(body).hexdigest()
        key = self.object_key(digest, extension)
        found = self.blobs.stat(key)
        if found is not None and found.size == len(body):
            return digest, False
        self.blobs.put(key, body)
        return digest, True

    def get(self, sha256: str, extension: str) -> bytes | None:
        """A stored medium's bytes; None when there is none."""
        return self.blobs.get(self.object_key(sha256, extension))

    def bytes_stored(self) -> int:
        """The size of every stored medium."""
        return sum(e.size for e in self.blobs.list(OBJECTS))

    @staticmethod
    def _records_prefix(username: str) -> str:
        return f"{PREFIX}records/{validate_username(username)}/"

    def append(self, username: str, records: list[MediaRecord]) -> None:
        """Add one run's records as one object, named by when it was written."""
        if not records:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        key = f"{self._records_prefix(username)}{stamp}-{next(_runs):06d}.jsonl"
        lines = "".join(json.dumps(asdict(r), sort_keys=True) + "\n" for r in records)
        new = {r.key for r in records if r.status in TERMINAL}
        done = self.settled(username) | new if new else set()
        self.blobs.put(key, lines.encode())
        if new:  # after the records: a crash between leaves media to fetch again, not lost
            self.blobs.put(self._settled_key(username), json.dumps(sorted(done)).encode())

    def _read(self, key: str) -> list[MediaRecord]:
        out = []
        for line in (self.blobs.get(key) or b"").decode("utf-8").splitlines():
            try:
                out.append(MediaRecord(**json.loads(line)))
            except (ValueError, TypeError):  # written by something else: skipped
                continue
        return out

    def _record_keys(self, username: str) -> list[str]:
        keys = (e.key for e in self.blobs.list(self._records_prefix(username)))
        return [k for k in keys if k.endswith(".jsonl")]

    def records(self, username: str) -> list[MediaRecord]:
        """Every record of a profile, oldest first."""
        return [r for key in self._record_keys(username) for r in self._read(key)]

    def records_after(
        self, username: str, after: str | None
    ) -> tuple[list[MediaRecord], str | None]:
        """The records of objects after key ``after``, and the last object's key."""
        keys = [k for k in self._record_keys(username) if after is None or k > after]
        if not keys:
            return [], after
        return [r for key in keys for r in self._read(key)], keys[-1]

    def loaded(self) -> dict[str, str]:
        """The last record object of each profile already in the warehouse."""
        try:
            data = json.loads(self.blobs.get(PREFIX + "loaded.json") or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def set_loaded(self, loaded: dict[str, str]) -> None:
        self.blobs.put(PREFIX + "loaded.json", json.dumps(loaded, sort_keys=True).encode())

    @staticmethod
    def _settled_key(username: str) -> str:
        return f"{PREFIX}settled/{validate_username(username)}.json"

    def settled(self, username: str) -> set[tuple[str, str, int]]:
        """Media of the profile that no later run needs to fetch. Kept as one object beside
        the records, so a run reads one object per profile, not one per earlier run (each a
        GET on S3); without it (or unreadable), read off the records."""
        data = self.blobs.get(self._settled_key(username))
        if data is not None:
            try:
                return {(str(p), str(k), int(n)) for p, k, n in json.loads(data)}
            except (ValueError, TypeError):
                pass
        return {r.key for r in self.records(username) if r.status in TERMINAL}

    def usernames(self) -> Iterator[str]:
        yield from self.blobs.children(PREFIX + "records/")

    def cursor(self, username: str) -> str | None:
        found = self.blobs.get(f"{PREFIX}cursors/{validate_username(username)}")
        return found.decode("utf-8").strip() or None if found is not None else None

    def set_cursor(self, username: str, key: str) -> None:
        self.blobs.put(f"{PREFIX}cursors/{validate_username(username)}", key.encode())
