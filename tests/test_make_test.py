"""`make test` says what it will install and create outside the project before doing it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sandbox.postgres import PG_USER
from sandbox.rabbitmq import RABBITMQ_SERVER

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "announce-test-setup"


def _announce(**env: str) -> list[str]:
    done = subprocess.run(
        [str(SCRIPT)],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.splitlines()


def test_root_is_told_about_the_installs_and_the_system_user(tmp_path: Path) -> None:
    lines = _announce(
        INTREND_UID="0",
        INTREND_CHROMIUM=str(tmp_path / "no-chromium"),
        INTREND_PUSHGATEWAY=str(tmp_path / "no-pushgateway"),
        INTREND_RABBITMQ_SERVER=str(tmp_path / "no-rabbitmq-server"),
        INTREND_PG_USER="intrend-no-such-user",
    )
    assert len(lines) == 4
    assert "apt-get" in lines[0] and "chromium-driver" in lines[0]
    assert "apt-get" in lines[1] and "prometheus-pushgateway" in lines[1]
    assert "apt-get" in lines[2] and "rabbitmq-server" in lines[2]
    assert "intrend-no-such-user" in lines[3] and "useradd" in lines[3]


def test_nothing_to_say_when_nothing_will_change(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    present = {
        name: str(browser)
        for name in (
            "INTREND_CHROMIUM",
            "INTREND_CHROMEDRIVER",
            "INTREND_PROMETHEUS",
            "INTREND_PROMTOOL",
            "INTREND_PUSHGATEWAY",
            "INTREND_RABBITMQ_SERVER",
        )
    }
    assert _announce(INTREND_UID="0", INTREND_PG_USER="root", **present) == []
    # not root: neither happens (ensure-chromium and the PostgreSQL test only advise)
    assert _announce(INTREND_UID="1000", INTREND_CHROMIUM="/nonexistent") == []


def test_the_names_are_those_the_installers_use() -> None:
    script = SCRIPT.read_text()
    assert f"INTREND_PG_USER:-{PG_USER}" in script
    ensure = (ROOT / "scripts" / "ensure-chromium").read_text()
    for path in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        assert path in script and path in ensure
    makefile = (ROOT / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    steps = [line.strip() for line in test_recipe.splitlines()[1:]]
    assert steps[0].startswith("@scripts/announce-test-setup")
    assert any(s.startswith("-scripts/ensure-chromium") for s in steps[1:])
    assert any(s.startswith("-scripts/ensure-prometheus") for s in steps[1:])
    assert any(s.startswith("-scripts/ensure-rabbitmq") for s in steps[1:])
    prometheus = (ROOT / "scripts" / "ensure-prometheus").read_text()
    for path in ("/usr/bin/prometheus", "/usr/bin/promtool", "/usr/bin/prometheus-pushgateway"):
        assert path in script and path in prometheus
    rabbitmq = (ROOT / "scripts" / "ensure-rabbitmq").read_text()
    assert f"INTREND_RABBITMQ_SERVER:-{RABBITMQ_SERVER}" in script
    assert f"RABBITMQ_SERVER={RABBITMQ_SERVER}\n" in rabbitmq
