"""Fast update: stop paging a timeline at the first post already stored.

Two traps from the field: up to three *pinned* posts, possibly old, sit at the top of a
timeline, so a known post among the first three proves nothing; and the "last seen" mark may
only advance after a complete pass, or a run aborted half way loses the posts it never
reached, for good.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

PINNED_MAX = 3
MARK_IDS = 50


@dataclass(frozen=True)
class Mark:
    """What the last complete pass saw: the newest post time and the newest post ids."""

    newest_taken_at: datetime | None
    post_ids: frozenset[str]

    def knows(self, post_id: str, taken_at: datetime | None) -> bool:
        if post_id in self.post_ids:
            return True
        return (
            self.newest_taken_at is not None
            and taken_at is not None
            and taken_at <= self.newest_taken_at
        )


def first_known_index(
    posts: Sequence[tuple[str, datetime | None]], mark: Mark | None, offset: int = 0
) -> int | None:
    """Index (within ``posts``) of the first post that ends the pass, or None to go on.

    ``offset`` is the position of ``posts[0]`` in the whole timeline, so the pinned-post
    allowance applies to the timeline's top, not to every page.
    """
    if mark is None:
        return None
    for i, (post_id, taken_at) in enumerate(posts):
        if offset + i < PINNED_MAX:
            continue  # maybe pinned: an old post here says nothing about what follows
        if mark.knows(post_id, taken_at):
            return i
    return None


def next_mark(seen: Iterable[tuple[str, datetime | None]], previous: Mark | None) -> Mark:
    """The mark after a complete pass over ``seen`` (timeline order)."""
    seen = list(seen)
    times = [t for _, t in seen if t is not None]
    if previous is not None and previous.newest_taken_at is not None:
        times.append(previous.newest_taken_at)
    ids = [post_id for post_id, _ in seen][:MARK_IDS]
    if previous is not None:
        ids += [i for i in previous.post_ids if i not in ids][: max(0, MARK_IDS - len(ids))]
    return Mark(max(times) if times else None, frozenset(ids))
