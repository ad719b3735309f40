"""The requested, validated username owns a fetch; a body naming someone else is refused.

A profile answer naming ``../../../etc/pwned`` used to make ``posts`` fail on every run
while alone in the queue (the cadence write refused the name after the rows were in), and
to be committed, posts and all, under the hostile name once other fetches shared its batch.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from intrend_assets.parsing.profile import ProfileParseError, parse_profile
from intrend_assets.raw_store.store import LocalRawStore
from tests.intrend_assets.test_pending_loads import _answer, _edges, _fetch, _load

HOSTILE = "../../../etc/pwned"


def _impostor(named: str, owner: str | None = None) -> bytes:
    """A profile answer of 12 posts whose user (and posts' owner) is ``named``."""
    body = json.loads(_answer(named, list(range(12))))
    for edge in body["data"]["user"]["edge_owner_to_timeline_media"]["edges"]:
        edge["node"]["owner"] = {"id": "42", "username": owner or named}
    return json.dumps(body).encode()


def _page(owners: list[str]) -> bytes:
    edges = _edges(list(range(100, 100 + len(owners))))
    for edge, owner in zip(edges, owners, strict=True):
        edge["node"]["owner"] = {"id": "42", "username": owner}
    media = {"edges": edges, "page_info": {"has_next_page": False, "end_cursor": None}}
    return json.dumps({"data": {"user": {"edge_owner_to_timeline_media": media}}}).encode()


@pytest.mark.parametrize("named", [HOSTILE, "mallory", "a" * 31])
def test_a_profile_answer_naming_someone_else_is_refused(named: str) -> None:
    with pytest.raises(ProfileParseError, match="not the requested"):
        parse_profile(_impostor(named), username="alice")


def test_the_requested_name_matches_whatever_its_case() -> None:
    parsed = parse_profile(_impostor("Alice"), username="alice")
    assert parsed.username == "alice"
    assert set(parsed.post_columns["owner_username"]) == {"alice"}


def test_a_page_belongs_to_the_requested_profile_not_its_first_post() -> None:
    """A collaboration post names its own author; the page is still the requested one's."""
    parsed = parse_profile(_page(["bob", "alice"]), username="alice")
    assert parsed.username == "alice"
    assert parsed.post_columns["owner_username"] == ["bob", "alice"]


def test_a_post_naming_an_owner_instagram_never_issues_is_the_profiles() -> None:
    """As a post naming no owner is: the made-up name goes nowhere."""
    page = parse_profile(_page(["alice", HOSTILE]), username="alice")
    assert page.post_columns["owner_username"] == ["alice", "alice"]
    answer = parse_profile(_impostor("alice", owner=HOSTILE), username="alice")
    assert set(answer.post_columns["owner_username"]) == {"alice"}


def test_a_page_of_someone_elses_posts_gives_no_profile_row() -> None:
    """Its posts keep their owners; the requested profile's row takes nothing from them."""
    parsed = parse_profile(_page(["mallory", "mallory"]), username="alice")
    assert parsed.username == "alice" and parsed.profile["id"] is None
    assert parsed.post_columns["owner_username"] == ["mallory", "mallory"]


def _owners(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        posts = con.execute("SELECT DISTINCT owner_username FROM posts").fetchall()
        profiles = con.execute("SELECT DISTINCT username FROM profiles").fetchall()
        stale = con.execute("SELECT username FROM posts_wide_stale").fetchall()
    return {r[0] for r in posts + profiles + stale}


def _store_impostor(store: LocalRawStore, requested: str) -> None:
    from datetime import UTC, datetime

    store.mark_pending(store.put(requested, datetime.now(UTC), _impostor(HOSTILE)))


def test_an_impostor_alone_in_the_queue_is_refused_and_the_run_succeeds(tmp_path: Path) -> None:
    root, db = tmp_path / "raw", tmp_path / "w.duckdb"
    store = LocalRawStore(root)
    _store_impostor(store, "victim")
    for _ in range(2):  # and the next run too
        assert _load(root, db).success
    assert store.pending() == []
    (failure,) = store.failures()
    assert failure["username"] == "victim" and "not the requested" in str(failure["reason"])
    assert HOSTILE not in _owners(db)


def test_an_impostor_among_other_fetches_writes_nothing(tmp_path: Path) -> None:
    root, db = tmp_path / "raw", tmp_path / "w.duckdb"
    store = LocalRawStore(root)
    _fetch(store, ["alice", "bob"])
    _store_impostor(store, "victim")
    result = _load(root, db)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("posts")
    assert materialization.metadata["fetches_loaded"].value == 2
    assert materialization.metadata["set_aside"].value == 0
    assert _owners(db) <= {"alice", "bob"}
    assert not any("pwned" in str(p) for p in root.rglob("*"))
    assert [f["username"] for f in store.failures()] == ["victim"]
