"""The rate-limit experiments of the field notes, as data and pure summaries.

Questions: how many requests can be made with no sleep before being limited; whether a short
fixed or a randomised sleep helps; whether rotating beats waiting the limit out; whether
paging one profile's posts together beats interleaving pages across profiles. Each way of
pacing the requests is a :class:`Pacing`; the fetch strategies (with their fallback order)
and the logged-in session are production's, as configured.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from intrend_assets.fetching.access import InstagramAccess
from intrend_assets.fetching.fetcher import fetch_profiles
from intrend_assets.fetching.modem_client import ModemEndpoint
from intrend_assets.fetching.policy import FetchPolicy
from intrend_assets.fetching.report import FetchReport
from intrend_assets.fetching.rotation import RotationGate
from intrend_assets.raw_store.store import LocalRawStore

PAGED_POSTS = 48  # the paging pacings: the profile answer's 12 posts and 3 pages more


@dataclass(frozen=True)
class Pacing:
    name: str
    pacing: str = "none"
    ordering: str = "as_given"
    rotate: bool = True
    paging: str = "together"
    # Profile lookups are what Instagram limits, so most pacings fetch the profile answer only;
    # the paging pacings page further, so that where the pages go can make a difference.
    max_posts: int = 12

    def policy(self, base: FetchPolicy, pacing_seconds: float) -> FetchPolicy:
        return replace(
            base,
            pacing=self.pacing,  # type: ignore[arg-type]
            pacing_seconds=pacing_seconds if self.pacing != "none" else 0.0,
            ordering=self.ordering,  # type: ignore[arg-type]
            rotate=self.rotate,
            paging=self.paging,  # type: ignore[arg-type]
            pacing_name=f"experiment:{self.name}",
            max_posts=self.max_posts,
            fast_update=False,  # every run pages the same posts, whatever earlier runs stored
            # The burst guard paces by itself: left on, it would make every pacing look alike
            # and hide what the experiment measures (how each pacing meets the limits).
            burst_pause_seconds=0.0,
        )


PACINGS: dict[str, Pacing] = {
    s.name: s
    for s in (
        Pacing("no-sleep"),
        Pacing("fixed-sleep", pacing="fixed"),
        Pacing("jittered-sleep", pacing="jittered"),
        Pacing("shuffled", ordering="shuffled"),
        Pacing("fixed-sleep-no-rotation", pacing="fixed", rotate=False),
        Pacing("pages-together", max_posts=PAGED_POSTS),
        Pacing("pages-interleaved", paging="interleaved", max_posts=PAGED_POSTS),
    )
}


def requests_before_limit(log: list[dict[str, object]], kind: str | None = None) -> list[int]:
    """For each IP stint (egress IP between rotations) that hit the limit: requests before it.

    With ``kind`` (``"profile"``), only requests of that kind count, the limit included: the
    burst rule counts lookups, and pages between them would blur the comparison."""
    stints: dict[tuple[object, object], list[str]] = {}
    entries = [e for e in log if kind is None or e.get("kind") == kind]
    for entry in sorted(entries, key=lambda e: e["requested_at"]):  # type: ignore[arg-type, return-value]
        stints.setdefault((entry["egress_ip"], entry["rotation"]), []).append(str(entry["outcome"]))
    counts = []
    for outcomes in stints.values():
        if "rate_limited" in outcomes:
            counts.append(outcomes.index("rate_limited"))
    return counts


def summarize(
    pacing: Pacing,
    report: FetchReport,
    sample: int,
    *,
    run_id: str = "",
    run_date: date | None = None,
) -> dict[str, object]:
    """One row of the comparison table: one pacing in one run."""
    before = requests_before_limit(report.log)
    lookups_before = requests_before_limit(report.log, kind="profile")
    hours = report.seconds / 3600 if report.seconds else 0.0
    return {
        "run_id": run_id,
        "run_date": run_date or datetime.now(UTC).date(),
        "strategy": pacing.name,  # the table's column: the pacing compared
        "pacing": pacing.pacing,
        "ordering": pacing.ordering,
        "paging": pacing.paging,
        "rotate": pacing.rotate,
        "profiles": sample,
        "stored": report.stored,
        "failed": report.failed,
        "requests": len(report.log),
        "page_requests": sum(1 for e in report.log if e.get("kind") == "page"),
        "rate_limited": sum(1 for e in report.log if e["outcome"] == "rate_limited"),
        "rotations": report.rotations,
        "median_requests_before_limit": statistics.median(before) if before else None,
        "median_lookups_before_limit": (
            statistics.median(lookups_before) if lookups_before else None
        ),
        "seconds": round(report.seconds, 3),
        "profiles_per_hour": round(report.stored / hours, 1) if hours else None,
    }


async def run_pacing(
    pacing: Pacing,
    sample: Sequence[str],
    instagram: InstagramAccess,
    modem: ModemEndpoint,
    root: Path,
    *,
    pacing_seconds: float,
    run_id: str,
    stop_after: float,
) -> FetchReport:
    """One pacing over ``sample``, from a fresh IP so that pacings start equal, into a
    throwaway raw store at ``root`` (the experiment measures requests, not content). The
    session, when one is configured, shares the anonymous pool as in production."""
    client = instagram.open_client()
    session_client = instagram.open_session_client(pool_of=client)
    modem_client = modem.open_client()
    try:
        await modem_client.rotate()
        gate = RotationGate(modem_client.rotate, current_ip=await modem_client.current_ip())
        return await fetch_profiles(
            sample,
            instagram.bind(client, session_client),
            gate,
            LocalRawStore(root),
            pacing.policy(instagram.policy, pacing_seconds),
            run_id=run_id,
            stop_after=stop_after,
        )
    finally:
        await client.aclose()
        if session_client is not None:
            await session_client.aclose()
        await modem_client.aclose()
