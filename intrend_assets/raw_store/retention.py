"""Raw-store retention: drop old fetches of a profile, never a post.

The policy keeps, per profile, the ``keep_fetches`` latest fetches and those younger than
``keep_days`` (both unset: everything, the default). An older fetch goes only when **every
post it holds is also in a later fetch that is kept**. Why the condition: under fast update a
fetch's timeline pages hold only the posts since the fetch before (paging stops at the first
post already stored), and with 12 posts per profile answer a post falls out of the answer
once 12 newer ones exist. So an old fetch is often the only place a post is: dropping it
because it is old would lose the post for good (a rebuild from the raw store would miss it).

Walking a profile's fetches from the newest back, a fetch is dropped when its posts are a
subset of those of the fetches kept after it. The latest fetch holding each post is
therefore always kept (nothing later holds it), and so is each profile's latest fetch. A
``posts`` full refresh from what is kept then rebuilds the same posts, hashtags, profiles,
``hashtag_daily`` and ``posts_wide`` rows (latest wins, by fetch time); what a dropped fetch
alone carried is its own moment: its ``post_metrics`` and ``profile_snapshots`` rows, and
``first_seen_at`` when it was the first fetch to see a post. Those stay in the warehouse,
which retention does not touch.

Never dropped: a fetch still queued for the warehouse (``pending/``) or set aside by it
(``pending/refused/``), a fetch whose answer or pages cannot be read or parsed (what it holds
is unknown), the latest fetch of a profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from intrend_assets.parsing.profile import ProfileParseError, parse_profile
from intrend_assets.raw_store.store import RawObject, RawStore


@dataclass(frozen=True)
class RetentionPolicy:
    """``keep_fetches``: the latest N fetches per profile are kept; ``keep_days``: fetches
    younger than D days are kept. A fetch either keeps is kept; both None keeps everything."""

    keep_fetches: int | None = None
    keep_days: float | None = None

    @property
    def keeps_everything(self) -> bool:
        return self.keep_fetches is None and self.keep_days is None

    def protects(self, index_from_newest: int, fetched_at: datetime, now: datetime) -> bool:
        """Whether the policy itself keeps a fetch (its coverage aside)."""
        if self.keeps_everything or index_from_newest == 0:
            return True
        if self.keep_fetches is not None and index_from_newest < self.keep_fetches:
            return True
        return self.keep_days is not None and fetched_at >= now - timedelta(days=self.keep_days)


@dataclass
class RetentionReport:
    """What a pass dropped (or, in a dry run, would drop)."""

    dry_run: bool
    profiles: int = 0  # profiles looked at
    fetches: int = 0  # fetches looked at
    dropped: int = 0  # fetches dropped (or that would be)
    bytes_freed: int = 0  # their answers' and pages' bytes on disk
    kept_for_posts: int = 0  # old enough to go, kept because only they hold some post
    kept_unreadable: int = 0  # old enough to go, kept because they could not be read
    dropped_keys: list[str] = field(default_factory=list)  # the first ones, for the log


def _post_ids(store: RawStore, obj: RawObject) -> frozenset[str] | None:
    """The ids of the posts a fetch holds (answer and pages), or None when any part of it
    cannot be read or parsed."""
    ids: set[str] = set()
    for key in [obj.key, *store.pages(obj)]:
        try:
            body = store.read(key)
            parsed = parse_profile(body, fetched_at=obj.fetched_at, username=obj.username)
        except (OSError, ProfileParseError):
            return None
        except Exception:  # a parser bug on odd input: what it holds is unknown, keep it
            return None
        ids.update(str(post_id) for post_id in parsed.post_columns["post_id"])
    return frozenset(ids)


def _held(store: RawStore) -> set[str]:
    """Keys of fetches the warehouse has not done with: queued, or set aside."""
    held = {obj.key for obj in store.pending()}
    held.update(str(record["key"]) for record in store.set_aside())
    return held


def droppable(
    store: RawStore,
    objects: list[RawObject],
    policy: RetentionPolicy,
    held: set[str],
    now: datetime,
    report: RetentionReport,
) -> Iterator[RawObject]:
    """The fetches of one profile (``objects`` oldest first) the policy lets go."""
    newest_first = list(reversed(objects))
    candidates = [
        not policy.protects(i, obj.fetched_at, now) and obj.key not in held
        for i, obj in enumerate(newest_first)
    ]
    if not any(candidates):
        return  # nothing old enough: no need to read the profile's fetches
    later: set[str] = set()  # posts held by the later fetches that are kept
    for obj, candidate in zip(newest_first, candidates, strict=True):
        ids = _post_ids(store, obj)
        if candidate and ids is not None and ids <= later:
            yield obj
            continue
        if candidate:
            report.kept_unreadable += ids is None
            report.kept_for_posts += ids is not None
        later |= ids or set()


def apply_retention(
    store: RawStore,
    policy: RetentionPolicy,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    usernames: Iterable[str] | None = None,
) -> RetentionReport:
    """One pass over the store (or ``usernames``): drop what the policy lets go, or with
    ``dry_run`` only count it."""
    report = RetentionReport(dry_run=dry_run)
    if policy.keeps_everything:
        return report
    now = now or datetime.now(UTC)
    if not dry_run:  # a pass visits everything anyway: the moment to sweep the temporary
        # files earlier versions wrote beside the objects (today's are in ``.tmp/``)
        store.blobs.sweep_everywhere()
    held = _held(store)
    for username in usernames if usernames is not None else store.usernames():
        objects = store.objects(username)
        report.profiles += 1
        report.fetches += len(objects)
        for obj in list(droppable(store, objects, policy, held, now, report)):
            report.dropped += 1
            report.bytes_freed += store.size_with_pages(obj)
            if len(report.dropped_keys) < 50:
                report.dropped_keys.append(obj.key)
            if not dry_run:
                store.remove_fetch(obj)
    return report
