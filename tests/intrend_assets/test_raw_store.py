from datetime import UTC, datetime
from pathlib import Path

import pytest

from intrend_assets.raw_store.store import LocalRawStore, decompress
from intrend_assets.tracking.usernames import InvalidUsername


def test_put_read_roundtrip_and_latest(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    first = store.put("Alice", datetime(2026, 1, 1, tzinfo=UTC), b'{"a": 1}' * 100)
    second = store.put("alice", datetime(2026, 1, 2, tzinfo=UTC), b'{"a": 2}')
    assert first.key.startswith("profiles/alice/")
    assert store.latest("ALICE") == second
    assert [o.key for o in store.objects("alice")] == [first.key, second.key]
    assert decompress(store.read(first.key)) == b'{"a": 1}' * 100
    assert first.size < 100  # compressed
    assert list(store.usernames()) == ["alice"]


def test_no_temporary_files_left_and_keys_cannot_escape(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    store.put("bob", datetime.now(UTC), b"{}")
    assert not [p for p in tmp_path.rglob(".tmp-*")]
    with pytest.raises(InvalidUsername):
        store.put("../etc", datetime.now(UTC), b"{}")
    with pytest.raises(ValueError, match="escapes"):
        store.read("../../etc/passwd")


def test_failures_are_recorded_and_cleared(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    store.record_failure("carol", "not_found", "profile not found", 1)
    assert store.failures()[0]["outcome"] == "not_found"
    store.clear_failure("carol")
    assert store.failures() == []


def test_failures_in_a_row_are_counted_by_kind_of_reason(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    day = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(3):
        store.record_failure("dave", "not_found", "404", 1, at=day.replace(day=1 + n))
    (record,) = store.failures()
    assert record["consecutive"] == 3 and record["first_failed_at"] == day.isoformat()
    cadence = store.cadence("dave")
    assert cadence.failure == "not_found" and cadence.consecutive == 3 and cadence.parked
    # A reason of another kind starts a new count; one of the same kind carries it on.
    store.record_failure("dave", "gave_up", "rate limited 8 times", 8)
    store.record_failure("dave", "run_failed", "proxy unreachable", 0)
    assert store.cadence("dave").consecutive == 2 and not store.cadence("dave").parked
    # Re-arming forgets the record; a success does the same (clear_failure).
    assert store.rearm("dave") and not store.rearm("dave")
    assert store.failures() == [] and store.cadence("dave").failed_at is None


def test_a_log_batch_left_half_written_is_not_a_batch(tmp_path: Path) -> None:
    """A writer killed mid-write leaves ``.tmp-*.parquet``; fetch_log failed on it for ever."""
    store = LocalRawStore(tmp_path)
    key = store.write_log("run1-0.parquet", b"PAR1...")
    (tmp_path / "fetch_log" / ".tmp-abc123.parquet").write_bytes(b"PAR1 half")
    assert [p.name for p in store.logs()] == [Path(key).name]


def test_parked_profiles_are_listed_and_rearmed_by_hand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from intrend_assets.parked import main

    store = LocalRawStore(tmp_path)
    for _ in range(3):
        store.record_failure("deleted", "not_found", "404", 1)
    store.record_failure("flaky", "gave_up", "rate limited 8 times", 8)
    assert main(["parked", "--raw-dir", str(tmp_path)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["deleted"]
    assert main(["rearm", "--all-parked", "--raw-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "deleted: re-armed\n"
    assert [r["username"] for r in store.failures()] == ["flaky"]  # not parked: kept
