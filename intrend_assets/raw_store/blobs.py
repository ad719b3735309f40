"""Where the raw store's bytes live: a local (or mounted) folder, or an S3-compatible bucket.

The store above speaks only keys (``profiles/<name>/<stamp>.json.zst``), never paths, so
the same code runs on one machine and on many. Both backends write whole objects atomically
(a folder by temporary file, fsync and rename; S3 by its single PUT), list by key order and
tell an object's size and modification time, which is all the store and the warehouse need.

S3 goes through ``obstore`` (Rust's ``object_store``): one wheel with no botocore stack to
pin, a synchronous API, and the same credentials chain as the AWS tools (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION`` from the environment, never from settings).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

STALE_TEMPORARY_SECONDS = 3600.0
# Where a folder's writes keep their temporary files until the rename.
TEMPORARY_FOLDER = ".tmp"


@dataclass(frozen=True)
class Entry:
    """One stored object: its key, size in bytes and modification time (ns since epoch)."""

    key: str
    size: int
    modified_ns: int


class TooLarge(Exception):
    """An object larger at rest than a reader accepts (it was not read)."""

    def __init__(self, key: str, size: int) -> None:
        self.key, self.size = key, size
        super().__init__(f"{key} is {size:,} bytes at rest")


class Blobs(Protocol):
    """The few operations the raw store is built on."""

    url: str

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def get_at_most(self, key: str, limit: int) -> bytes | None: ...
    def stat(self, key: str) -> Entry | None: ...
    def list(self, prefix: str, *, recursive: bool = True) -> list[Entry]: ...
    def children(self, prefix: str) -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def delete_folder(self, prefix: str) -> None: ...
    def sweep(self) -> int: ...
    def sweep_everywhere(self) -> int: ...


def _folder_of(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


class LocalBlobs:
    """Objects as files under ``root``; a key is a relative path that may not leave it.

    Keys are checked as text (no absolute key, no ``..`` step), not by resolving each path:
    a load reads three paths per fetch, and resolving them (an ``lstat`` per component)
    was a third of reading a fetch. The keys come from the store, which builds them from
    validated usernames; a symbolic link inside the folder is the operator's to make.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.url = str(self.root.resolve())
        self._prefix = self.url.rstrip("/") + "/"

    def _file(self, key: str) -> str:
        if not key or key[0] == "/" or "\\" in key or ".." in key.split("/"):
            raise ValueError(f"key {key!r} escapes the raw store")
        return self._prefix + key

    def _path(self, key: str) -> Path:
        return Path(self._file(key))

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Write by temporary file and rename, so a reader sees the old bytes or the new;
        ``durable=False`` skips the fsync, for derived data a later run computes again (a
        crash may then leave an empty file). The temporary file is written in ``.tmp/``
        (same filesystem, so the rename is atomic), never beside the objects: a write
        killed half way leaves its file where :meth:`sweep` looks, and nowhere else."""
        write_atomically(
            self._path(key), data, scratch=Path(self._prefix + TEMPORARY_FOLDER), durable=durable
        )

    def get(self, key: str) -> bytes | None:
        try:
            with open(self._file(key), "rb") as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def get_at_most(self, key: str, limit: int) -> bytes | None:
        """The object's bytes, or :class:`TooLarge` unread when it holds more than
        ``limit``: one open, its size from the open file."""
        try:
            with open(self._file(key), "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > limit:
                    raise TooLarge(key, size)
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def stat(self, key: str) -> Entry | None:
        try:
            found = os.stat(self._file(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return Entry(key, found.st_size, found.st_mtime_ns)

    def list(self, prefix: str, *, recursive: bool = True) -> list[Entry]:
        """Files under the folder ``prefix`` (only those directly in it unless
        ``recursive``), by key; temporary files skipped."""
        base = self.root / prefix
        if not base.is_dir():
            return []
        found = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if not d.startswith(".")] if recursive else []
            for name in files:
                if name.startswith("."):
                    continue
                path = Path(folder, name)
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed meanwhile
                    continue
                key = path.relative_to(self.root).as_posix()
                found.append(Entry(key, stat.st_size, stat.st_mtime_ns))
        return sorted(found, key=lambda e: e.key)

    def children(self, prefix: str) -> list[str]:
        """Names of the folders directly under ``prefix``, sorted."""
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_folder(self, prefix: str) -> None:
        """Every object under the folder ``prefix``, and the folder."""
        shutil.rmtree(self._path(_folder_of(prefix)), ignore_errors=True)

    def sweep(self) -> int:
        """Remove the stale temporary files of writes killed half way (all in ``.tmp/``)."""
        return remove_stale_temporary_files(self.root / TEMPORARY_FOLDER)

    def sweep_everywhere(self) -> int:
        """Also those an earlier version of the store wrote beside the objects: a walk of
        the whole tree, for a pass that visits everything anyway (retention)."""
        return remove_stale_temporary_files(self.root)


class S3Blobs:
    """Objects in an S3-compatible bucket under an optional prefix (``s3://bucket/prefix``).

    ``endpoint``: a server other than AWS (MinIO, Ceph, moto on loopback); plain HTTP is
    allowed only for a loopback endpoint.
    """

    def __init__(self, url: str, *, endpoint: str | None = None, region: str | None = None):
        from obstore.store import S3Store

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3:// URL: {url!r}")
        config: dict[str, str] = {}
        options: dict[str, str | bool] = {}
        if endpoint:
            config["endpoint"] = endpoint
            host = urlsplit(endpoint).hostname or ""
            if endpoint.startswith("http://") and host in ("127.0.0.1", "localhost", "::1"):
                options["allow_http"] = True
        if region:
            config["region"] = region
        prefix = parts.path.strip("/") or None
        self.url = url
        self.endpoint = endpoint
        self.region = region
        self._store = S3Store(
            parts.netloc, prefix=prefix, config=config or None, client_options=options or None
        )

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its address (a parse process opens its own client): credentials stay
        in the environment, which the process inherits, and out of the pickle."""
        return (_reopen_s3, (self.url, self.endpoint, self.region))

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """One PUT: durable once it returns, whatever ``durable`` says."""
        import obstore

        obstore.put(self._store, key, data)

    def get(self, key: str) -> bytes | None:
        import obstore

        try:
            return bytes(obstore.get(self._store, key).bytes())
        except FileNotFoundError:
            return None

    def get_at_most(self, key: str, limit: int) -> bytes | None:
        """One HEAD, then the GET only when the object holds at most ``limit`` bytes."""
        entry = self.stat(key)
        if entry is None:
            return None
        if entry.size > limit:
            raise TooLarge(key, entry.size)
        return self.get(key)

    def stat(self, key: str) -> Entry | None:
        import obstore

        try:
            meta = obstore.head(self._store, key)
        except FileNotFoundError:
            return None
        return _entry(meta)

    def list(self, prefix: str, *, recursive: bool = True) -> list[Entry]:
        import obstore

        folder = _folder_of(prefix)
        if recursive:
            metas = [
                meta
                for chunk in obstore.list(self._store, folder, chunk_size=1000)
                for meta in chunk
            ]
        else:  # one level: S3's delimiter listing, whatever lies below
            metas = list(obstore.list_with_delimiter(self._store, folder)["objects"])
        return sorted((_entry(meta) for meta in metas), key=lambda e: e.key)

    def children(self, prefix: str) -> list[str]:
        import obstore

        folder = _folder_of(prefix)
        listed = obstore.list_with_delimiter(self._store, folder)
        names = (p.rstrip("/").rsplit("/", 1)[-1] for p in listed["common_prefixes"])
        return sorted(n for n in names if n and not n.startswith("."))

    def delete(self, key: str) -> None:
        import obstore

        with contextlib.suppress(FileNotFoundError):
            obstore.delete(self._store, key)

    def delete_folder(self, prefix: str) -> None:
        """Every object under ``prefix`` (S3 has no folders to remove)."""
        import obstore

        keys = [e.key for e in self.list(prefix)]
        if keys:  # one DeleteObjects request per 1,000 keys
            obstore.delete(self._store, keys)

    def sweep(self) -> int:
        """Nothing to sweep: a PUT that dies leaves no object behind."""
        return 0

    def sweep_everywhere(self) -> int:
        return 0


def _reopen_s3(url: str, endpoint: str | None, region: str | None) -> S3Blobs:
    return S3Blobs(url, endpoint=endpoint, region=region)


def _entry(meta: dict) -> Entry:
    modified = meta["last_modified"]
    return Entry(str(meta["path"]), int(meta["size"]), int(modified.timestamp() * 1e9))


def open_blobs(url: str | Path, *, endpoint: str | None = None, region: str | None = None) -> Blobs:
    """An ``s3://`` URL opens a bucket; anything else (a path, ``file://``) a local folder."""
    text = str(url)
    if text.startswith("s3://"):
        return S3Blobs(text, endpoint=endpoint, region=region)
    return LocalBlobs(text.removeprefix("file://"))


def write_atomically(
    path: Path, data: bytes, *, scratch: Path | None = None, durable: bool = True
) -> None:
    """Write ``path`` by a temporary file in ``scratch`` (beside it when None; the same
    filesystem either way), fsync unless not ``durable``, and rename: a crash leaves the old
    file or the new. Folders are made only when a write finds them missing (a load writes
    thousands of small records into folders that exist)."""
    folder = path.parent if scratch is None else scratch
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=path.suffix)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        try:
            os.replace(tmp, path)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
