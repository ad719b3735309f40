"""The pipeline's metrics, for real: Debian's Prometheus and Pushgateway, the sandbox, PromQL.

A small pipeline runs on the sandbox with ``INTREND_PUSHGATEWAY_URL`` set; Prometheus scrapes
the Pushgateway and the sandbox's modem service (with its bearer token, through the
deployment's scrape job); every query of the Grafana dashboard must then return data, and
``promtool check metrics`` must pass on both exporters. Fails (never skips) without the
binaries: ``make test`` installs them (scripts/ensure-prometheus).
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import pytest
import yaml

from intrend_assets.fetching.metrics import REFUSALS
from intrend_assets.raw_store.store import LocalRawStore
from sandbox.pipeline import Stage, run_pipeline, sandbox_resources
from sandbox.prometheus import (
    check_metrics,
    get,
    query,
    running_prometheus,
    running_pushgateway,
    targets,
)
from sandbox.world import SandboxConfig, start_sandbox
from tests.infra.servers import REPO_ROOT

pytestmark = pytest.mark.slow

DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "intrend.json"
DATASOURCES = REPO_ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "intrend.yaml"
SCRAPE_CONFIG = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
# The deployment's job (deploy/prometheus/prometheus.yml) when that file is there; the same
# shape otherwise.
MODEM_JOB: dict[str, Any] = {
    "job_name": "modem-service",
    "metrics_path": "/metrics",
    "scheme": "http",
    "authorization": {"type": "Bearer", "credentials_file": "/etc/prometheus/modem-token"},
    "static_configs": [{"targets": ["127.0.0.1:8000"], "labels": {"service": "modem-service"}}],
}
PROFILES = 30
QUERY_DEADLINE = 20.0  # seconds for every dashboard query to have data after the run


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]


def _modem_job(modem_url: str) -> dict[str, Any]:
    job = MODEM_JOB
    if SCRAPE_CONFIG.exists():
        jobs = yaml.safe_load(SCRAPE_CONFIG.read_text())["scrape_configs"]
        job = next(j for j in jobs if j["job_name"] == "modem-service")
    job = copy.deepcopy(job)
    job["authorization"]["credentials_file"] = "{dir}/modem-token"
    for static in job["static_configs"]:
        static["targets"] = [urlsplit(modem_url).netloc]
    return {**job, "scrape_interval": "1s"}


def _config(pushgateway_url: str, modem_url: str) -> dict[str, Any]:
    pushgateway = {
        "job_name": "pushgateway",
        "honor_labels": True,  # keep the pushed job="intrend" and step labels
        "scrape_interval": "1s",
        "static_configs": [{"targets": [urlsplit(pushgateway_url).netloc]}],
    }
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [pushgateway, _modem_job(modem_url)],
    }


def _wait_for_data(prometheus: str, queries: list[tuple[str, str]]) -> dict[str, list]:
    """Every query's result once all have data (or whatever they have at the deadline)."""
    deadline = time.monotonic() + QUERY_DEADLINE
    while True:
        results = {expr: query(prometheus, expr) for _, expr in queries}
        if all(results.values()) or time.monotonic() > deadline:
            return results
        time.sleep(0.5)


def _wait_for_scrape(prometheus: str, expr: str, above: float = -1.0) -> None:
    """Wait (bounded) until ``expr`` has a sample summing above ``above``: ``increase()`` of
    a counter needs a sample from before the run, and one from after it, to see the run."""
    deadline = time.monotonic() + QUERY_DEADLINE
    while time.monotonic() < deadline:
        result = query(prometheus, expr)
        if result and sum(float(r["value"][1]) for r in result) > above:
            return
        time.sleep(0.5)


def _value(results: dict[str, list], expr_part: str) -> float:
    (expr,) = [e for e in results if e.startswith(expr_part)]
    return sum(float(r["value"][1]) for r in results[expr])


def test_every_dashboard_query_has_data_after_a_pipeline_run(tmp_path: Path) -> None:
    started = time.monotonic()
    queries = dashboard_queries()
    # budget 10: IPs run out within the run, so the modem rotates and requests are refused
    cfg = SandboxConfig(profiles=PROFILES, seed=5, budget=10, speed=30.0)
    with (
        running_pushgateway() as pushgateway,
        start_sandbox(cfg) as world,
        running_prometheus(
            _config(pushgateway, world.modem_url), {"modem-token": world.modem_token}
        ) as prometheus,
        dg.instance_for_test() as instance,
    ):
        usernames = world.public_usernames()[:PROFILES] + world.unknown_usernames()[:2]
        instance.add_dynamic_partitions("profiles", usernames)
        _, resources = sandbox_resources(world.intrend_env(tmp_path), pushgateway_url=pushgateway)
        _wait_for_scrape(prometheus, "modem_rotations_total")  # the counter before the run
        (run,) = run_pipeline(resources, instance, stages=[Stage(("raw_profile", "posts"))])
        assert run.success
        _wait_for_scrape(prometheus, "sum(modem_rotations_total)", above=0)  # and after it
        results = _wait_for_data(prometheus, queries)
        up = {t["labels"]["job"]: t["health"] for t in targets(prometheus)}
        modem_text = get(
            f"{world.modem_url}/metrics", {"Authorization": f"Bearer {world.modem_token}"}
        )
        pushed_text = get(f"{pushgateway}/metrics")

    assert up == {"pushgateway": "up", "modem-service": "up"}
    empty = [(title, expr) for title, expr in queries if not results[expr]]
    assert empty == [], "dashboard queries without data"
    store = LocalRawStore(tmp_path / "raw")
    assert _value(results, "sum(intrend_profiles_stored_total") == len(list(store.usernames()))
    failed = _value(results, "sum by (reason) (intrend_profiles_failed_total")
    assert failed == len(list(store.failures())) >= 2  # the unknown names at least
    assert _value(results, "sum by (result) (increase(modem_rotations_total") > 0
    assert _value(results, "(sum(intrend_requests_total") > 0  # refusals were seen
    assert _value(results, 'sum(intrend_posts_loaded_total{job="intrend"})') > 0
    for name, text in (("modem service", modem_text), ("pushgateway", pushed_text)):
        done = check_metrics(text)
        assert done.returncode == 0, f"promtool check metrics on the {name}: {done.stdout}"
    assert time.monotonic() - started < 120  # the figure is 60 s; this is the bound


def test_the_dashboard_reads_the_provisioned_datasource() -> None:
    uid = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]["uid"]
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], panel["title"]
        assert all(t["datasource"]["uid"] == uid for t in panel["targets"]), panel["title"]
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for wanted in ("fetch rate", "refusal share", "rotations per hour", "time per rotation"):
        assert wanted in titles
    assert "stored vs failed" in titles
    (refusals,) = [e for t, e in dashboard_queries() if t.startswith("Refusal share")]
    assert f'outcome=~"{"|".join(REFUSALS)}"' in refusals  # the outcomes metrics.py names
