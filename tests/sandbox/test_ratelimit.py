"""The limiter and the refusal dice on a hand-driven clock, without servers."""

from __future__ import annotations

from sandbox.clock import SandboxClock
from sandbox.ratelimit import RefusalPicker, RequestStats, SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


def test_budget_then_refusal_then_sliding_recovery() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(budget=3, window=60.0, clock=clock)
    assert [limiter.hit("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("b")  # budgets are per IP
    clock.t += 30
    assert not limiter.hit("a")  # refusals do not extend or consume the window
    clock.t += 30.001
    assert limiter.hit("a")  # the first three have aged out
    assert limiter.remaining("a") == 2


def test_reset_clears_every_ip() -> None:
    limiter = SlidingWindowLimiter(budget=1, window=60.0, clock=FakeClock())
    assert limiter.hit("a") and not limiter.hit("a")
    limiter.reset()
    assert limiter.hit("a")


def test_refusal_mix_follows_share_and_is_reproducible() -> None:
    def statuses(seed: int) -> list[int]:
        picker = RefusalPicker(seed=seed, share_429=0.2)
        return [picker.status_for(f"10.0.0.{i % 7}") for i in range(2000)]

    first = statuses(1)
    assert first == statuses(1)
    assert set(first) == {401, 429}
    assert 0.15 < first.count(429) / len(first) < 0.25
    assert set(RefusalPicker(1, 0.0).status_for("x") for _ in range(50)) == {401}
    assert set(RefusalPicker(1, 1.0).status_for("x") for _ in range(50)) == {429}


def test_stats_snapshot_counts_per_ip() -> None:
    stats = RequestStats()
    for status in (200, 200, 401, 429, 404):
        stats.record("1.2.3.4", status, "profile")
    stats.record("5.6.7.8", 200, "page")
    snap = stats.snapshot()
    assert snap["ips"]["1.2.3.4"] == {
        "ok": 2, "401": 1, "429": 1, "404": 1, "400": 0, "total": 5, "profile": 5, "page": 0
    }  # fmt: skip
    assert snap["total"]["total"] == 6 and snap["total"]["page"] == 1


def test_stats_count_each_strategy_under_its_label() -> None:
    stats = RequestStats()
    stats.record("1.2.3.4", 200, "profile", "embedded_page")
    stats.record("1.2.3.4", 400, "profile", "web_profile_info")
    stats.record("5.6.7.8", 200, "page", "graphql_doc_id")
    stats.record("5.6.7.8", 200, "stale_doc_id", "graphql_doc_id")
    snap = stats.snapshot()
    assert snap["ips"]["1.2.3.4"]["embedded_page"] == 1 and snap["ips"]["1.2.3.4"]["profile"] == 2
    assert "page:graphql_doc_id" not in snap["ips"]["1.2.3.4"]  # only the labels an IP used
    total = snap["total"]
    assert total["page:graphql_doc_id"] == 1 and total["stale_doc_id:graphql_doc_id"] == 1
    assert total["page"] == 1 and total["profile"] == 2 and total["total"] == 4


def test_clock_runs_at_speed_and_jumps_forward() -> None:
    real = FakeClock()
    clock = SandboxClock(anchor_ts=5_000.0, speed=60.0, monotonic=real)
    assert clock.now() == 5_000.0
    real.t += 2
    assert clock.now() == 5_120.0
    assert clock.advance(100) == 5_220.0
    assert clock.to_real(120) == 2.0
