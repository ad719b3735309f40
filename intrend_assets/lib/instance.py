"""The Dagster instance the ``intrend`` commands run on: ``$DAGSTER_HOME/dagster.yaml``.

Dagster reads its instance config only from ``$DAGSTER_HOME``; YAML cannot branch on the
environment, and the project's root ``dagster.yaml`` names only Dagster's stock storage (so
that any Dagster tool works from the project root). :func:`prepare_dagster_home` therefore
writes the instance config the commands use:

- SQLite (the default): the root ``dagster.yaml`` followed by the batching storage plugin's
  sections (``intrend_assets/lib/storage/sqlite.yaml``);
- PostgreSQL, when ``DAGSTER_PG_HOST`` is set: ``deploy/dagster/dagster.postgres.yaml``;
- ``INTREND_DAGSTER_STORAGE=stock`` leaves the plugin out: the root file as it is, or on
  PostgreSQL dagster-postgres' own event log.

The project folder is found from the working directory (the folder holding ``dagster.yaml``
and ``workspace.yaml``, or one above it), so an installed package works as well as a
checkout, as long as it is started from the project.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from intrend_assets.lib.storage import EVENT_BATCH_SIZE, SQLITE_OVERLAY

STORAGE_VARIABLE = "INTREND_DAGSTER_STORAGE"
STORAGE_CHOICES = ("batching", "stock")
POSTGRES_YAML = Path("deploy") / "dagster" / "dagster.postgres.yaml"
STORAGE_KEYS = ("storage", "event_log_storage", "run_storage", "schedule_storage")
STOCK_POSTGRES_EVENT_LOG = {
    "module": "dagster_postgres.event_log",
    "class": "PostgresEventLogStorage",
}


def project_dir(start: Path | None = None) -> Path:
    """The project folder: ``start`` (the working directory) or the nearest folder above it
    that holds both ``dagster.yaml`` and ``workspace.yaml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dagster.yaml").is_file() and (folder / "workspace.yaml").is_file():
            return folder
    raise SystemExit(
        f"intrend: no dagster.yaml and workspace.yaml in {here} or above it; "
        "run the command from the project folder"
    )


def storage_choice(environ: Mapping[str, str] = os.environ) -> str:
    """``batching`` (the plugin, default) or ``stock``, from ``INTREND_DAGSTER_STORAGE``."""
    value = environ.get(STORAGE_VARIABLE, "").strip().lower() or "batching"
    if value not in STORAGE_CHOICES:
        raise SystemExit(
            f"{STORAGE_VARIABLE}={environ[STORAGE_VARIABLE]!r}: "
            f"expected one of {', '.join(STORAGE_CHOICES)}"
        )
    return value


def _postgres_env() -> None:
    """Check the ``DAGSTER_PG_*`` the PostgreSQL file reads; port and password get their usual
    defaults (the file names them, and Dagster refuses an unset variable)."""
    missing = [v for v in ("DAGSTER_PG_USER", "DAGSTER_PG_DB") if not os.environ.get(v)]
    if missing:
        raise SystemExit(f"DAGSTER_PG_HOST is set but {', '.join(missing)} is not")
    os.environ.setdefault("DAGSTER_PG_PORT", "5432")
    os.environ.setdefault("DAGSTER_PG_PASSWORD", "")


def instance_yaml(project: Path) -> str:
    """The text of the instance config for the current environment (see the module)."""
    storage = storage_choice()
    if os.environ.get("DAGSTER_PG_HOST"):
        _postgres_env()
        text = (project / POSTGRES_YAML).read_text()
        if storage == "batching":
            return text
        config = yaml.safe_load(text)
        config["event_log_storage"] = {
            **STOCK_POSTGRES_EVENT_LOG,
            "config": config["event_log_storage"]["config"],
        }
        header = f"# {POSTGRES_YAML} with dagster-postgres' own event log ({STORAGE_VARIABLE}).\n"
        return header + yaml.safe_dump(config, sort_keys=False)
    text = (project / "dagster.yaml").read_text()
    if storage == "stock" or _names_storage(yaml.safe_load(text) or {}):
        return text  # a storage chosen in dagster.yaml itself wins over the plugin
    return f"{text.rstrip()}\n\n{SQLITE_OVERLAY.read_text()}"


def _names_storage(config: Mapping[str, Any]) -> bool:
    return any(key in config for key in STORAGE_KEYS)


def prepare_dagster_home(base: Path, project: Path | None = None) -> Path:
    """Make ``base/.dagster`` the DAGSTER_HOME of this process and its children, with the
    instance config of :func:`instance_yaml` in it.

    Keeping the storage there too keeps runs, event logs and schedules in one folder inside
    the project (SQLite). Also sets ``DAGSTER_EVENT_BATCH_SIZE`` (unless already set): without
    it Dagster writes a ranged run's per-partition events one at a time; every process started
    from here (dagster dev's webserver, daemon, code server, run workers) inherits it.
    """
    text = instance_yaml(project or project_dir())
    home = (base / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(text)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    return home
