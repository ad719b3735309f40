"""A step's metrics are read off its report, and a push never fails the step."""

from __future__ import annotations

from intrend_assets.fetching.metrics import FetchMetrics, LoadMetrics
from intrend_assets.fetching.report import FetchReport, ProfileOutcome
from intrend_assets.lib.metrics_push import MetricsGateway
from intrend_assets.loading.queue import LoadReport
from tests.infra.servers import free_port
from tests.receiver import receiver


def _row(strategy: str, outcome: str, latency_ms: float | None, kind: str = "profile") -> dict:
    return {"endpoint": strategy, "kind": kind, "outcome": outcome, "latency_ms": latency_ms}


def _report() -> FetchReport:
    report = FetchReport(
        log=[
            _row("web_profile_info", "rate_limited", 40),
            _row("web_profile_info", "ok", 120),
            _row("web_profile_info", "ok", 900),
            _row("graphql_doc_id", "ok", 300, kind="timeline"),
            _row("graphql_doc_id", "network_error", None, kind="timeline"),
        ],
        rotations=3,
        unchanged_rotations=1,
        rotation_seconds=4.5,
        bytes_raw=1000,
        bytes_stored=200,
        seconds=12.0,
    )
    report.outcomes = {
        "a": ProfileOutcome("a", "stored", strategy="web_profile_info"),
        "b": ProfileOutcome("b", "private", strategy="web_profile_info"),
        "c": ProfileOutcome("c", "not_found"),
        "d": ProfileOutcome("d", "not_found"),
        "e": ProfileOutcome("e", "stored", strategy="graphql_doc_id", complete=False),
    }
    return report


def test_the_fetch_report_becomes_counters_and_a_latency_histogram() -> None:
    metrics = FetchMetrics()
    metrics.observe(_report())
    value = metrics.registry.get_sample_value
    ok = {"strategy": "web_profile_info", "kind": "profile", "outcome": "ok"}
    assert value("intrend_requests_total", ok) == 2
    limited = {**ok, "outcome": "rate_limited"}
    assert value("intrend_requests_total", limited) == 1
    timeline = {"strategy": "graphql_doc_id", "kind": "timeline", "outcome": "network_error"}
    assert value("intrend_requests_total", timeline) == 1
    latency = {"strategy": "web_profile_info", "outcome": "ok"}
    assert value("intrend_request_duration_seconds_count", latency) == 2
    assert value("intrend_request_duration_seconds_sum", latency) == 1.02
    assert value("intrend_request_duration_seconds_bucket", {**latency, "le": "0.25"}) == 1
    # no answer, no latency: the network error is counted but not timed
    gone = {"strategy": "graphql_doc_id", "outcome": "network_error"}
    assert value("intrend_request_duration_seconds_count", gone) is None
    assert value("intrend_rotations_total", {"result": "changed"}) == 2
    assert value("intrend_rotations_total", {"result": "unchanged"}) == 1
    assert value("intrend_rotation_wait_seconds_total") == 4.5
    assert value("intrend_profiles_stored_total", {"strategy": "web_profile_info"}) == 2
    assert value("intrend_profiles_failed_total", {"reason": "not_found"}) == 2
    assert value("intrend_profiles_failed_total", {"reason": "incomplete"}) == 1
    assert value("intrend_response_bytes_total") == 1000
    assert value("intrend_stored_bytes_total") == 200
    assert value("intrend_step_duration_seconds") == 12.0


def test_a_load_becomes_posts_and_fetches_loaded() -> None:
    metrics = LoadMetrics()
    metrics.observe(fetches=4, posts=48, set_aside=1, seconds=2.5)
    value = metrics.registry.get_sample_value
    assert value("intrend_posts_loaded_total") == 48
    assert value("intrend_fetches_loaded_total") == 4
    assert value("intrend_fetches_set_aside_total") == 1
    assert value("intrend_step_duration_seconds") == 2.5


def test_the_push_is_a_pushadd_to_the_steps_group() -> None:
    warnings: list[str] = []
    with receiver() as gateway:
        assert MetricsGateway(gateway.url).push_fetch(_report(), warnings.append)
        load = LoadReport(fetches=2, posts=7)
        assert MetricsGateway(gateway.url).push_load(load, 1.0, warnings.append)
    assert warnings == []
    (fetch_method, fetch_path, fetch_body), (_, load_path, load_body) = gateway.requests
    assert (fetch_method, fetch_path) == ("POST", "/metrics/job/intrend/step/raw_profile")
    assert load_path == "/metrics/job/intrend/step/posts"
    assert b"intrend_requests_total{" in fetch_body and b"intrend_posts_loaded" not in fetch_body
    assert b"intrend_posts_loaded_total 7.0" in load_body


def test_a_refused_or_unreachable_push_is_a_warning_not_a_failure() -> None:
    warnings: list[str] = []
    with receiver(status=400) as gateway:
        assert not MetricsGateway(gateway.url).push_fetch(_report(), warnings.append)
    assert not MetricsGateway(f"http://127.0.0.1:{free_port()}").push_fetch(
        _report(), warnings.append
    )
    assert len(warnings) == 2 and all("metrics not pushed" in w for w in warnings)


def test_without_a_url_nothing_is_built_or_sent() -> None:
    warnings: list[str] = []
    assert not MetricsGateway(None).push_fetch(_report(), warnings.append)
    assert warnings == []
