"""``intrend serve``: Dagster (UI, daemon, code location) on the ``INTREND_*`` settings.

The production command: it runs against whatever the environment points at (the real modem
service, the proxy on the modem box), never the sandbox. It prepares the instance as every
``intrend`` command does (``intrend_assets.lib.instance``) and runs ``dagster dev`` on the
project's ``workspace.yaml``, from the project folder (found from the working directory).

The ``intrend`` console script itself is ``sandbox.commands``, which adds the sandbox's
``demo`` and ``dev`` to this command; the helpers here (port check, ``dagster dev`` command
line, running it until stopped) serve both.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from intrend_assets.lib.instance import prepare_dagster_home, project_dir
from intrend_assets.parked import add_parked_commands


def check_port_free(command: str, host: str, port: int) -> None:
    """Stop with one line if something already listens on ``host:port``.

    ``dagster dev`` would otherwise start its daemon and code server, print a long traceback
    from the webserver and keep running without a UI. ``SO_REUSEADDR`` as uvicorn sets it: a
    port with only closed connections lingering (TIME_WAIT) counts as free, as it is for it.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"intrend {command}: cannot listen on {host}:{port} ({exc.strerror}); "
                "stop what uses it or choose another --port"
            ) from None


def dagster_dev_command(host: str, port: int, workspace: Path) -> list[str]:
    """``dagster dev`` from this environment's ``bin`` (the one the package is installed in)."""
    dagster = Path(sys.executable).parent / "dagster"
    return [str(dagster), "dev", "-h", host, "-p", str(port), "-w", str(workspace)]


UI_START_SECONDS = 300.0


@dataclass(frozen=True)
class UiAddress:
    """Where ``dagster dev`` was told to serve the UI, and which ``intrend`` command asked."""

    command: str
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def wait_for_ui(
    child: subprocess.Popen[bytes], ui: UiAddress, timeout: float = UI_START_SECONDS
) -> str | None:
    """None once Dagster's webserver answers at ``ui``; else why it never will.

    The port was free when checked, but ``dagster dev`` binds it seconds later (after the
    sandbox, the daemon and the code server): if another program took it meanwhile, the
    webserver fails while the daemon goes on, and the UI address would be another program's.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return f"dagster dev exited ({child.returncode}) before the UI came up"
        try:
            answer = httpx.get(f"{ui.url}/server_info", timeout=5.0, trust_env=False)
        except httpx.TransportError:
            time.sleep(0.5)
            continue
        if answer.status_code == 200 and "dagster_webserver_version" in answer.text:
            return None
        return f"another program answers on {ui.host}:{ui.port}"
    return f"the Dagster UI did not answer on {ui.host}:{ui.port} within {timeout:.0f} s"


def run_until_stopped(
    command: list[str], env: Mapping[str, str], cwd: Path, ui: UiAddress | None = None
) -> int:
    """Run ``command``; on Ctrl-C or SIGTERM stop it (and its children) before returning.

    Without this, terminating the ``intrend`` command would leave ``dagster dev`` (and its
    webserver and daemon) running, after the sandbox it points at is gone. With ``ui``, the
    UI's address is printed once Dagster answers there, and a UI that cannot come up stops
    everything with one line (exit status 1) instead of running on without it.
    """
    child = subprocess.Popen(command, env=dict(env), cwd=cwd, start_new_session=True)  # noqa: S603

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if ui is not None:
            failed = wait_for_ui(child, ui)
            if failed is not None:
                print(f"intrend {ui.command}: {failed}; choose another --port", file=sys.stderr)
                return 1
            print(f"Dagster UI: {ui.url}", flush=True)
        return child.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)


def port_number(text: str) -> int:
    """``--port``: a TCP port, 1..65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number 1..65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 1..65535, got {value}")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    """The Dagster UI, daemon and code location on the ``INTREND_*`` settings."""
    check_port_free("serve", args.host, args.port)
    project = project_dir()
    home = prepare_dagster_home(project, project)
    print(f"Dagster instance: {home}", flush=True)
    command = dagster_dev_command(args.host, args.port, project / "workspace.yaml")
    return run_until_stopped(command, os.environ, project, UiAddress("serve", args.host, args.port))


def add_serve_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``serve`` and its options, for this parser and ``sandbox.commands``' one."""
    serve = sub.add_parser(
        "serve",
        help="run Dagster against the configured modem and Instagram (INTREND_*), no sandbox",
        description="Start the Dagster UI, daemon and code location from the project folder, "
        "on the INTREND_* environment (INTREND_MODEM_URL, INTREND_MODEM_TOKEN, "
        "INTREND_PROXY_URL, ...). Dagster's storage goes to ./.dagster/ (SQLite) or to "
        "PostgreSQL when DAGSTER_PG_HOST is set.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address the UI listens on")
    serve.add_argument("--port", type=port_number, default=3000, help="port of the UI")
    serve.set_defaults(func=cmd_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intrend", description="Hashtag trends from public Instagram profiles."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_command(sub)
    add_parked_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
