"""The media store on the raw store's blobs: what is settled costs one read per profile."""

from __future__ import annotations

from pathlib import Path

from intrend_assets.media.store import MediaRecord, MediaStore
from intrend_assets.raw_store.blobs import LocalBlobs


class CountingBlobs(LocalBlobs):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gets = 0

    def get(self, key: str) -> bytes | None:
        self.gets += 1
        return super().get(key)


def _record(post: str, status: str) -> MediaRecord:
    return MediaRecord("someone", post, "thumbnail", 0, status, "2026-12-01T00:00:00+00:00")


def test_settled_media_are_read_from_one_object_whatever_the_runs(tmp_path: Path) -> None:
    blobs = CountingBlobs(tmp_path)
    store = MediaStore(blobs)
    for run in range(20):  # one records object per run
        store.append("someone", [_record(str(run), "archived"), _record(f"x{run}", "expired")])
    blobs.gets = 0
    settled = store.settled("someone")
    assert settled == {(str(run), "thumbnail", 0) for run in range(20)}
    assert blobs.gets == 1
    assert len(store.records("someone")) == 40  # every run's records kept for the load


def test_without_its_summary_the_settled_set_comes_from_the_records(tmp_path: Path) -> None:
    store = MediaStore(LocalBlobs(tmp_path))
    store.append("someone", [_record("1", "archived"), _record("2", "refused")])
    store.append("someone", [_record("3", "failed")])
    summary = tmp_path / "media" / "settled" / "someone.json"
    summary.write_text("not json")
    assert store.settled("someone") == {("1", "thumbnail", 0), ("2", "thumbnail", 0)}
    summary.unlink()
    assert store.settled("someone") == {("1", "thumbnail", 0), ("2", "thumbnail", 0)}
