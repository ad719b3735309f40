"""`intrend`'s command line: options are checked before anything starts."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.__main__ import main as sandbox_main
from sandbox.commands import build_parser, main


def test_demo_login_wall_option() -> None:
    args = build_parser().parse_args(
        ["demo", "--login-wall", "embedded_page=0.5", "--login-wall", "graphql_doc_id=1"]
    )
    assert args.login_wall == [("embedded_page", 0.5), ("graphql_doc_id", 1.0)]
    assert build_parser().parse_args(["demo"]).login_wall is None  # the default is applied later


@pytest.mark.parametrize("bad", ["nope=0.5", "web_profile_info=2", "web_profile_info=half"])
def test_demo_refuses_a_bad_login_wall(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["demo", "--login-wall", bad])
    assert info.value.code == 2
    assert "--login-wall" in capsys.readouterr().err


def test_demo_reports_a_failed_warning_check_as_a_warning_not_a_failure() -> None:
    """The demo printed "FAILED" when only the warning-severity strategy check fired."""
    import dagster as dg

    from sandbox.pipeline import describe_checks

    def evaluation(name: str, passed: bool, severity: dg.AssetCheckSeverity):
        return dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey("fetch_log"), check_name=name, passed=passed, severity=severity
        )

    ok = evaluation("unique", True, dg.AssetCheckSeverity.ERROR)
    doors = evaluation("strategy_doors_open", False, dg.AssetCheckSeverity.WARN)
    broken = evaluation("owner_known", False, dg.AssetCheckSeverity.ERROR)
    assert describe_checks([ok]) == "all 1 passed"
    assert describe_checks([ok, doors]) == "warning from strategy_doors_open"
    assert describe_checks([ok, doors, broken]) == (
        "FAILED owner_known; warning from strategy_doors_open"
    )


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["demo", "--profiles", "0"], "--profiles"),
        (["demo", "--profiles", "-5"], "--profiles"),
        (["dev", "--profiles", "0"], "--profiles"),
        (["demo", "--speed", "0"], "--speed"),
        (["demo", "--speed", "-1"], "--speed"),
        (["demo", "--budget", "0"], "--budget"),
        (["demo", "--top", "0"], "--top"),
        (["dev", "--port", "70000"], "--port"),
        (["serve", "--port", "0"], "--port"),
    ],
)
def test_bad_numbers_stop_with_a_line_naming_the_option(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``intrend demo --profiles 0`` once started the sandbox and failed in pydantic."""
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    (error,) = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert f"argument {option}: expected" in error


def test_sandbox_refuses_bad_carrier_ranges_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It printed pydantic's multi-line ValidationError with a traceback."""
    with pytest.raises(SystemExit) as info:
        sandbox_main(["--carrier-ranges", "banana"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("intrend-sandbox: error: --carrier-ranges:")
    assert "banana" in err


def test_dev_refuses_a_port_in_use_before_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            main(["dev", "--port", str(port)])
    message = str(info.value)
    assert message.startswith(f"intrend dev: cannot listen on 127.0.0.1:{port}")
    assert "\n" not in message and "--port" in message


def test_the_production_command_line_never_imports_the_sandbox() -> None:
    code = (
        "import sys, intrend_assets.cli as c; c.build_parser().parse_args(['serve']);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_intrend_has_demo_dev_and_serve() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve", "--port", "3100"]).port == 3100
    assert parser.parse_args(["dev"]).port == 3000
    assert parser.parse_args(["demo"]).profiles == 300
    script = Path(sys.executable).parent / "intrend"
    assert "sandbox.commands" in script.read_text()


# A stand-in for `dagster dev`: serves Dagster's /server_info on the port it is given, then
# exits once asked for it.
FAKE_DAGSTER = """
import http.server, sys
class Info(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"dagster_webserver_version": "1"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        raise SystemExit(0)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Info).handle_request()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_port_taken_after_the_check_stops_dev_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The port was free when checked; another program took it before Dagster's webserver
    could: intrend must not run on without a UI, nor print that program's address."""
    import http.server
    import threading
    import time

    from intrend_assets.cli import UiAddress, run_until_stopped

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    squatter = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    port = squatter.server_address[1]
    threading.Thread(target=squatter.serve_forever, daemon=True).start()
    dagster = [sys.executable, "-c", "import time; time.sleep(60)"]  # a daemon without its UI
    started = time.monotonic()
    try:
        code = run_until_stopped(dagster, {}, tmp_path, UiAddress("dev", "127.0.0.1", port))
    finally:
        squatter.shutdown()
        squatter.server_close()
    # Under 50 s, not the 60 s the stand-in daemon lives: it was stopped, not outlived (30 s
    # was missed by 0.3 s on a clean clone beside the full suite).
    assert code == 1 and time.monotonic() - started < 50
    out, err = capsys.readouterr()
    assert err == (
        f"intrend dev: another program answers on 127.0.0.1:{port}; choose another --port\n"
    )
    assert "Dagster UI" not in out


def test_dev_stops_when_dagster_exits_before_its_ui(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from intrend_assets.cli import UiAddress, run_until_stopped

    dagster = [sys.executable, "-c", "raise SystemExit(3)"]
    code = run_until_stopped(dagster, {}, tmp_path, UiAddress("dev", "127.0.0.1", _free_port()))
    assert code == 1
    assert "dagster dev exited (3) before the UI came up" in capsys.readouterr().err


def test_the_ui_address_is_printed_once_dagster_answers_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from intrend_assets.cli import UiAddress, run_until_stopped

    port = _free_port()
    dagster = [sys.executable, "-c", FAKE_DAGSTER, str(port)]
    code = run_until_stopped(dagster, {}, tmp_path, UiAddress("dev", "127.0.0.1", port))
    assert code == 0
    assert capsys.readouterr().out == f"Dagster UI: http://127.0.0.1:{port}\n"
