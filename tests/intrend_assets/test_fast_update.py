from datetime import UTC, datetime, timedelta

from intrend_assets.fetching.fast_update import Mark, first_known_index, next_mark

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def test_no_mark_means_page_everything() -> None:
    assert first_known_index([("a", day(5))], None) is None


def test_stops_at_first_known_post_after_the_pinned_slots() -> None:
    mark = Mark(day(10), frozenset({"k1"}))
    # Three pinned old posts on top, then two new ones, then a known one.
    timeline = [("p1", day(1)), ("p2", day(2)), ("p3", day(3))]
    timeline += [("n1", day(12)), ("n2", day(11)), ("k1", day(10)), ("old", day(9))]
    assert first_known_index(timeline, mark) == 5


def test_pinned_allowance_only_applies_at_the_top_of_the_timeline() -> None:
    mark = Mark(day(10), frozenset())
    page_two = [("x", day(9))]
    assert first_known_index(page_two, mark, offset=12) == 0
    assert first_known_index(page_two, mark, offset=0) is None


def test_mark_advances_to_newest_and_keeps_recent_ids() -> None:
    first = next_mark([("a", day(3)), ("b", day(2))], None)
    assert first.newest_taken_at == day(3) and first.post_ids == {"a", "b"}
    second = next_mark([("c", day(5))], first)
    assert second.newest_taken_at == day(5) and second.post_ids == {"a", "b", "c"}
    # An old pinned post seen later never moves the mark backwards.
    assert next_mark([("pinned", day(0))], second).newest_taken_at == day(5)
