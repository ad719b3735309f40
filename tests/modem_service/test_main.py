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


def test_bad_backend_is_one_line_naming_the_variable() -> None:
    env = {"PATH": "/usr/bin:/bin", "MODEM_BACKEND": "foo", "MODEM_TOKEN": "t"}
    done = subprocess.run(
        [sys.executable, "-m", "modem_service"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "modem-service: MODEM_BACKEND='foo': expected one of mmcli, hilink, simulated\n"
    )


def test_bad_values_are_explained_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODEM_COOLDOWN_SECONDS", "-1")
    monkeypatch.setenv("MODEM_SIM_RANGES", "banana")
    with pytest.raises(SystemExit) as stop:
        main([])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "MODEM_COOLDOWN_SECONDS='-1': expected greater than or equal to 0" in err
    assert "MODEM_SIM_RANGES='banana': bad carrier range 'banana'" in err


def test_bad_log_level_is_an_argparse_one_liner(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--log-level", "foo"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "argument --log-level: invalid choice: 'foo'" in err and "Traceback" not in err


def test_log_level_from_the_environment_is_checked_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODEM_LOG_LEVEL", "loud")
    with pytest.raises(SystemExit):
        main([])
    assert "MODEM_LOG_LEVEL='loud': expected one of critical, error" in capsys.readouterr().err
