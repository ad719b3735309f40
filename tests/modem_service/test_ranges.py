"""CIDR aggregation without FastAPI: the 209.29.168.x vs 209.29.99.x case."""

from datetime import UTC, datetime, timedelta

import pytest

from modem_service.ranges import Sighting, aggregate, block_of, classify

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _log() -> list[Sighting]:
    ips = ["209.29.168.10", "209.29.168.11", "209.29.168.10", "209.29.99.7", "209.29.168.200"]
    rows = [Sighting(ip, T0 + timedelta(minutes=i), "rotate") for i, ip in enumerate(ips)]
    rows.append(Sighting("209.29.168.10", T0 - timedelta(minutes=5), "start"))
    return rows


def test_slash24_separates_the_common_and_the_rare_block() -> None:
    rows = aggregate(_log(), 24)
    assert [r.network for r in rows] == ["209.29.168.0/24", "209.29.99.0/24"]
    common, rare = rows
    assert (common.distinct_ips, common.times_seen, common.rotations) == (3, 5, 4)
    assert common.share_of_rotations == pytest.approx(0.8)
    assert common.first_seen == T0 - timedelta(minutes=5)
    assert common.last_seen == T0 + timedelta(minutes=4)
    assert (rare.distinct_ips, rare.times_seen, rare.share_of_rotations) == (1, 1, 0.2)
    assert rare.first_seen == rare.last_seen == T0 + timedelta(minutes=3)


def test_slash16_merges_them() -> None:
    (only,) = aggregate(_log(), 16)
    assert only.network == "209.29.0.0/16"
    assert (only.distinct_ips, only.times_seen, only.share_of_rotations) == (4, 6, 1.0)


def test_empty_and_bad_rows() -> None:
    assert aggregate([], 24) == []
    rows = aggregate([Sighting("not-an-ip", T0), Sighting("2001:db8::1", T0, "check")], 24)
    assert [(r.network, r.share_of_rotations) for r in rows] == [("2001:d00::/24", 0.0)]
    with pytest.raises(ValueError):
        aggregate([], 129)


def test_block_of_clamps_ipv4() -> None:
    assert str(block_of("209.29.168.10", 40)) == "209.29.168.10/32"


def _at(minutes: int, ip: str, source: str) -> Sighting:
    return Sighting(ip, T0 + timedelta(minutes=minutes), source)


def test_kept_through_a_rotation_is_not_a_return() -> None:
    log = [_at(0, "209.29.168.1", "start"), _at(1, "209.29.168.1", "rotate-same")]
    assert classify(log) == ["first", "kept"]
    (row,) = aggregate(log, 24)
    assert (row.kept_through_rotation, row.returns, row.returning_ips) == (1, 0, 0)


def test_seen_again_after_a_restart_is_not_a_return() -> None:
    log = [
        _at(0, "209.29.168.1", "start"),
        _at(1, "209.29.168.2", "rotate"),
        _at(2, "209.29.168.2", "start"),
    ]
    assert classify(log) == ["first", "first", "restart"]
    (row,) = aggregate(log, 24)
    assert (row.seen_after_restart, row.returns, row.returning_ips) == (1, 0, 0)


def test_came_back_after_other_ips_is_a_return() -> None:
    log = [
        _at(0, "209.29.168.1", "start"),
        _at(1, "209.29.168.2", "rotate"),
        _at(2, "209.29.168.1", "rotate"),
        _at(3, "209.29.99.9", "carrier"),
        _at(4, "209.29.168.1", "start"),  # after a restart, but other IPs came between
    ]
    assert classify(log) == ["first", "first", "returned", "first", "returned"]
    rows = {r.network: r for r in aggregate(log, 24)}
    common, rare = rows["209.29.168.0/24"], rows["209.29.99.0/24"]
    assert (common.returns, common.returning_ips, common.seen_after_restart) == (2, 1, 0)
    assert (rare.returns, rare.carrier_changes, rare.rotations) == (0, 1, 0)
