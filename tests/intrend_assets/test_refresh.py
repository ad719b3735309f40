from datetime import UTC, datetime, timedelta

import pytest

from intrend_assets.tracking.refresh import (
    PARKED,
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


def _after(outcome: str, consecutive: int) -> timedelta | None:
    """The wait after the ``consecutive``-th failure in a row for ``outcome``; None = parked."""
    cadence = Cadence("x", failed_at=NOW, failure=outcome, consecutive=consecutive)
    when = next_due(cadence)
    assert when is not None
    return None if when == PARKED else when - NOW


H, D = timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize("outcome", ["gave_up", "run_failed", "incomplete", "some_new_reason"])
def test_transient_failures_back_off_from_an_hour_to_a_day(outcome: str) -> None:
    waits = [_after(outcome, n) for n in range(1, 9)]
    assert waits == [H, 2 * H, 4 * H, 8 * H, 16 * H, D, D, D]
    assert _after(outcome, 500) == D  # never parked, never past the cap


@pytest.mark.parametrize("outcome", ["not_found", "invalid"])
def test_gone_profiles_get_three_tries_a_day_apart_then_are_parked(outcome: str) -> None:
    assert [_after(outcome, n) for n in range(1, 5)] == [D, D, None, None]
    parked = Cadence("x", failed_at=NOW, failure=outcome, consecutive=3)
    assert parked.parked
    # Parked means never due, however long ago it failed.
    assert due_profiles(NOW + timedelta(days=3650), ["x"], {"x": parked}, {}) == []


@pytest.mark.parametrize("outcome", ["login_wall", "refused"])
def test_walls_and_refusals_back_off_to_a_week_and_are_never_parked(outcome: str) -> None:
    waits = [_after(outcome, n) for n in range(1, 7)]
    assert waits == [6 * H, 12 * H, D, 2 * D, 4 * D, 7 * D]
    assert _after(outcome, 100) == 7 * D


def test_a_fetch_after_the_failure_ends_the_backoff() -> None:
    fetched_since = Cadence(
        "x", last_fetched_at=NOW, failed_at=NOW - H, failure="not_found", consecutive=3
    )
    assert not fetched_since.parked
    assert next_due(fetched_since) == NOW + D


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
