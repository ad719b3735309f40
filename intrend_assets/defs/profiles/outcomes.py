"""What each profile partition of a fetch run says in the UI.

A stored profile (or a private one: its answer is stored too) is a materialization of its
partition. A profile that was not stored (not found, login wall, refused, gave up, invalid
name) is not: its partition keeps its last materialization, or stays missing if it never had
one, and gets an observation whose metadata says why (``outcome``, ``reason``, failures in a
row, whether it is parked). Partitions a refresh skipped as not due get nothing: nothing
happened to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import dagster as dg

from intrend_assets.defs.profiles.partition_events import PartitionEvent
from intrend_assets.fetching.report import FetchReport, ProfileOutcome
from intrend_assets.raw_store.store import RawStore
from intrend_assets.redaction import redact
from intrend_assets.tracking.usernames import InvalidUsername, validate_username

RAW_PROFILE = dg.AssetKey("raw_profile")
STORED = ("stored", "private")


def name_problem(key: str) -> str | None:
    """Why a partition key is not a profile to fetch, or None. The tracked file's rule
    (:func:`validate_username`), and the name as the file would keep it: ``NASA`` or
    ``@nasa`` would be fetched and stored as ``nasa``, apart from their partition."""
    try:
        name = validate_username(key)
    except InvalidUsername as exc:
        return exc.reason
    if name != key:
        return f"not as Instagram writes it: add {name!r} instead"
    return None


def invalid_observation(key: str, reason: str) -> dg.AssetObservation:
    return dg.AssetObservation(
        RAW_PROFILE,
        partition=key,
        description=f"invalid profile name: {reason}",
        metadata={"outcome": "invalid", "reason": reason},
    )


def _stored(key: str, outcome: ProfileOutcome, run: Mapping[str, object]) -> PartitionEvent:
    metadata: dict[str, object] = {
        "outcome": outcome.outcome,
        "strategy": outcome.strategy or "",
        "pages": outcome.pages,
        "attempts": outcome.attempts,
        **run,
    }
    if not outcome.complete:  # stored, but paging stopped: the rest comes next time
        metadata["reason"] = redact(f"incomplete: {outcome.reason}")
    if outcome.key:
        metadata["object"] = outcome.key
    return dg.AssetMaterialization(RAW_PROFILE, partition=key, metadata=metadata)


def _failed(
    key: str, outcome: ProfileOutcome | None, store: RawStore, run: Mapping[str, object]
) -> PartitionEvent:
    if outcome is None:  # the run stopped before it reached this profile
        kind, reason = "not_fetched", "the run ended before this profile was fetched"
    else:
        kind, reason = outcome.outcome, redact(outcome.reason)
    cadence = store.cadence(key)
    return dg.AssetObservation(
        RAW_PROFILE,
        partition=key,
        description=f"not stored: {kind}" + (f": {reason[:200]}" if reason else ""),
        metadata={
            "outcome": kind,
            "reason": reason,
            "failures_in_a_row": cadence.consecutive if cadence.failed_at else 0,
            "parked": cadence.parked,
            **run,
        },
    )


def partition_events(
    fetched: Sequence[str],
    invalid: Mapping[str, str],
    report: FetchReport | None,
    store: RawStore,
    run: Mapping[str, object],
) -> list[PartitionEvent]:
    """The events of a run: ``fetched`` (valid partition keys looked up), ``invalid`` (key ->
    reason, never looked up), ``run`` the run's own metadata, repeated on each event."""
    outcomes = report.outcomes if report is not None else {}
    events: list[PartitionEvent] = []
    for key in fetched:
        outcome = outcomes.get(key)
        if outcome is not None and outcome.outcome in STORED:
            events.append(_stored(key, outcome, run))
        else:
            events.append(_failed(key, outcome, store, run))
    events += [invalid_observation(key, why) for key, why in invalid.items()]
    # Materializations first, then observations: the batching storage writes each run of
    # one event type in one insert, so interleaving them would cost an insert per change.
    return sorted(events, key=lambda event: isinstance(event, dg.AssetObservation))


def split_names(keys: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Partition keys to fetch, and the others with the reason they are not names."""
    valid: list[str] = []
    invalid: dict[str, str] = {}
    for key in keys:
        problem = name_problem(key)
        if problem is None:
            valid.append(key)
        else:
            invalid[key] = problem
    return valid, invalid
