"""The small records the raw store keeps per profile beside its answers: the fast-update mark,
the strategies that met a login wall, the strategy that served it, and its failures in a
row: JSON objects of a few hundred bytes, on the same blobs as the answers. (Posting rates
are a log of their own: :mod:`.rates`.)"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from intrend_assets.fetching.fast_update import Mark
from intrend_assets.raw_store.blobs import Blobs
from intrend_assets.raw_store.rates import PostingRates
from intrend_assets.redaction import redact
from intrend_assets.tracking.refresh import backoff_for
from intrend_assets.tracking.usernames import InvalidUsername, validate_username


def _json(data: bytes | None) -> dict:
    """A small JSON record, or {} when it is absent or unreadable (a crash cannot leave a
    half-written one, but a hand-edited one may be wrong)."""
    if data is None:
        return {}
    try:
        record = json.loads(data)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


class ProfileRecords(PostingRates):
    """The per-profile records, for :class:`~intrend_assets.raw_store.store.RawStore`."""

    blobs: Blobs

    def _write_json(self, key: str, record: dict) -> None:
        self.blobs.put(key, json.dumps(record).encode())

    def _read_json(self, key: str) -> dict:
        return _json(self.blobs.get(key))

    def read_mark(self, username: str) -> Mark | None:
        """The fast-update mark of the last complete pass, if any."""
        data = self.blobs.get(f"marks/{validate_username(username)}.json")
        if data is None:
            return None
        record = json.loads(data)
        newest = record.get("newest_taken_at")
        return Mark(
            datetime.fromisoformat(newest) if newest else None, frozenset(record["post_ids"])
        )

    def write_mark(self, username: str, mark: Mark) -> None:
        data = {
            "newest_taken_at": mark.newest_taken_at.isoformat() if mark.newest_taken_at else None,
            "post_ids": sorted(mark.post_ids),
        }
        self._write_json(f"marks/{validate_username(username)}.json", data)

    def read_walls(self, username: str) -> frozenset[str]:
        """Strategies that answered this profile with a login wall last time they were tried."""
        data = self.blobs.get(f"walls/{validate_username(username)}.json")
        return (
            frozenset(json.loads(data).get("strategies", [])) if data is not None else frozenset()
        )

    def write_walls(self, username: str, strategies: set[str] | frozenset[str]) -> None:
        key = f"walls/{validate_username(username)}.json"
        if not strategies:
            self.blobs.delete(key)
            return
        self._write_json(key, {"strategies": sorted(strategies)})

    def read_served(self, username: str) -> str | None:
        """The anonymous strategy that served this profile last, when it was not the first
        in order (a profile one strategy refuses starts with the one that worked)."""
        data = self.blobs.get(f"served/{validate_username(username)}.json")
        return json.loads(data).get("strategy") if data is not None else None

    def write_served(self, username: str, strategy: str | None) -> None:
        """Remember ``strategy`` for this profile; None forgets (the usual order serves it)."""
        key = f"served/{validate_username(username)}.json"
        if strategy is None:
            self.blobs.delete(key)
            return
        self._write_json(key, {"strategy": strategy})

    # Failures: the list of profiles to retry later, with their reasons.

    def _failure_key(self, username: str) -> tuple[str, str]:
        """A valid name keeps ``failures/<name>.json``; a name Instagram never issues is
        recorded too, as given, under a key named by its hash (never by the name)."""
        try:
            name = validate_username(username)
        except InvalidUsername:
            digest = hashlib.sha256(repr(username).encode()).hexdigest()[:24]
            return str(username), f"failures/invalid-{digest}.json"
        return name, f"failures/{name}.json"

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
        name, key = self._failure_key(username)
        moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
        previous = self._read_json(key)
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
        self._write_json(key, record)

    def clear_failure(self, username: str) -> None:
        self.blobs.delete(self._failure_key(username)[1])

    def rearm(self, username: str) -> bool:
        """Forget a profile's failures, parked or not: it is due again by its last fetch (at
        once if it never was). True when there was a record to forget."""
        key = self._failure_key(username)[1]
        existed = self.blobs.stat(key) is not None
        self.blobs.delete(key)
        return existed

    def failures(self) -> list[dict[str, object]]:
        listed = self.blobs.list("failures/")
        found = (self.blobs.get(e.key) for e in listed if e.key.endswith(".json"))
        return [json.loads(data) for data in found if data is not None]
