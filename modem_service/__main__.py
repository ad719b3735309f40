"""``python -m modem_service``: parse arguments, then run the app under uvicorn.

Unlike ``Settings(...)`` in code (an in-memory log, for tests and the sandbox), the command
line keeps the IP log in a SQLite file unless ``MODEM_DATABASE_URL`` says otherwise: the log
is the point of the service and must survive restarts. The file goes to the state directory:
``MODEM_STATE_DIR``, else ``$STATE_DIRECTORY`` (set by systemd's ``StateDirectory=``), else
the user's XDG state directory; never the working directory, where a run from a checkout
would leave it among the sources.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from modem_service.settings import (
    BACKENDS,
    LOG_LEVELS,
    SECRET_FIELDS,
    Settings,
    SettingsError,
    load_settings,
)


def state_directory(environ: Mapping[str, str], state_dir: str | Path | None = None) -> Path:
    """``state_dir``, else systemd's ``$STATE_DIRECTORY`` (its first entry), else
    ``$XDG_STATE_HOME/modem-service`` (``~/.local/state/modem-service``)."""
    if state_dir:
        return Path(state_dir).expanduser()
    if environ.get("STATE_DIRECTORY"):
        return Path(environ["STATE_DIRECTORY"].split(":")[0])
    xdg = environ.get("XDG_STATE_HOME")
    if xdg:
        return Path(xdg) / "modem-service"
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "state" / "modem-service"


def default_database_url(
    environ: Mapping[str, str] | None = None, state_dir: str | Path | None = None
) -> str:
    """The IP log's SQLite URL in the state directory, which is created (mode 0700) if need be."""
    directory = state_directory(os.environ if environ is None else environ, state_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{(directory / 'iplog.sqlite3').absolute()}"


def settings_help() -> str:
    lines = []
    for name, info in Settings.model_fields.items():
        if name in SECRET_FIELDS:
            default = "(secret)"
        elif info.is_required():
            default = "required"
        else:
            default = f"default {info.default!r}"
        lines.append(f"  MODEM_{name.upper():<26} {info.description or ''} [{default}]")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modem-service",
        description="Rotate the 4G modem's public IP over HTTP and keep the log of every IP "
        "it had.\n\nConfigured by environment variables (systemd: EnvironmentFile=); an "
        "option overrides its variable:\n"
        + settings_help()
        + "\n\nWithout MODEM_DATABASE_URL the IP log is iplog.sqlite3 in MODEM_STATE_DIR, "
        "else $STATE_DIRECTORY,\nelse ~/.local/state/modem-service. MODEM_BACKEND is "
        "required.\nThe service refuses to start without MODEM_TOKEN unless "
        "MODEM_ALLOW_OPEN=true and it binds a loopback address.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="MODEM_HOST")
    parser.add_argument("--port", type=int, help="MODEM_PORT")
    parser.add_argument("--backend", choices=BACKENDS, help="MODEM_BACKEND")
    parser.add_argument("--database-url", help="MODEM_DATABASE_URL")
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="MODEM_LOG_LEVEL")
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        default=None,
        help="no per-request log lines (load tests); MODEM_ACCESS_LOG=false",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        parser.exit(2, f"modem-service: {exc}\n")
    if "database_url" not in overrides and "MODEM_DATABASE_URL" not in os.environ:
        url = default_database_url(state_dir=settings.state_dir)
        settings = settings.model_copy(update={"database_url": url})

    import uvicorn

    from modem_service.app import create_app
    from modem_service.server import raise_open_files_limit, uvicorn_config

    try:
        app = create_app(settings)
    except RuntimeError as exc:  # no token: say why, no traceback
        parser.exit(2, f"modem-service: {exc}\n")
    raise_open_files_limit()
    uvicorn.Server(uvicorn_config(app, settings)).run()


if __name__ == "__main__":
    main()
