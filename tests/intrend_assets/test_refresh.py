from datetime import UTC, datetime, timedelta

import pytest

from intrend_assets.tracking.refresh import (
    Cadence,
    due_profiles,
    next_due,
    parse_duration,
    posts_per_day,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_durations() -> None:
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration(" 1.5d ") == timedelta(days=1.5)
    for bad in ("", "6", "h", "-1d", "0h", "1y"):
        with pytest.raises(ValueError, match="bad duration"):
            parse_duration(bad)


def test_posts_per_day() -> None:
    day = timedelta(days=1)
    assert posts_per_day([NOW, NOW - day, NOW - 2 * day]) == 1.0
    assert posts_per_day([NOW]) == 0.0
    assert posts_per_day([NOW, NOW - timedelta(hours=1)]) == 1.0  # span floored at a day


def test_frequent_posters_are_due_sooner_but_not_below_the_floor() -> None:
    quiet = Cadence("q", last_fetched_at=NOW, posts_per_day=0.2)
    busy = Cadence("b", last_fetched_at=NOW, posts_per_day=6)
    frantic = Cadence("f", last_fetched_at=NOW, posts_per_day=500)
    assert next_due(quiet) == NOW + timedelta(days=1)
    assert next_due(busy) == NOW + timedelta(hours=4)
    assert next_due(frantic) == NOW + timedelta(hours=1)
    assert next_due(Cadence("new")) is None


def test_failures_are_retried_after_a_backoff() -> None:
    failed = Cadence("x", last_fetched_at=NOW - timedelta(days=3), failed_at=NOW)
    assert next_due(failed) == NOW + timedelta(hours=1)


def test_due_profiles_respects_intervals_and_names_stable_slots() -> None:
    cadences = {
        "fresh": Cadence("fresh", last_fetched_at=NOW - timedelta(hours=2)),
        "stale": Cadence("stale", last_fetched_at=NOW - timedelta(days=2)),
        "hourly": Cadence("hourly", last_fetched_at=NOW - timedelta(hours=2)),
    }
    intervals = {"hourly": timedelta(hours=1)}
    names = ["fresh", "stale", "hourly", "never"]
    due = due_profiles(NOW, names, cadences, intervals)
    assert [name for name, _ in due] == ["stale", "hourly", "never"]
    # The same due time gives the same slot a minute later: requests are not repeated.
    later = due_profiles(NOW + timedelta(minutes=1), names, cadences, intervals)
    assert later == due
