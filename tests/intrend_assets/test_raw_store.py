from datetime import UTC, datetime
from pathlib import Path

import pytest

from intrend_assets.raw_store.store import LocalRawStore, decompress
from intrend_assets.tracking.usernames import InvalidUsername
from tests.infra.s3 import S3Server, StoreFactory

# Every test here runs on a local folder and on a bucket of the loopback S3 server
# (``make_store``, tests/infra/s3.py).


def test_put_read_roundtrip_and_latest(make_store: StoreFactory) -> None:
    store = make_store()
    first = store.put("Alice", datetime(2026, 1, 1, tzinfo=UTC), b'{"a": 1}' * 100)
    second = store.put("alice", datetime(2026, 1, 2, tzinfo=UTC), b'{"a": 2}')
    assert first.key.startswith("profiles/alice/")
    assert store.latest("ALICE") == second
    assert [o.key for o in store.objects("alice")] == [first.key, second.key]
    assert decompress(store.read(first.key)) == b'{"a": 1}' * 100
    assert first.size < 100  # compressed
    assert [o.size for o in store.objects("alice")] == [first.size, second.size]
    assert list(store.usernames()) == ["alice"]


def test_keys_cannot_escape(make_store: StoreFactory) -> None:
    store = make_store()
    store.put("bob", datetime.now(UTC), b"{}")
    with pytest.raises(InvalidUsername):
        store.put("../etc", datetime.now(UTC), b"{}")
    with pytest.raises(ValueError, match="escapes"):
        store.read("../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.read("profiles/bob/20260101T000000.000000Z.json.zst")


def test_folder_keys_are_checked_without_resolving_paths(tmp_path: Path) -> None:
    """Keys are checked as text (resolving three paths per fetch was a third of a load's
    reading): none absolute, none stepping up, whichever operation is asked."""
    blobs = LocalRawStore(tmp_path / "raw").blobs
    for key in ("/etc/passwd", "../outside", "profiles/../../outside", "a/b/../../../x"):
        for operation in (blobs.get, blobs.stat, blobs.delete):
            with pytest.raises(ValueError, match="escapes"):
                operation(key)
        with pytest.raises(ValueError, match="escapes"):
            blobs.put(key, b"x")
        with pytest.raises(ValueError, match="escapes"):
            blobs.get_at_most(key, 10)
    assert not (tmp_path / "outside").exists()


def test_no_temporary_files_left(tmp_path: Path) -> None:
    store = LocalRawStore(tmp_path)
    store.put("bob", datetime.now(UTC), b"{}")
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_failures_are_recorded_and_cleared(make_store: StoreFactory) -> None:
    store = make_store()
    store.record_failure("carol", "not_found", "profile not found", 1)
    assert store.failures()[0]["outcome"] == "not_found"
    store.clear_failure("carol")
    assert store.failures() == []


def test_failures_in_a_row_are_counted_by_kind_of_reason(make_store: StoreFactory) -> None:
    store = make_store()
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


def test_a_log_batch_left_half_written_is_not_a_batch(make_store: StoreFactory) -> None:
    """A writer killed mid-write leaves ``.tmp-*.parquet``; fetch_log failed on it for ever."""
    store = make_store()
    key = store.write_log("run1-0.parquet", b"PAR1...")
    store.blobs.put("fetch_log/.tmp-abc123.parquet", b"PAR1 half")
    assert [e.key for e in store.logs()] == [key]
    assert store.read_log(key) == b"PAR1..."
    with pytest.raises(ValueError, match="request-log"):
        store.read_log("profiles/x/y.json.zst")


def test_sidecar_records_round_trip(make_store: StoreFactory) -> None:
    """Marks, walls, served strategies and cadence: the small records beside the answers."""
    from intrend_assets.fetching.fast_update import Mark

    store = make_store()
    assert store.read_mark("erin") is None and store.read_walls("erin") == frozenset()
    mark = Mark(datetime(2026, 3, 1, tzinfo=UTC), frozenset({"1", "2"}))
    store.write_mark("erin", mark)
    store.write_walls("erin", {"web_profile_info"})
    store.write_served("erin", "graphql")
    store.write_cadence("erin", 1.5)
    assert store.read_mark("erin") == mark
    assert store.read_walls("erin") == {"web_profile_info"}
    assert store.read_served("erin") == "graphql"
    assert store.cadence("erin").posts_per_day == 1.5
    store.write_walls("erin", set())
    store.write_served("erin", None)
    assert store.read_walls("erin") == frozenset() and store.read_served("erin") is None


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_parked_profiles_are_listed_and_rearmed_by_hand(
    backend: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from intrend_assets.parked import main

    where: list[str] = []
    if backend == "local":
        store = LocalRawStore(tmp_path)
        where = ["--raw-dir", str(tmp_path)]
    else:  # the deployment's store, from INTREND_RAW_URL
        server: S3Server = request.getfixturevalue("s3_server")
        store = server.store()
        monkeypatch.setenv("INTREND_RAW_URL", store.url)
        monkeypatch.setenv("INTREND_RAW_ENDPOINT", server.endpoint)
    for _ in range(3):
        store.record_failure("deleted", "not_found", "404", 1)
    store.record_failure("flaky", "gave_up", "rate limited 8 times", 8)
    assert main(["parked", *where]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["deleted"]
    assert main(["rearm", "--all-parked", *where]) == 0
    assert capsys.readouterr().out == "deleted: re-armed\n"
    assert [r["username"] for r in store.failures()] == ["flaky"]  # not parked: kept


def test_a_bucket_store_has_no_folder_and_says_so() -> None:
    """Code wanting a path beside a bucket store fails at once, rather than writing under a
    folder nobody reads."""
    from intrend_assets.raw_store.store import open_raw_store

    store = open_raw_store("s3://bucket/raw", endpoint="http://127.0.0.1:9")
    with pytest.raises(NotImplementedError, match="not a folder"):
        _ = store.root


def test_stamps_read_by_slicing_agree_with_strptime() -> None:
    """The sliced reading of a stamp gives strptime's answer, and refuses what it refuses."""
    import random
    from datetime import timedelta

    from intrend_assets.raw_store.store import _STAMP, _stamp, _unstamp

    rng = random.Random(7)
    start = datetime(1990, 1, 1, tzinfo=UTC)
    for _ in range(2000):
        moment = start + timedelta(microseconds=rng.randrange(2 * 10**15))
        assert _unstamp(_stamp(moment)) == moment
    good = "20260101T235959.123456Z"
    odd = [good.replace("01", "13", 1), good.replace("23", "25"), good[:-1] + "X"]
    odd += [good.replace("1", " ", 1), good.replace("2", "²", 1), good[:-2] + "Z", good + "0"]
    for text in odd:
        try:
            expected: datetime | None = datetime.strptime(text, _STAMP).replace(tzinfo=UTC)
        except ValueError:
            expected = None
        if expected is None:
            with pytest.raises(ValueError):
                _unstamp(text)
        else:
            assert _unstamp(text) == expected
