"""The raw store: every profile answer as it came, zstd-compressed, one object per fetch.

Objects are keyed ``profiles/<username>/<fetched_at>.json.zst``; the timeline pages fetched
after a profile answer go to ``pages/<username>/<fetched_at>/<n>.json.zst``, so a profile
answer and its pages stay one unit. The username is validated
before it becomes part of a path, and every write is atomic (temporary file, fsync, rename) so
a crash never leaves a half-written object behind. Failures live beside the objects under
``failures/<username>.json`` until a later fetch succeeds, so nothing is forgotten; the
record counts the failures in a row (``consecutive``, for the same kind of reason), which
the refresh backoff grows with and parks a profile by (:mod:`intrend_assets.tracking.refresh`).

``pending/`` holds one marker per fetch not yet loaded into the warehouse, written once the
answer and all its pages are stored (or once paging stopped, whatever stopped it), and before
the fast-update mark moves past them. The ``posts`` asset loads what is pending and removes a
marker only after its rows are committed, so a crash between fetch and load leaves the fetch
pending, never lost. (A crash inside the write of the answer itself loses that fetch only:
its mark has not moved, so the next fetch pages the same posts again.)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from intrend_assets.fetching.fast_update import Mark
from intrend_assets.instagram.bounded import DEFAULT_MAX_ANSWER_BYTES
from intrend_assets.raw_store.codec import (
    ObjectTooLarge,
    compress,
    decoded_size_within,
    decompress,
)
from intrend_assets.redaction import redact
from intrend_assets.tracking.refresh import Cadence, backoff_for
from intrend_assets.tracking.usernames import InvalidUsername, validate_username

_STAMP = "%Y%m%dT%H%M%S.%fZ"
# A pending marker is named ``<stamp>~<username>``: sorting the folder sorts by fetch time.
_PENDING_SEP = "~"
__all__ = ["LocalRawStore", "ObjectTooLarge", "RawObject", "compress", "decompress"]


@dataclass(frozen=True)
class RawObject:
    username: str
    fetched_at: datetime
    key: str
    size: int


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


def _unstamp(text: str) -> datetime:
    return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)


def _object_key(username: str, stamp: str) -> str:
    """Where a fetch's answer lives: the one place that knows the layout."""
    return f"profiles/{username}/{stamp}.json.zst"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> dict:
    """A small JSON record, or {} when it is absent or unreadable (a crash cannot leave a
    half-written one, but a hand-edited one may be wrong)."""
    try:
        data = json.loads(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class LocalRawStore:
    """The raw store on a local (or mounted) folder."""

    def __init__(self, root: str | Path, max_object_bytes: int = DEFAULT_MAX_ANSWER_BYTES) -> None:
        """``max_object_bytes``: the most an object may decode to (``INTREND_MAX_ANSWER_BYTES``;
        the fetch refuses larger answers, so only a file written by something else is)."""
        self.root = Path(root)
        self.max_object_bytes = max_object_bytes
        self._swept = False

    def _profile_dir(self, username: str) -> Path:
        return self.root / "profiles" / validate_username(username)

    def put(self, username: str, fetched_at: datetime, body: bytes) -> RawObject:
        """Store one answer body (uncompressed bytes in, compressed on disk)."""
        name = validate_username(username)
        key = _object_key(name, _stamp(fetched_at))
        blob = compress(body)
        _atomic_write(self.root / key, blob)
        return RawObject(name, fetched_at.astimezone(UTC), key, len(blob))

    def objects(self, username: str) -> list[RawObject]:
        """All stored fetches of a profile, oldest first."""
        folder = self._profile_dir(username)
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.glob("*.json.zst")):
            stamp = path.name.removesuffix(".json.zst")
            try:
                moment = _unstamp(stamp)
            except ValueError:
                continue
            key = str(path.relative_to(self.root))
            found.append(RawObject(folder.name, moment, key, path.stat().st_size))
        return found

    def latest(self, username: str) -> RawObject | None:
        objects = self.objects(username)
        return objects[-1] if objects else None

    def read(self, key: str) -> bytes:
        """The compressed bytes of an object, exactly as stored, once they are known to
        decode to at most ``max_object_bytes``: past that, :class:`ObjectTooLarge` (a file
        larger than that on disk is not even read)."""
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key {key!r} escapes the raw store")
        limit = self.max_object_bytes
        if path.stat().st_size > limit or not decoded_size_within(blob := path.read_bytes(), limit):
            raise ObjectTooLarge(
                f"{key} decodes to more than {limit:,} bytes: refused unread "
                "(INTREND_MAX_ANSWER_BYTES)"
            )
        return blob

    def put_page(self, obj: RawObject, number: int, body: bytes) -> str:
        """Store timeline page ``number`` (1, 2, ...) fetched after profile answer ``obj``."""
        name = validate_username(obj.username)
        key = f"pages/{name}/{_stamp(obj.fetched_at)}/{number:04d}.json.zst"
        _atomic_write(self.root / key, compress(body))
        return key

    def pages(self, obj: RawObject) -> list[str]:
        """Keys of the pages fetched after ``obj``, in page order."""
        folder = self.root / "pages" / validate_username(obj.username) / _stamp(obj.fetched_at)
        if not folder.is_dir():
            return []
        return [str(p.relative_to(self.root)) for p in sorted(folder.glob("*.json.zst"))]

    # Pending: fetches stored but not yet loaded into the warehouse.

    def _pending_path(self, obj: RawObject) -> Path:
        name = validate_username(obj.username)
        return self.root / "pending" / f"{_stamp(obj.fetched_at)}{_PENDING_SEP}{name}"

    def mark_pending(self, obj: RawObject) -> None:
        """Queue a stored fetch (answer and pages complete) for the warehouse load."""
        _atomic_write(self._pending_path(obj), obj.key.encode())

    def pending(self) -> list[RawObject]:
        """Fetches waiting for the warehouse load, oldest first.

        A marker whose answer is gone (deleted by hand) comes back with ``size`` -1, so the
        loader can say so and drop it rather than fail on it for ever.
        """
        if not self._swept:  # once per store: each run lists its pending fetches first
            self._swept = True
            remove_stale_temporary_files(self.root)
        folder = self.root / "pending"
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.iterdir()):
            stamp, sep, name = path.name.partition(_PENDING_SEP)
            if not sep or path.name.startswith("."):
                continue  # a temporary file of a write in progress, or a stranger
            try:
                moment = _unstamp(stamp)
                if validate_username(name) != name:
                    continue  # not a name mark_pending writes (and clear_pending would miss)
            except (ValueError, InvalidUsername):
                continue
            key = _object_key(name, stamp)
            try:
                size = (self.root / key).stat().st_size
            except FileNotFoundError:
                size = -1
            found.append(RawObject(name, moment, key, size))
        return found

    def clear_pending(self, objects: Iterable[RawObject]) -> None:
        """Forget markers once their fetches are loaded (or found unloadable)."""
        for obj in objects:
            self._pending_path(obj).unlink(missing_ok=True)

    def set_aside_pending(self, obj: RawObject, why: str) -> None:
        """Keep a fetch the warehouse refused out of the queue, but not out of sight:
        ``pending/refused/<marker>.json`` says which and why, for a person to look at (and
        ``posts`` with ``full_refresh`` to retry once the cause is fixed)."""
        marker = self._pending_path(obj)
        record = {"key": obj.key, "username": obj.username, "why": redact(why)}
        _atomic_write(
            marker.parent / "refused" / f"{marker.name}.json", json.dumps(record).encode()
        )

    def set_aside(self) -> list[dict[str, str]]:
        """The records of the fetches set aside (key, username, why), oldest first."""
        folder = self.root / "pending" / "refused"
        if not folder.is_dir():
            return []
        records = (_read_json(p) for p in sorted(folder.glob("*.json")))
        return [r for r in records if r.get("key")]

    def read_mark(self, username: str) -> Mark | None:
        """The fast-update mark of the last complete pass, if any."""
        path = self.root / "marks" / f"{validate_username(username)}.json"
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        newest = data.get("newest_taken_at")
        return Mark(datetime.fromisoformat(newest) if newest else None, frozenset(data["post_ids"]))

    def write_mark(self, username: str, mark: Mark) -> None:
        data = {
            "newest_taken_at": mark.newest_taken_at.isoformat() if mark.newest_taken_at else None,
            "post_ids": sorted(mark.post_ids),
        }
        path = self.root / "marks" / f"{validate_username(username)}.json"
        _atomic_write(path, json.dumps(data).encode())

    def read_walls(self, username: str) -> frozenset[str]:
        """Strategies that answered this profile with a login wall last time they were tried."""
        path = self.root / "walls" / f"{validate_username(username)}.json"
        try:
            return frozenset(json.loads(path.read_bytes()).get("strategies", []))
        except FileNotFoundError:
            return frozenset()

    def write_walls(self, username: str, strategies: set[str] | frozenset[str]) -> None:
        path = self.root / "walls" / f"{validate_username(username)}.json"
        if not strategies:
            path.unlink(missing_ok=True)
            return
        _atomic_write(path, json.dumps({"strategies": sorted(strategies)}).encode())

    def read_served(self, username: str) -> str | None:
        """The anonymous strategy that served this profile last, when it was not the first
        in order (a profile one strategy refuses starts with the one that worked)."""
        path = self.root / "served" / f"{validate_username(username)}.json"
        try:
            return json.loads(path.read_bytes()).get("strategy")
        except FileNotFoundError:
            return None

    def write_served(self, username: str, strategy: str | None) -> None:
        """Remember ``strategy`` for this profile; None forgets (the usual order serves it)."""
        path = self.root / "served" / f"{validate_username(username)}.json"
        if strategy is None:
            path.unlink(missing_ok=True)
            return
        _atomic_write(path, json.dumps({"strategy": strategy}).encode())

    def write_cadence(self, username: str, posts_per_day: float) -> None:
        """Remember how often the profile posts (what the refresh sensor adapts to)."""
        self.write_cadences({username: posts_per_day})

    def write_cadences(self, rates: Mapping[str, float]) -> None:
        """Remember how often each of these profiles posts, without an fsync per file.

        A rate is derived data (the next load of the profile computes it again from its
        posts), and an fsync per profile cost a load of 83k fetches minutes. Each file is
        still replaced by a rename, so a reader sees the old rate or the new one; after a
        crash, at worst an empty file, which reads as "no rate yet".
        """
        folder = self.root / "cadence"
        folder.mkdir(parents=True, exist_ok=True)
        for username, posts_per_day in rates.items():
            path = folder / f"{validate_username(username)}.json"
            tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
            tmp.write_bytes(json.dumps({"posts_per_day": posts_per_day}).encode())
            os.replace(tmp, path)

    def cadence(self, username: str) -> Cadence:
        """Last fetch, posting rate and last failure of a profile, from what the store holds."""
        name = validate_username(username)
        latest = self.latest(name)
        rate = _read_json(self.root / "cadence" / f"{name}.json").get("posts_per_day", 0.0)
        failure = _read_json(self.root / "failures" / f"{name}.json")
        failed = failure.get("failed_at")
        return Cadence(
            name,
            latest.fetched_at if latest else None,
            float(rate),
            datetime.fromisoformat(failed) if failed else None,
            str(failure["outcome"]) if failure.get("outcome") else None,
            int(failure.get("consecutive", 1)),
        )

    def usernames(self) -> Iterator[str]:
        base = self.root / "profiles"
        if base.is_dir():
            yield from sorted(p.name for p in base.iterdir() if p.is_dir())

    # Failures: the list of profiles to retry later, with their reasons.

    def _failure_path(self, username: str) -> tuple[str, Path]:
        """A valid name keeps ``failures/<name>.json``; a name Instagram never issues is
        recorded too, as given, under a file named by its hash (never by the name)."""
        try:
            name = validate_username(username)
        except InvalidUsername:
            digest = hashlib.sha256(repr(username).encode()).hexdigest()[:24]
            return str(username), self.root / "failures" / f"invalid-{digest}.json"
        return name, self.root / "failures" / f"{name}.json"

    def record_failure(
        self,
        username: str,
        outcome: str,
        reason: str,
        attempts: int,
        *,
        at: datetime | None = None,
    ) -> None:
        """File a failure. ``consecutive`` counts the failures in a row whose reasons share
        a backoff (a second ``not_found`` makes 2; a ``gave_up`` after a ``not_found``
        starts again at 1); ``first_failed_at`` is when the current run of them began."""
        name, path = self._failure_path(username)
        moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
        previous = _read_json(path)
        same = bool(previous) and (
            backoff_for(str(previous.get("outcome"))) == backoff_for(outcome)
        )
        record = {
            "username": name,
            "outcome": outcome,
            "reason": redact(reason),
            "attempts": attempts,
            "failed_at": moment,
            "consecutive": int(previous.get("consecutive", 1)) + 1 if same else 1,
            "first_failed_at": previous.get("first_failed_at", moment) if same else moment,
        }
        _atomic_write(path, json.dumps(record).encode())

    def clear_failure(self, username: str) -> None:
        self._failure_path(username)[1].unlink(missing_ok=True)

    def rearm(self, username: str) -> bool:
        """Forget a profile's failures, parked or not: it is due again by its last fetch (at
        once if it never was). True when there was a record to forget."""
        path = self._failure_path(username)[1]
        existed = path.is_file()
        path.unlink(missing_ok=True)
        return existed

    def failures(self) -> list[dict[str, object]]:
        folder = self.root / "failures"
        if not folder.is_dir():
            return []
        return [json.loads(p.read_bytes()) for p in sorted(folder.glob("*.json"))]

    def write_log(self, name: str, data: bytes) -> str:
        """Store a request-log batch (Parquet bytes) under ``fetch_log/``; returns its key."""
        if "/" in name or name.startswith("."):
            raise ValueError(f"bad log name {name!r}")
        key = f"fetch_log/{name}"
        _atomic_write(self.root / key, data)
        return key

    def logs(self) -> list[Path]:
        """Request-log batches, without the temporary file of a write in progress (or of one
        killed half way), which is no Parquet file yet."""
        folder = self.root / "fetch_log"
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


STALE_TEMPORARY_SECONDS = 3600.0


def remove_stale_temporary_files(root: Path, older_than: float = STALE_TEMPORARY_SECONDS) -> int:
    """Delete ``.tmp-*`` files of writes killed half way; how many went.

    A write in progress renames its temporary file within seconds, so one untouched for
    ``older_than`` seconds belongs to a process that died (SIGKILL, OOM, power loss).
    """
    cutoff = time.time() - older_than
    removed = 0
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.startswith(".tmp-"):
                continue
            path = Path(folder, name)
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # renamed or removed meanwhile
                continue
    return removed
