"""Posting rates (posts per day per profile, what the refresh sensor adapts to), kept as a
small log in the raw store rather than a file per profile.

A load computes the rates of the profiles in each slice it commits. Writing them one file
each cost a file creation and a rename per profile: on the machine that measured it, 3 CPU
seconds per 100,000 posts, a quarter of the load. Instead each slice writes ONE delta object
(``cadence/delta/<sequence>.json``, its profiles' rates), and the end of a load folds the
deltas into ``cadence/rates.json`` and removes them. A reader merges the map and the
deltas not folded yet, so what a load committed is visible at once, and a crash between
two steps loses nothing: deltas stay until a fold has written them into the map (which
remembers the last delta it folded, so a delta left behind by a crash after the fold is
skipped, never applied over newer rates).

Rates are derived data (every load of a profile computes its rate again), so deltas are
written without an fsync; the map, written once per load, is durable. The one-file-per-
profile records of earlier versions (``cadence/<name>.json``) are still read, and folded in
and removed by the first fold.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from intrend_assets.raw_store.blobs import Blobs, Entry
from intrend_assets.tracking.usernames import validate_username

RATES = "cadence/rates.json"
DELTAS = "cadence/delta/"
_LEGACY = "cadence/"

_sequence_lock = threading.Lock()
_last_sequence = 0


def _next_sequence() -> str:
    """A delta name that sorts after every earlier one of this process (nanoseconds since
    the epoch, bumped when the clock has not moved) and is unique across processes."""
    global _last_sequence
    with _sequence_lock:
        _last_sequence = max(time.time_ns(), _last_sequence + 1)
        return f"{_last_sequence:020d}-{os.getpid()}"


def _rates_of(data: bytes | None) -> tuple[dict[str, float], str]:
    """``(rates, folded_through)`` of a map or delta object; empty when absent or unreadable
    (a delta written without an fsync may be empty after a crash)."""
    if not data:
        return {}, ""
    try:
        record = json.loads(data)
    except ValueError:
        return {}, ""
    if not isinstance(record, dict) or not isinstance(record.get("rates"), dict):
        return {}, ""
    rates = {
        str(name): float(rate)
        for name, rate in record["rates"].items()
        if isinstance(rate, int | float) and not isinstance(rate, bool)
    }
    return rates, str(record.get("folded_through") or "")


@dataclass(frozen=True)
class _View:
    signature: tuple[object, ...]
    rates: Mapping[str, float]


class PostingRates:
    """The posting-rate log, for :class:`~intrend_assets.raw_store.store.RawStore`."""

    blobs: Blobs
    _rates_view: _View | None = None

    def write_cadence(self, username: str, posts_per_day: float) -> None:
        """Remember how often the profile posts."""
        self.write_cadences({username: posts_per_day})

    def write_cadences(self, rates: Mapping[str, float]) -> None:
        """Remember how often each of these profiles posts: one delta object for all."""
        if not rates:
            return
        record = {"rates": {validate_username(name): rate for name, rate in rates.items()}}
        key = f"{DELTAS}{_next_sequence()}.json"
        self.blobs.put(key, json.dumps(record).encode(), durable=False)

    def fold_cadences(self) -> int:
        """Fold the deltas (and any per-profile records of earlier versions) into the map
        and remove them; returns how many objects were folded. One writer at a time: the
        load that writes the deltas folds them (the ``warehouse`` pool holds it alone)."""
        rates, folded = _rates_of(self.blobs.get(RATES))
        legacy = self._legacy_entries()
        deltas = self.blobs.list(DELTAS)
        if not legacy and not deltas:
            return 0
        merged = {name: rate for name, rate in self._read_legacy(legacy) if name not in rates}
        merged.update(rates)
        folded = self._apply_deltas(merged, folded, deltas)
        record = {"folded_through": folded, "rates": merged}
        self.blobs.put(RATES, json.dumps(record, separators=(",", ":")).encode())
        for entry in [*deltas, *legacy]:
            self.blobs.delete(entry.key)
        self._rates_view = None
        return len(deltas) + len(legacy)

    def posting_rate(self, username: str) -> float:
        """The profile's last known posting rate (0 when none is known)."""
        name = validate_username(username)
        rate = self.posting_rates().get(name)
        if rate is None:  # a record of an earlier version, not folded yet
            rate = dict(self._read_legacy([Entry(f"{_LEGACY}{name}.json", 0, 0)])).get(name)
        return 0.0 if rate is None else rate

    def posting_rates(self) -> Mapping[str, float]:
        """Every known rate: the map, then the deltas not folded into it, in order. Read
        again only when the map or the deltas changed (a sensor asks for every profile)."""
        entry = self.blobs.stat(RATES)
        deltas = self.blobs.list(DELTAS)
        signature = (
            (entry.size, entry.modified_ns) if entry else None,
            *((d.key, d.size, d.modified_ns) for d in deltas),
        )
        view = self._rates_view
        if view is not None and view.signature == signature:
            return view.rates
        rates, folded = _rates_of(self.blobs.get(RATES)) if entry else ({}, "")
        self._apply_deltas(rates, folded, deltas)
        self._rates_view = _View(signature, MappingProxyType(rates))
        return self._rates_view.rates

    def _apply_deltas(self, rates: dict[str, float], folded: str, deltas: list[Entry]) -> str:
        """Apply, in order, the deltas the map has not folded (those after ``folded``) onto
        ``rates``; returns the last delta applied (``folded`` if none was)."""
        for entry in deltas:
            if entry.key > folded:
                rates.update(_rates_of(self.blobs.get(entry.key))[0])
                folded = entry.key
        return folded

    def _legacy_entries(self) -> list[Entry]:
        return [
            e
            for e in self.blobs.list(_LEGACY, recursive=False)
            if e.key.endswith(".json") and e.key != RATES and "/" not in e.key[len(_LEGACY) :]
        ]

    def _read_legacy(self, entries: Iterable[Entry]) -> list[tuple[str, float]]:
        found = []
        for entry in entries:
            data = self.blobs.get(entry.key)
            if data is None:
                continue
            try:
                rate = json.loads(data).get("posts_per_day")
            except (ValueError, AttributeError):
                continue
            if isinstance(rate, int | float) and not isinstance(rate, bool):
                found.append((entry.key[len(_LEGACY) : -len(".json")], float(rate)))
        return found
