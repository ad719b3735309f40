"""``python -m modem_service``: --help documents every setting; a file log by default."""

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from modem_service.__main__ import default_database_url, main
from modem_service.settings import Settings
from tests.modem_service.conftest import free_port


def _service(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m modem_service`` with only ``env`` (and PATH), expected to stop at once."""
    return subprocess.run(
        [sys.executable, "-m", "modem_service", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


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
    # the library default stays throwaway
    assert Settings(backend="simulated").database_url.endswith(":memory:")


def test_log_never_lands_in_the_working_directory(tmp_path: Path) -> None:
    """Without systemd's STATE_DIRECTORY the log goes to the user's state directory."""
    cwd = tmp_path / "repo"
    cwd.mkdir()
    home = tmp_path / "home"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    with contextlib.chdir(cwd):
        url = default_database_url(env)
    assert url == f"sqlite+pysqlite:///{home}/.local/state/modem-service/iplog.sqlite3"
    assert (home / ".local/state/modem-service").is_dir()
    xdg = default_database_url({**env, "XDG_STATE_HOME": str(tmp_path / "xdg")})
    assert xdg == f"sqlite+pysqlite:///{tmp_path}/xdg/modem-service/iplog.sqlite3"
    chosen = default_database_url(env, state_dir=tmp_path / "chosen")
    assert chosen == f"sqlite+pysqlite:///{tmp_path}/chosen/iplog.sqlite3"
    assert list(cwd.iterdir()) == []


def test_a_served_log_leaves_the_working_directory_alone(tmp_path: Path) -> None:
    """Started from the repository root, the service writes its log elsewhere."""
    cwd, state = tmp_path / "repo", tmp_path / "state"
    cwd.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "MODEM_BACKEND": "simulated",
        "MODEM_TOKEN": "t",
        "MODEM_STATE_DIR": str(state),
        "MODEM_IP_CHECK_SECONDS": "0",
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    port = free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "modem_service", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            deadline = time.monotonic() + 30
            while not (state / "iplog.sqlite3").exists() and time.monotonic() < deadline:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(10)
    assert (state / "iplog.sqlite3").exists()
    assert list(cwd.iterdir()) == []


def test_backend_must_be_chosen() -> None:
    """A box started without MODEM_BACKEND must not hand out simulated IPs."""
    done = _service({"MODEM_TOKEN": "t"})
    assert done.returncode == 2
    assert done.stderr == (
        "modem-service: MODEM_BACKEND is not set: expected one of mmcli, hilink, simulated\n"
    )
    with pytest.raises(ValidationError):
        Settings(token="t")


def test_refuses_to_start_without_token() -> None:
    done = _service({"MODEM_BACKEND": "simulated"}, "--host", "0.0.0.0", "--port", "1")
    assert done.returncode == 2 and "MODEM_TOKEN is not set" in done.stderr


def test_bad_backend_is_one_line_naming_the_variable() -> None:
    done = _service({"MODEM_BACKEND": "foo", "MODEM_TOKEN": "t"})
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


def test_the_60_s_bound_is_for_the_modem_service_tests_only() -> None:
    """The folder's collection hook sees every test of the session; e2e keeps its 300 s."""
    from tests.modem_service import conftest

    class Item:
        def __init__(self, path: Path) -> None:
            self.path = path
            self.markers: list[object] = []

        def get_closest_marker(self, name: str) -> None:
            return None

        def add_marker(self, marker: object) -> None:
            self.markers.append(marker)

    inside = Item(conftest.HERE / "test_x.py")
    outside = Item(conftest.HERE.parent / "e2e" / "test_y.py")
    conftest.pytest_collection_modifyitems([inside, outside])  # type: ignore[list-item]
    assert len(inside.markers) == 1 and outside.markers == []
