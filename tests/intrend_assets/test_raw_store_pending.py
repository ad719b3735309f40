"""Listing the load queue costs what is queued, not what is stored (on both backends).

``pending()`` used to walk the whole folder for stale temporary files and list ``pending/``
with its set-aside records: 34 s at a million stored answers for a hundred queued. Here the
store holds many answers (with pages), a few queued, set aside and in flight, and the test
counts what pending() lists, looks up and walks.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from intrend_assets.raw_store import blobs as blobs_module
from intrend_assets.raw_store.blobs import Blobs, Entry
from intrend_assets.raw_store.store import RawObject, RawStore
from tests.infra.s3 import StoreFactory

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PROFILES, PER_PROFILE, QUEUED, REFUSED = 20, 4, 6, 5


class Counting:
    """Blobs that count what the store lists and looks up through them."""

    def __init__(self, inner: Blobs) -> None:
        self.inner = inner
        self.listed: list[tuple[str, int]] = []  # (prefix, entries returned)
        self.looked_up: list[str] = []

    def list(self, prefix: str, **kwargs: Any) -> list[Entry]:
        found = self.inner.list(prefix, **kwargs)
        self.listed.append((prefix, len(found)))
        return found

    def stat(self, key: str) -> Entry | None:
        self.looked_up.append(key)
        return self.inner.stat(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _fill(store: RawStore) -> tuple[list[RawObject], int]:
    """Answers (a page beside every other one), all queued and loaded but the newest
    ``QUEUED``; ``REFUSED`` set aside; one fetch still paging (its open marker fresh)."""
    stored = []
    for number in range(PROFILES * PER_PROFILE):
        obj = store.put(f"user{number % PROFILES}", T0 + timedelta(minutes=number), b"{}")
        if number % 2 == 0:
            store.put_page(obj, 1, b"{}")
        store.mark_pending(obj)
        stored.append(obj)
    queued = stored[-QUEUED:]
    store.clear_pending(stored[:-QUEUED])
    for obj in stored[:REFUSED]:
        store.set_aside_pending(obj, "refused by the warehouse")
    store.put("paging", datetime.now(UTC), b"{}")  # in flight: open marker, no queue marker
    return queued, 1


def test_pending_lists_the_queue_only(
    make_store: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled = make_store()
    queued, in_flight = _fill(filled)
    counting = Counting(filled.blobs)
    store = RawStore(counting, filled.max_object_bytes)  # a fresh store: it sweeps once
    walked: list[Path] = []
    real_walk = os.walk

    def walk(top: Any, *args: Any, **kwargs: Any) -> Any:
        walked.append(Path(top))
        return real_walk(top, *args, **kwargs)

    monkeypatch.setattr(blobs_module.os, "walk", walk)

    assert [o.key for o in store.pending()] == [o.key for o in queued]
    assert {prefix for prefix, _ in counting.listed} == {"pending/", "opening/"}
    listed = sum(entries for _, entries in counting.listed)
    assert listed == QUEUED + in_flight, counting.listed  # no set-aside record, no answer
    assert sorted(counting.looked_up) == sorted(o.key for o in queued)
    for top in walked:  # a folder store may walk its queue and its scratch folder only
        assert top.name in ("pending", "opening", ".tmp"), walked
