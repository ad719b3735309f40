"""The posting-rate log (intrend_assets/raw_store/rates.py), on a folder and on a bucket."""

from __future__ import annotations

import json

import pytest

from intrend_assets.raw_store.rates import DELTAS, RATES
from tests.infra.s3 import StoreFactory


def _objects(store, prefix: str = "cadence/") -> list[str]:
    return [e.key for e in store.blobs.list(prefix)]


def test_rates_are_seen_at_once_and_folded_into_one_object(make_store: StoreFactory) -> None:
    store = make_store()
    store.write_cadences({"alice": 1.5, "bob": 0.25})
    store.write_cadences({"alice": 3.0})
    assert len(_objects(store, DELTAS)) == 2  # one object per write, not per profile
    assert store.cadence("alice").posts_per_day == 3.0  # the later write wins, unfolded
    assert store.cadence("bob").posts_per_day == 0.25
    assert store.cadence("carol").posts_per_day == 0.0
    assert store.fold_cadences() == 2
    assert _objects(store) == [RATES]
    assert dict(store.posting_rates()) == {"alice": 3.0, "bob": 0.25}
    store.write_cadences({"bob": 2.0})
    assert store.cadence("bob").posts_per_day == 2.0  # a new delta over the cached map
    store.fold_cadences()
    assert dict(store.posting_rates()) == {"alice": 3.0, "bob": 2.0}


def test_a_delta_left_by_a_crash_after_the_fold_is_not_applied_again(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    store.write_cadences({"alice": 1.0})
    (old,) = _objects(store, DELTAS)
    stale = store.blobs.get(old)
    store.fold_cadences()
    store.write_cadences({"alice": 5.0})
    store.fold_cadences()
    assert stale is not None
    store.blobs.put(old, stale)  # as if the first fold had died before removing it
    assert store.cadence("alice").posts_per_day == 5.0
    store.fold_cadences()
    assert store.cadence("alice").posts_per_day == 5.0
    assert _objects(store) == [RATES]


def test_an_empty_delta_after_a_crash_reads_as_no_rate(make_store: StoreFactory) -> None:
    store = make_store()
    store.write_cadences({"alice": 1.0})
    store.blobs.put(f"{DELTAS}99999999999999999999-1.json", b"")
    assert store.cadence("alice").posts_per_day == 1.0
    store.fold_cadences()
    assert store.cadence("alice").posts_per_day == 1.0


def test_records_of_earlier_versions_are_read_and_folded(make_store: StoreFactory) -> None:
    store = make_store()
    store.blobs.put("cadence/alice.json", json.dumps({"posts_per_day": 2.5}).encode())
    store.blobs.put("cadence/bob.json", json.dumps({"posts_per_day": 1.0}).encode())
    assert store.cadence("alice").posts_per_day == 2.5
    store.write_cadences({"bob": 4.0})  # newer than bob's old record
    store.fold_cadences()
    assert _objects(store) == [RATES]
    assert dict(store.posting_rates()) == {"alice": 2.5, "bob": 4.0}


def test_rates_are_stored_under_valid_names_only(make_store: StoreFactory) -> None:
    store = make_store()
    store.write_cadences({"Alice": 1.0})
    assert store.cadence("alice").posts_per_day == 1.0
    with pytest.raises(ValueError):
        store.write_cadences({"../etc": 1.0})
