"""``python -m modem_service``: --help documents every setting; a file log by default."""

import subprocess
import sys

import pytest

from modem_service.__main__ import default_database_url, main
from modem_service.settings import Settings


def test_help_lists_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for name in Settings.model_fields:
        assert f"MODEM_{name.upper()}" in text


def test_production_log_is_a_sqlite_file() -> None:
    url = default_database_url({"STATE_DIRECTORY": "/var/lib/modem-service"})
    assert url == "sqlite+pysqlite:////var/lib/modem-service/iplog.sqlite3"
    assert Settings().database_url.endswith(":memory:")  # the library default stays throwaway


def test_refuses_to_start_without_token() -> None:
    env = {"PATH": "/usr/bin:/bin", "MODEM_BACKEND": "simulated"}
    done = subprocess.run(
        [sys.executable, "-m", "modem_service", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "MODEM_TOKEN is not set" in done.stderr
