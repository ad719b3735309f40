"""The raw store: every profile answer as it came, zstd-compressed, one object per fetch.

Objects are keyed ``profiles/<username>/<fetched_at>.json.zst``; the timeline pages fetched
after a profile answer go to ``pages/<username>/<fetched_at>/<n>.json.zst``, so a profile
answer and its pages stay one unit. Keys only, never paths: the bytes live on
:mod:`.blobs`, a local folder or an S3 bucket (``INTREND_RAW_URL``). The username is
validated before it becomes part of a key, and every write is atomic (temporary file, fsync
and rename on a folder; one PUT on S3) so a crash
never leaves a half-written object behind. Failures live beside the objects under
``failures/<username>.json`` until a later fetch succeeds, so nothing is forgotten; the
record counts the failures in a row (``consecutive``, for the same kind of reason), which
the refresh backoff grows with and parks a profile by (:mod:`intrend_assets.tracking.refresh`).

``pending/`` holds one marker per fetch not yet loaded into the warehouse, written once the
answer and all its pages are stored (or once paging stopped, whatever stopped it), and before
the fast-update mark moves past them. The ``posts`` asset loads what is pending and removes a
marker only after its rows are committed, so a crash between fetch and load leaves the fetch
pending, never lost. ``opening/`` holds a marker written just before each answer and removed
with its ``pending/`` marker: a process killed in between (after the answer, before the queue)
leaves it, and :meth:`RawStore.pending` queues that fetch once the marker is older than a
fetch takes. (A crash inside the write of the answer itself loses that fetch only: its mark
has not moved, so the next fetch pages the same posts again.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intrend_assets.instagram.bounded import DEFAULT_MAX_ANSWER_BYTES
from intrend_assets.raw_store.blobs import (
    STALE_TEMPORARY_SECONDS,
    Blobs,
    Entry,
    LocalBlobs,
    TooLarge,
    open_blobs,
    remove_stale_temporary_files,
)
from intrend_assets.raw_store.codec import (
    ObjectTooLarge,
    compress,
    decoded_size_within,
    decompress,
)
from intrend_assets.raw_store.records import ProfileRecords
from intrend_assets.redaction import redact
from intrend_assets.tracking.refresh import Cadence
from intrend_assets.tracking.usernames import InvalidUsername, validate_username

_STAMP = "%Y%m%dT%H%M%S.%fZ"
# A pending marker is named ``<stamp>~<username>``: sorting the folder sorts by fetch time.
_PENDING_SEP = "~"
__all__ = [
    "STALE_TEMPORARY_SECONDS",
    "Entry",
    "LocalRawStore",
    "ObjectTooLarge",
    "RawObject",
    "RawStore",
    "compress",
    "decompress",
    "open_raw_store",
    "remove_stale_temporary_files",
]


@dataclass(frozen=True)
class RawObject:
    username: str
    fetched_at: datetime
    key: str
    size: int


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


def _unstamp(text: str) -> datetime:
    """The inverse of :func:`_stamp`, read by slicing when ``text`` has the stamp's shape
    (``strptime`` consults the locale on every call: a listing of 100,000 markers spent
    more in it than in the listing); anything else goes to ``strptime``, to be refused."""
    digits = text[:8] + text[9:15] + text[16:22]
    if len(text) == 23 and text[8::7] == "T.Z" and digits.isascii() and digits.isdigit():
        return datetime(
            int(text[:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[9:11]),
            int(text[11:13]),
            int(text[13:15]),
            int(text[16:22]),
            tzinfo=UTC,
        )
    return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)


def _object_key(username: str, stamp: str) -> str:
    """Where a fetch's answer lives: the one place that knows the layout."""
    return f"profiles/{username}/{stamp}.json.zst"


def _pending_name(obj: RawObject) -> str:
    return f"{_stamp(obj.fetched_at)}{_PENDING_SEP}{validate_username(obj.username)}"


def _parse_pending(name: str) -> tuple[datetime, str] | None:
    """The fetch time and username of a marker name, or None for anything else."""
    stamp, sep, username = name.partition(_PENDING_SEP)
    if not sep or name.startswith("."):
        return None  # a temporary file of a write in progress, or a stranger
    try:
        moment = _unstamp(stamp)
        if validate_username(username) != username:
            return None  # not a name mark_pending writes (and clear_pending would miss)
    except (ValueError, InvalidUsername):
        return None
    return moment, username


class RawStore(ProfileRecords):
    """The raw store on a set of blobs (a folder or a bucket: :mod:`.blobs`)."""

    def __init__(
        self,
        blobs: Blobs,
        max_object_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        *,
        open_grace: timedelta = timedelta(seconds=STALE_TEMPORARY_SECONDS),
    ) -> None:
        """``max_object_bytes``: the most an object may decode to (``INTREND_MAX_ANSWER_BYTES``;
        the fetch refuses larger answers, so only an object written by something else is).
        ``open_grace``: how long a fetch may page before a crash is presumed (see
        :meth:`pending`)."""
        self.blobs = blobs
        self.max_object_bytes = max_object_bytes
        self.open_grace = open_grace
        self._swept = False

    @property
    def url(self) -> str:
        """Where the store lives, for people: a folder or an ``s3://`` URL."""
        return self.blobs.url

    @property
    def root(self) -> Path:
        """The folder of a folder store. A bucket has none: code that wants a path instead
        of a key fails here with the reason, not later."""
        raise NotImplementedError(
            f"the raw store at {self.url} is not a folder: reach its objects by key (blobs)"
        )

    def put(self, username: str, fetched_at: datetime, body: bytes) -> RawObject:
        """Store one answer body (uncompressed bytes in, compressed at rest).

        An *open* marker goes first: a crash after the answer is stored and before
        :meth:`mark_pending` leaves that marker behind, and :meth:`pending` queues the
        fetch once the marker is older than ``open_grace``, so a stored answer is never
        lost to the load."""
        name = validate_username(username)
        stamp = _stamp(fetched_at)
        key = _object_key(name, stamp)
        blob = compress(body)
        self.blobs.put(f"opening/{stamp}{_PENDING_SEP}{name}", key.encode())
        self.blobs.put(key, blob)
        return RawObject(name, fetched_at.astimezone(UTC), key, len(blob))

    def objects(self, username: str) -> list[RawObject]:
        """All stored fetches of a profile, oldest first."""
        name = validate_username(username)
        prefix = f"profiles/{name}/"
        found = []
        for entry in self.blobs.list(prefix):
            rest = entry.key.removeprefix(prefix)
            if "/" in rest or not rest.endswith(".json.zst"):
                continue
            try:
                moment = _unstamp(rest.removesuffix(".json.zst"))
            except ValueError:
                continue
            found.append(RawObject(name, moment, entry.key, entry.size))
        return found

    def latest(self, username: str) -> RawObject | None:
        objects = self.objects(username)
        return objects[-1] if objects else None

    def read(self, key: str) -> bytes:
        """The compressed bytes of an object, exactly as stored, once they are known to
        decode to at most ``max_object_bytes``: past that, :class:`ObjectTooLarge` (an
        object larger than that at rest is not even read)."""
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"key {key!r} escapes the raw store")
        limit = self.max_object_bytes
        try:
            blob = self.blobs.get_at_most(key, limit)
            if blob is None:
                raise FileNotFoundError(key)
        except TooLarge:
            blob = None  # refused unread
        if blob is None or len(blob) > limit or not decoded_size_within(blob, limit):
            raise ObjectTooLarge(
                f"{key} decodes to more than {limit:,} bytes: refused unread "
                "(INTREND_MAX_ANSWER_BYTES)"
            )
        return blob

    def put_page(self, obj: RawObject, number: int, body: bytes) -> str:
        """Store timeline page ``number`` (1, 2, ...) fetched after profile answer ``obj``."""
        name = validate_username(obj.username)
        key = f"pages/{name}/{_stamp(obj.fetched_at)}/{number:04d}.json.zst"
        self.blobs.put(key, compress(body))
        return key

    def pages(self, obj: RawObject) -> list[str]:
        """Keys of the pages fetched after ``obj``, in page order."""
        prefix = f"pages/{validate_username(obj.username)}/{_stamp(obj.fetched_at)}/"
        return [
            e.key
            for e in self.blobs.list(prefix)
            if e.key.endswith(".json.zst") and "/" not in e.key.removeprefix(prefix)
        ]

    def remove_fetch(self, obj: RawObject) -> None:
        """Delete a fetch: its pages first, then its answer (a crash in between leaves an
        answer without pages, which reads as a fetch whose paging stopped: never a page
        without its answer)."""
        name = validate_username(obj.username)
        self.blobs.delete_folder(f"pages/{name}/{_stamp(obj.fetched_at)}/")
        self.blobs.delete(obj.key)

    def size_with_pages(self, obj: RawObject) -> int:
        """Bytes at rest of a fetch's answer and pages."""
        pages = (self.blobs.stat(key) for key in self.pages(obj))
        return obj.size + sum(entry.size for entry in pages if entry is not None)

    # Pending: fetches stored but not yet loaded into the warehouse.

    def mark_pending(self, obj: RawObject) -> None:
        """Queue a stored fetch (answer and pages complete) for the warehouse load."""
        name = _pending_name(obj)
        self.blobs.put(f"pending/{name}", obj.key.encode())
        self.blobs.delete(f"opening/{name}")

    def pending(self, now: datetime | None = None) -> list[RawObject]:
        """Fetches waiting for the warehouse load, oldest first.

        A fetch whose answer was stored but never queued (its process died between the
        two) is queued here once its open marker is older than ``open_grace``: its answer
        and the pages stored before the crash are loaded, and its fast-update mark never
        moved, so the next fetch pages those posts again. A marker whose answer is gone
        (deleted by hand) comes back with ``size`` -1, so the loader can say so and drop it
        rather than fail on it for ever.

        The cost follows the queue, not the store: one level of ``pending/`` and of
        ``opening/`` is listed and each queued answer looked up; the answers are never
        walked (temporary files live in the folder's ``.tmp/``, so the sweep lists only
        that), and a million stored answers list their queue as fast as a hundred.
        """
        if not self._swept:  # once per store: each run lists its pending fetches first
            self._swept = True
            self.blobs.sweep()
        self._reconcile_open(now or datetime.now(UTC))
        found = []
        for entry in self.blobs.list("pending/", recursive=False):
            parsed = _parse_pending(entry.key.removeprefix("pending/"))
            if parsed is None:
                continue  # temporary files, strangers
            moment, name = parsed
            key = _object_key(name, _stamp(moment))
            stored = self.blobs.stat(key)
            found.append(RawObject(name, moment, key, stored.size if stored else -1))
        return found

    def _reconcile_open(self, now: datetime) -> None:
        """Queue the fetches whose process died after storing the answer (see ``put``)."""
        for entry in self.blobs.list("opening/", recursive=False):
            parsed = _parse_pending(entry.key.removeprefix("opening/"))
            if parsed is None or now - parsed[0] < self.open_grace:
                continue  # a stranger, or a fetch that may still be paging
            moment, name = parsed
            obj = RawObject(name, moment, _object_key(name, _stamp(moment)), 0)
            if self.blobs.stat(obj.key) is not None:
                self.mark_pending(obj)
            else:  # died before the answer was stored: nothing to load
                self.blobs.delete(entry.key)

    def clear_pending(self, objects: Iterable[RawObject]) -> None:
        """Forget markers once their fetches are loaded (or found unloadable)."""
        for obj in objects:
            self.blobs.delete(f"pending/{_pending_name(obj)}")

    def set_aside_pending(self, obj: RawObject, why: str) -> None:
        """Keep a fetch the warehouse refused out of the queue, but not out of sight:
        ``pending/refused/<marker>.json`` says which and why, for a person to look at (and
        ``posts`` with ``full_refresh`` to retry once the cause is fixed)."""
        record = {"key": obj.key, "username": obj.username, "why": redact(why)}
        self._write_json(f"pending/refused/{_pending_name(obj)}.json", record)

    def set_aside(self) -> list[dict[str, str]]:
        """The records of the fetches set aside (key, username, why), oldest first."""
        records = (
            self._read_json(e.key)
            for e in self.blobs.list("pending/refused/")
            if e.key.endswith(".json")
        )
        return [r for r in records if r.get("key")]

    def cadence(self, username: str) -> Cadence:
        """Last fetch, posting rate and last failure of a profile, from what the store holds."""
        name = validate_username(username)
        latest = self.latest(name)
        rate = self.posting_rate(name)
        failure = self._read_json(f"failures/{name}.json")
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
        yield from self.blobs.children("profiles/")

    def write_log(self, name: str, data: bytes) -> str:
        """Store a request-log batch (Parquet bytes) under ``fetch_log/``; returns its key."""
        if "/" in name or name.startswith("."):
            raise ValueError(f"bad log name {name!r}")
        key = f"fetch_log/{name}"
        self.blobs.put(key, data)
        return key

    def logs(self) -> list[Entry]:
        """Request-log batches (key, size, modification time), without the temporary file
        of a write in progress (or of one killed half way), which is no Parquet file yet."""
        found = []
        for entry in self.blobs.list("fetch_log/"):
            name = entry.key.removeprefix("fetch_log/")
            if name.endswith(".parquet") and "/" not in name and not name.startswith("."):
                found.append(entry)
        return found

    def read_log(self, key: str) -> bytes:
        """The bytes of a request-log batch listed by :meth:`logs`."""
        if not key.startswith("fetch_log/"):
            raise ValueError(f"not a request-log key: {key!r}")
        data = self.blobs.get(key)
        if data is None:
            raise FileNotFoundError(key)
        return data


class LocalRawStore(RawStore):
    """The raw store on a local (or mounted) folder."""

    def __init__(self, root: str | Path, max_object_bytes: int = DEFAULT_MAX_ANSWER_BYTES) -> None:
        self._root = Path(root)
        super().__init__(LocalBlobs(self._root), max_object_bytes)

    @property
    def root(self) -> Path:
        return self._root


def open_raw_store(
    url: str | Path,
    max_object_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    *,
    endpoint: str | None = None,
    region: str | None = None,
) -> RawStore:
    """The raw store at ``url``: an ``s3://bucket/prefix`` URL, or a folder."""
    text = str(url)
    if not text.startswith("s3://"):
        return LocalRawStore(text.removeprefix("file://"), max_object_bytes)
    return RawStore(open_blobs(text, endpoint=endpoint, region=region), max_object_bytes)
