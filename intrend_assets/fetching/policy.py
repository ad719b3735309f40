"""How a fetch run behaves: concurrency, retries, pacing, paging (one value, built from the
settings by :meth:`intrend_assets.settings.IntrendSettings.fetch_policy`).

The fields that are deployment settings have no defaults here: their defaults live in the
settings alone. The others are the rate-limit experiments' knobs, off in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PacingKind = Literal["none", "fixed", "jittered"]
Ordering = Literal["as_given", "shuffled"]
# together: a worker pages a profile's timeline right after its lookup, page after page;
# interleaved: page requests take turns across the profiles being paged (round robin, one
# page in flight at a time), so one profile's pages are spread among the others'.
Paging = Literal["together", "interleaved"]
PROFILE_POSTS = 12  # posts a profile answer carries; only more than that needs paging


@dataclass(frozen=True)
class FetchPolicy:
    concurrency: int
    max_attempts: int  # per request, for upstream/network errors
    max_rate_limited: int  # per request, rate-limit answers before giving up
    backoff_seconds: float
    pacing: PacingKind
    pacing_seconds: float
    max_posts: int  # more than PROFILE_POSTS pages the timeline
    fast_update: bool
    # A profile's first fetch (fast update on, no mark yet) pages on until its posts reach this
    # many days back, in at most ``first_fetch_max_pages`` pages; 0 days: only ``max_posts``.
    first_fetch_days: float
    first_fetch_max_pages: int
    session_pacing_seconds: float  # between two logged-in requests (jittered ±50%)
    bench_seconds: float  # a strategy limited on two fresh IPs in a row rests this long
    max_backoff_seconds: float = 30.0
    ordering: Ordering = "as_given"
    paging: Paging = "together"
    rotate: bool = True  # False: the "no rotation" baseline of the experiments
    pacing_name: str = "default"  # the pacing under test (rate-limit experiments)
    # A rate limit that a pause this long may clear (a burst rule) is paused for once before
    # rotating, when rotations have cost more (:mod:`.burst`); 0 = always rotate.
    burst_pause_seconds: float = 12.0
