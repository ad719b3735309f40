"""Plain Dagster tools work from the project root on a fresh clone: ``dagster definitions
validate``, ``dg check defs`` and ``dg list defs``, with DAGSTER_HOME unset (Dagster's
temporary instance, which reads the root dagster.yaml) and set to an empty folder.

They once crashed without DAGSTER_HOME: the root dagster.yaml named storages that need
``dagster_home: env: DAGSTER_HOME``. The environment is built from scratch: no INTREND_*
(the defaults point at Instagram; loading definitions makes no request), and proxies,
telemetry and the code location's URLs all point at a closed loopback port, so a request
would fail rather than leave the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from intrend_assets.lib.instance import project_dir

pytestmark = pytest.mark.slow

ROOT = project_dir(Path(__file__).parent)
BIN = Path(sys.executable).parent
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens on it

COMMANDS = {
    "dagster definitions validate": [str(BIN / "dagster"), "definitions", "validate"],
    "dg check defs": [str(BIN / "dg"), "check", "defs"],
    "dg list defs": [str(BIN / "dg"), "list", "defs"],
}


def _offline_env(dagster_home: Path | None) -> dict[str, str]:
    env = {
        "PATH": f"{BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "VIRTUAL_ENV": str(BIN.parent),  # as an activated .venv: dg checks it is the project's
        "HTTP_PROXY": NOWHERE,
        "HTTPS_PROXY": NOWHERE,
        "http_proxy": NOWHERE,
        "https_proxy": NOWHERE,
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "DAGSTER_TELEMETRY_URL": NOWHERE,
        "INTREND_MODEM_URL": NOWHERE,
    }
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


@pytest.mark.parametrize("home", ["unset", "empty"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_dagster_tool_works_from_the_project_root(command: str, home: str, tmp_path: Path) -> None:
    dagster_home = tmp_path / "home" if home == "empty" else None
    if dagster_home is not None:
        dagster_home.mkdir()
    result = subprocess.run(
        COMMANDS[command],
        cwd=ROOT,
        env=_offline_env(dagster_home),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    if command == "dg list defs":
        assert "raw_profile" in output and "profiles_job" in output, output[-3000:]
    else:
        assert "successfully" in output or "passed validation" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
