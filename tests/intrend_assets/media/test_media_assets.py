"""The media assets in Dagster: fetched profiles' media archived, then loaded as post_media."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.definitions import ASSETS
from sandbox.pipeline import range_tags, sandbox_resources
from sandbox.world import SandboxConfig, SandboxWorld, start_sandbox
from tests.intrend_assets.media.world import fetch_then_archive
from warehouse.db import connect

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_archived_media_then_post_media(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=20, seed=3, budget=1000, rotation_seconds=0.0)
    with start_sandbox(config) as world, dg.instance_for_test() as instance:
        names = world.public_usernames()[:6]
        _, resources = sandbox_resources(world.intrend_env(tmp_path))
        media = fetch_then_archive(resources, instance, names)
        again = dg.materialize(
            ASSETS,
            selection=["archived_media", "post_media"],
            resources=resources,
            instance=instance,
        )
    meta = media.asset_materializations_for_node("archived_media")[0].metadata
    archived = meta["archived"].value
    assert archived > 6 * 3 and meta["renewals"].value == 0
    loaded = media.asset_materializations_for_node("post_media")[0].metadata
    assert loaded["rows_loaded"].value == archived
    assert (
        again.asset_materializations_for_node("archived_media")[0].metadata["cdn_requests"].value
        == 0
    )
    assert again.asset_materializations_for_node("post_media")[0].metadata["rows_loaded"].value == 0
    con = connect(tmp_path / "warehouse.duckdb", read_only=True)
    try:
        rows = con.execute(
            "SELECT count(*), count(DISTINCT sha256), min(width), count(*) FILTER "
            "(WHERE kind = 'profile_pic') FROM post_media WHERE status = 'archived'"
        ).fetchone()
        thumbs_per_post = con.execute(
            "SELECT count(*) FROM posts p JOIN post_media m ON m.post_id = p.post_id "
            "AND m.kind = 'thumbnail'"
        ).fetchone()[0]
        posts = con.execute("SELECT count(*) FROM posts").fetchone()[0]
    finally:
        con.close()
    assert rows[0] == rows[1] == archived and rows[2] >= 16 and rows[3] == 6
    assert thumbs_per_post == posts


WIDE_VS_MEDIA = """
    SELECT count(*), count(*) FILTER (WHERE w.media_archived = coalesce(c.archived, 0)),
           sum(w.media_archived)
    FROM posts_wide AS w LEFT JOIN post_media_counts AS c USING (post_id)
"""


def _names_gaining_posts(world: SandboxWorld, count: int) -> list[str]:
    """``count`` public profiles, the first of which posts within the next sandbox day.

    The sandbox anchors its content at the real date, so which profiles post in a given
    day moves with it: the first four public ones posted nothing in the day after
    2026-12-02, and the test's second load then had no new posts to show.
    """

    def posts_at(name: str, moment: float) -> int:
        body = world.content.profile_response(name, moment)
        return body["data"]["user"]["edge_owner_to_timeline_media"]["count"]

    now, public = world.now(), world.public_usernames()
    gaining = [n for n in public if posts_at(n, now + 86400) > posts_at(n, now + 3600)]
    assert gaining, "no public profile of the sandbox posts within a day"
    return [gaining[0], *[n for n in public if n != gaining[0]][: count - 1]]


def test_posts_wide_knows_how_many_media_each_post_has_archived(tmp_path: Path) -> None:
    config = SandboxConfig(profiles=20, seed=3, budget=1000, rotation_seconds=0.0)
    with start_sandbox(config) as world, dg.instance_for_test() as instance:
        names = _names_gaining_posts(world, 4)
        instance.add_dynamic_partitions("profiles", names)
        _, resources = sandbox_resources(world.intrend_env(tmp_path))

        def run(*selection: str, tags: dict[str, str] | None = None) -> None:
            result = dg.materialize(
                ASSETS,
                selection=list(selection),
                resources=resources,
                instance=instance,
                tags=tags or {},
            )
            assert result.success

        run("raw_profile", "posts", tags=range_tags(names))
        run("hashtag_daily", "posts_wide")  # built before any media: all 0
        run("archived_media", "post_media")  # the load sets the counts
        con = connect(tmp_path / "warehouse.duckdb", read_only=True)
        first = con.execute(WIDE_VS_MEDIA).fetchone()
        con.close()
        world.clock.advance(86400)  # new posts, new metrics on the old ones
        run("raw_profile", "posts", tags=range_tags(names))
        run("hashtag_daily", "posts_wide")  # rows rewritten incrementally keep their counts
        con = connect(tmp_path / "warehouse.duckdb", read_only=True)
        second = con.execute(WIDE_VS_MEDIA).fetchone()
        refreshed = con.execute(
            "SELECT full_rebuild FROM refresh_log WHERE table_name = 'posts_wide'"
        ).fetchone()
        con.close()
    assert first[0] == first[1] and first[2] > 4 * 3
    assert second[0] == second[1] > first[0] and second[2] == first[2]
    assert refreshed == (False,)
