"""Media kept by content: ``media/objects/<sha256[:2]>/<sha256>.<ext>`` in the raw store's folder.

The same picture twice (a post seen in two fetches, one image in two renditions' places) is
one file. Writes are atomic (temporary file, fsync, rename), so a file under its hash is
always whole. What each fetch's media became is one JSON line per medium under
``media/records/<username>.jsonl`` (the warehouse's ``post_media`` is loaded from them), and
``media/cursors/<username>`` names the newest raw fetch already looked at.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from intrend_assets.raw_store.store import _atomic_write
from intrend_assets.tracking.usernames import validate_username

ARCHIVED = "archived"
# Not tried again; an expired medium is, when a later fetch brings a fresh address.
TERMINAL = frozenset({ARCHIVED, "refused"})


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
    """The media subtree of a raw store folder."""

    def __init__(self, raw_root: str | Path) -> None:
        self.root = Path(raw_root) / "media"

    def object_path(self, sha256: str, extension: str) -> Path:
        return self.root / "objects" / sha256[:2] / f"{sha256}.{extension}"

    def put(self, body: bytes, extension: str) -> tuple[str, bool]:
        """Store ``body`` under its sha256; ``(hash, written)``, False when already there."""
        digest = hashlib.sha256(body).hexdigest()
        path = self.object_path(digest, extension)
        if path.exists() and path.stat().st_size == len(body):
            return digest, False
        _atomic_write(path, body)
        return digest, True

    def _records_path(self, username: str) -> Path:
        return self.root / "records" / f"{validate_username(username)}.jsonl"

    def append(self, username: str, records: list[MediaRecord]) -> None:
        """Add records; a line cut by a crash is skipped on reading, the medium tried again."""
        if not records:
            return
        path = self._records_path(username)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(asdict(r), sort_keys=True) + "\n" for r in records)

    def records(self, username: str) -> list[MediaRecord]:
        """Every record of a profile, oldest first."""
        path = self._records_path(username)
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(MediaRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return out

    def records_after(self, username: str, offset: int) -> tuple[list[MediaRecord], int]:
        """Whole records written after byte ``offset``, and the offset after the last one."""
        path = self._records_path(username)
        if not path.exists():
            return [], offset
        data = path.read_bytes()[offset:]
        end = data.rfind(b"\n") + 1  # a line still being written is left for next time
        out = []
        for line in data[:end].decode("utf-8").splitlines():
            try:
                out.append(MediaRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return out, offset + end

    def loaded_offsets(self) -> dict[str, int]:
        """How far each profile's records are in the warehouse (bytes of its records file)."""
        try:
            data = json.loads((self.root / "loaded.json").read_bytes())
        except (FileNotFoundError, ValueError):
            return {}
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def set_loaded_offsets(self, offsets: dict[str, int]) -> None:
        _atomic_write(self.root / "loaded.json", json.dumps(offsets, sort_keys=True).encode())

    def settled(self, username: str) -> set[tuple[str, str, int]]:
        """Media of the profile that no later run needs to fetch."""
        return {r.key for r in self.records(username) if r.status in TERMINAL}

    def usernames(self) -> Iterator[str]:
        folder = self.root / "records"
        if folder.is_dir():
            yield from sorted(p.stem for p in folder.glob("*.jsonl"))

    def cursor(self, username: str) -> str | None:
        path = self.root / "cursors" / validate_username(username)
        return path.read_text(encoding="utf-8").strip() or None if path.exists() else None

    def set_cursor(self, username: str, key: str) -> None:
        _atomic_write(self.root / "cursors" / validate_username(username), key.encode())
