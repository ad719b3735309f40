"""One slice of the queue parsed into Arrow: the work a parse process does for the load.

A slice's answers are parsed (:func:`intrend_assets.parsing.parse_profile`) and their posts
made into ONE Arrow table of the contract's posts schema; each answer keeps a zero-copy
slice of it. What crosses a process boundary is then a table (its buffers) and a few small
values per fetch, not millions of Python objects: unpickling parsed rows cost the loading
process as much as parsing them.

Pure with respect to the raw store: the slice reads bodies and returns what it found (the
unparseable keys and why, the fetches whose profile answer failed); the caller records the
failures, so every write to the store happens in one process.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from intrend_assets.parsing.profile import ParsedProfile, ProfileParseError, parse_profile
from intrend_assets.raw_store.store import LocalRawStore, ObjectTooLarge, RawObject, RawStore
from warehouse.contract import posts_frame_from_columns

Parser = Callable[..., ParsedProfile]  # parse_profile's signature (the load's tests wrap it)


@dataclass(frozen=True, eq=False)
class SliceAnswer:
    """A parsed answer whose posts are rows ``offset`` to ``offset + post_count`` of its
    slice's Arrow table (a contract ``Answer``; the loader reads ``posts_source``).

    ``taken_at`` keeps the posts' times apart (those known): what a posting rate needs.
    """

    profile: dict[str, Any]
    is_full: bool
    table: pa.Table = field(repr=False)
    offset: int
    post_count: int
    taken_at: list[datetime]

    @property
    def username(self) -> str | None:
        return self.profile.get("username")

    @property
    def posts_source(self) -> tuple[pa.Table, int, int]:
        """``(table, offset, rows)``: the loader joins neighbours into one slice."""
        return self.table, self.offset, self.post_count

    @property
    def post_columns(self) -> dict[str, list[Any]]:
        """The contract's column lists (built on demand: the loader reads the table)."""
        return self.table.slice(self.offset, self.post_count).to_pydict()


@dataclass
class ParsedFetch:
    """A fetch's answers (the profile answer, then its pages), or why it has none."""

    obj: RawObject
    answers: list[SliceAnswer]
    unparseable: dict[str, str]  # raw key -> why
    failed: str | None = None  # the profile answer's error: the fetch is recorded as failed


@dataclass(frozen=True)
class _Meta:
    """An answer but its posts: what travels beside the slice's one table."""

    profile: dict[str, Any]
    is_full: bool
    rows: int
    taken_at: list[datetime]


@dataclass
class ParsedSlice:
    """A parsed slice as it crosses processes: ONE posts table and small values per fetch
    (a pickled table slice carries its whole parent's buffers, so answers point into the
    table only on the receiving side, by :meth:`fetches`)."""

    posts: pa.Table | None
    parts: list[tuple[RawObject, dict[str, str], str | None, list[_Meta]]]

    def fetches(self) -> list[ParsedFetch]:
        out, offset = [], 0
        for obj, unparseable, failed, metas in self.parts:
            answers = []
            for meta in metas:
                assert self.posts is not None  # there are answers, so there is a table
                answers.append(
                    SliceAnswer(
                        meta.profile, meta.is_full, self.posts, offset, meta.rows, meta.taken_at
                    )
                )
                offset += meta.rows
            out.append(ParsedFetch(obj, answers, unparseable, failed))
        return out


def parse_slice(
    source: RawStore | str | Path,
    objects: list[RawObject],
    parse: Parser = parse_profile,
    max_object_bytes: int | None = None,
) -> ParsedSlice:
    """Parse these fetches (none of them missing) from the raw store ``source`` (a store,
    which pickles to its address for a parse process, or a folder), whose objects may
    decode to ``max_object_bytes`` at most (the store's default if None)."""
    if isinstance(source, RawStore):
        store = source
    elif max_object_bytes is None:
        store = LocalRawStore(source)
    else:
        store = LocalRawStore(source, max_object_bytes)
    with gc_paused():
        return _parse_slice(store, objects, parse)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cycle collector off for the block (and on again after, if it was).

    Parsing a slice allocates millions of small containers, none in a cycle, which
    reference counting frees; yet every 700 allocations the collector walked the young
    ones and, every so often, all the objects alive, among them the slice it was building:
    a quarter of a slice's parse (3.6 → 2.6 CPU-s per 100,000 posts). Cyclic garbage made
    meanwhile is collected once the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Fetches parsed into Python lists before their posts become Arrow columns. The lists of a
# whole slice (2,000 fetches, ~24,000 posts) lifted a parse process from 95 to 222 MiB, and
# memory a process has taken for small objects it keeps; 250 at a time keep it near 140 MiB,
# at the cost of a few more (and smaller) column builds.
CHUNK_FETCHES = 250


def _parse_slice(store: RawStore, objects: list[RawObject], parse: Parser) -> ParsedSlice:
    tables: list[pa.Table] = []
    parts: list[tuple[RawObject, dict[str, str], str | None, list[_Meta]]] = []
    for start in range(0, len(objects), CHUNK_FETCHES):
        table = _parse_chunk(store, objects[start : start + CHUNK_FETCHES], parse, parts)
        if table is not None:
            tables.append(table)
    return ParsedSlice(pa.concat_tables(tables) if tables else None, parts)


def _parse_chunk(
    store: RawStore,
    objects: list[RawObject],
    parse: Parser,
    parts: list[tuple[RawObject, dict[str, str], str | None, list[_Meta]]],
) -> pa.Table | None:
    """Parse ``objects``, append their parts, and return their posts' table (None if none)."""
    fetches = [read_fetch(store, obj, parse) for obj in objects]
    answers = [answer for _, parsed in fetches for answer in parsed]
    table = None
    if answers:
        merged: dict[str, list[Any]] = {name: [] for name in answers[0].post_columns}
        for answer in answers:
            for name, values in answer.post_columns.items():
                merged[name].extend(values)
        table = posts_frame_from_columns(merged).to_arrow()
    parts.extend(
        (
            fetch.obj,
            fetch.unparseable,
            fetch.failed,
            [
                _Meta(
                    answer.profile,
                    answer.is_full,
                    answer.post_count,
                    [t for t in answer.post_columns["taken_at"] if t is not None],
                )
                for answer in parsed
            ],
        )
        for fetch, parsed in fetches
    )
    return table


@dataclass
class FetchOutcome:
    """What reading a fetch found wrong: its unparseable keys, and the profile answer's error."""

    obj: RawObject
    unparseable: dict[str, str]
    failed: str | None = None


def read_fetch(
    store: RawStore, obj: RawObject, parse: Parser = parse_profile
) -> tuple[FetchOutcome, list[ParsedProfile]]:
    """The profile answer, then the timeline pages fetched right after it. A bad page costs
    only its own posts; a bad profile answer costs the fetch (``failed``)."""
    fetch = FetchOutcome(obj, {})
    parsed: list[ParsedProfile] = []
    for number, key in enumerate([obj.key, *store.pages(obj)]):
        try:
            body = store.read(key)  # an OSError here is the disk's, not the fetch's: raise
        except FileNotFoundError:
            why = "gone from the raw store"
        except ObjectTooLarge as exc:  # a decompression bomb: this fetch's fault, not the disk's
            why = str(exc)
        else:
            try:
                parsed.append(parse(body, fetched_at=obj.fetched_at, username=obj.username))
                continue
            except ProfileParseError as exc:
                why = str(exc)
            except Exception as exc:  # a parser bug on odd input: this fetch's, not the queue's
                why = f"{type(exc).__name__} in the parser: {exc}"
        fetch.unparseable[key] = why
        if number == 0:
            fetch.failed = why
            return fetch, []
    return fetch, parsed
