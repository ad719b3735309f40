"""deploy/prometheus/prometheus.yml scrapes the token-protected /metrics correctly.

The structure is checked always; ``promtool check config`` (Debian's ``prometheus``
package, or ``$PROMTOOL``) runs too where it is installed, and ``promtool check metrics``
on a real scrape of the service.
"""

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from modem_service import Settings, create_app
from tests.modem_service.conftest import AUTH, TOKEN, running, simulated

CONFIG = Path(__file__).parents[2] / "deploy" / "prometheus" / "prometheus.yml"
PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed")


def _job() -> dict[str, Any]:
    config = yaml.safe_load(CONFIG.read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "modem-service"]
    return job


def _scrape(path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async def scenario() -> tuple[int, str]:
        settings = Settings(backend="simulated", token=TOKEN, ip_check_seconds=0)
        async with running(create_app(settings, backend=simulated())) as client:
            answer = await client.get(path, headers=headers)
            return answer.status_code, answer.text

    return asyncio.run(scenario())


def test_the_job_sends_the_token_from_a_file_to_the_protected_path() -> None:
    job = _job()
    assert job["authorization"]["type"] == "Bearer"
    assert job["authorization"]["credentials_file"].startswith("/")
    assert "credentials" not in job["authorization"] and "bearer_token" not in job
    assert job.get("scheme", "http") == "http"
    path = job.get("metrics_path", "/metrics")
    assert _scrape(path)[0] == 401  # without the token the scrape would fail
    status, text = _scrape(path, AUTH)
    assert status == 200 and "modem_rotations_total" in text
    ports = {t.rsplit(":", 1)[1] for s in job["static_configs"] for t in s["targets"]}
    assert ports == {str(Settings.model_fields["port"].default)}


@needs_promtool
def test_promtool_accepts_the_config(tmp_path: Path) -> None:
    token_file = tmp_path / "modem-token"
    token_file.write_text(TOKEN)
    text = CONFIG.read_text().replace("/etc/prometheus/modem-token", str(token_file))
    config = tmp_path / "prometheus.yml"
    config.write_text(text)
    done = subprocess.run(
        [str(PROMTOOL), "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_accepts_the_metrics() -> None:
    status, text = _scrape("/metrics", AUTH)
    assert status == 200
    done = subprocess.run(
        [str(PROMTOOL), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
