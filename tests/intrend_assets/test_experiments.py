from datetime import UTC, datetime, timedelta

from intrend_assets.fetching.experiments import PACINGS, requests_before_limit, summarize
from intrend_assets.fetching.policy import PROFILE_POSTS
from intrend_assets.fetching.report import FetchReport
from tests import defaults

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def entry(i: int, ip: str, rotation: int, outcome: str) -> dict[str, object]:
    return {
        "requested_at": T0 + timedelta(seconds=i),
        "egress_ip": ip,
        "rotation": rotation,
        "outcome": outcome,
    }


def test_requests_before_limit_counts_each_limited_stint() -> None:
    log = [entry(i, "a", 0, "ok") for i in range(5)] + [entry(5, "a", 0, "rate_limited")]
    log += [entry(6 + i, "b", 1, "ok") for i in range(3)] + [entry(9, "b", 1, "rate_limited")]
    log += [entry(10, "c", 2, "ok")]  # never limited: censored, left out
    assert sorted(requests_before_limit(log)) == [3, 5]


def test_pacings_build_policies_and_summaries() -> None:
    base = defaults.policy()
    policy = PACINGS["fixed-sleep-no-rotation"].policy(base, 0.5)
    assert policy.pacing == "fixed" and policy.pacing_seconds == 0.5 and not policy.rotate
    assert PACINGS["no-sleep"].policy(base, 0.5).pacing_seconds == 0.0
    row = summarize(PACINGS["no-sleep"], FetchReport(seconds=0.0), 10)
    assert row["strategy"] == "no-sleep" and row["profiles_per_hour"] is None


def test_lookups_before_limit_leave_pages_out() -> None:
    log = [{**entry(i, "a", 0, "ok"), "kind": "profile" if i % 2 else "page"} for i in range(6)]
    log.append({**entry(6, "a", 0, "rate_limited"), "kind": "profile"})
    assert requests_before_limit(log) == [6]
    assert requests_before_limit(log, kind="profile") == [3]


def test_paging_pacings_page_and_the_row_keeps_its_run() -> None:
    base = defaults.policy()
    together = PACINGS["pages-together"].policy(base, 0.5)
    interleaved = PACINGS["pages-interleaved"].policy(base, 0.5)
    assert together.paging == "together" and interleaved.paging == "interleaved"
    assert together.max_posts == interleaved.max_posts > PROFILE_POSTS
    assert not together.fast_update  # every run pages the same posts
    assert PACINGS["no-sleep"].policy(base, 0.5).max_posts == PROFILE_POSTS
    row = summarize(PACINGS["pages-interleaved"], FetchReport(), 3, run_id="r1", run_date=T0.date())
    assert (row["run_id"], row["run_date"], row["paging"]) == ("r1", T0.date(), "interleaved")
