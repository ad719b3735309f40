"""What can be checked of the deployment configuration without a cluster, registry or Docker.

- Both instance configs (SQLite, PostgreSQL) load in Dagster with the same queue and limits;
  every instance config the project ships (also the Celery one and the Helm values) has the
  same pools and run limits.
- deploy/helm/values.yaml uses only key paths of the official chart's values (the list in
  fixtures/dagster_chart_value_paths.txt, with its sources) and the same limits.
- Both Celery instance files (deploy/celery/dagster.yaml, run by tests/infra/test_celery.py,
  and the Kubernetes one, dagster.k8s.yaml) keep the PostgreSQL instance's storage, queue and
  limits; deploy/celery/worker.yaml names the Celery executor's broker and backend.
- The Dockerfile parses, copies files that exist (and that .dockerignore lets through), and
  serves the code location the Helm values point at.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
import shlex
import shutil
import tomllib
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.storage.config import pg_config

from intrend_assets.lib.instance import POSTGRES_YAML, prepare_dagster_home, project_dir

ROOT = project_dir(Path(__file__).parent)
POSTGRES_INSTANCE_YAML = ROOT / POSTGRES_YAML
FIXTURES = Path(__file__).parent / "fixtures"
HELM_VALUES = ROOT / "deploy" / "helm" / "values.yaml"
CELERY_YAML = ROOT / "deploy" / "celery" / "dagster.yaml"
CELERY_K8S_YAML = ROOT / "deploy" / "celery" / "dagster.k8s.yaml"
CELERY_WORKER_YAML = ROOT / "deploy" / "celery" / "worker.yaml"
PG_ENV = {
    "DAGSTER_PG_HOST": "db.example",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "secret",
    "DAGSTER_PG_DB": "dagster",
}
EXPECTED_RUN_LIMITS = {
    "max_concurrent_runs": 4,
    "tag_concurrency_limits": [{"key": "dagster/backfill", "limit": 2}],
}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


# --- instance configs ----------------------------------------------------------------------


def _assert_queue_and_limits(instance: dg.DagsterInstance) -> None:
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    concurrency = instance.get_concurrency_config()
    assert concurrency.pool_config.default_pool_limit == 1
    queue = concurrency.run_queue_config
    assert queue is not None
    assert queue.max_concurrent_runs == EXPECTED_RUN_LIMITS["max_concurrent_runs"]
    assert [
        {"key": limit["key"], "limit": limit["limit"]} for limit in queue.tag_concurrency_limits
    ] == EXPECTED_RUN_LIMITS["tag_concurrency_limits"]
    assert instance.telemetry_enabled is False


def test_root_instance_is_dagster_stock_storage_with_the_queue_pools_and_run_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What any Dagster tool gets from the project root: no plugin, no DAGSTER_HOME needed."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        _assert_queue_and_limits(instance)


@pytest.mark.parametrize(
    ("choice", "run_storage", "event_log_storage"),
    [
        (None, "KeptConnectionSqliteRunStorage", "BatchingSqliteEventLogStorage"),
        ("stock", "SqliteRunStorage", "SqliteEventLogStorage"),
    ],
)
def test_prepared_sqlite_instance_has_the_plugin_unless_switched_off(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    choice: str | None,
    run_storage: str,
    event_log_storage: str,
) -> None:
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", "")  # prepare_dagster_home sets it; restored after
    if choice is None:
        monkeypatch.delenv("INTREND_DAGSTER_STORAGE", raising=False)
    else:
        monkeypatch.setenv("INTREND_DAGSTER_STORAGE", choice)
    home = prepare_dagster_home(tmp_path, ROOT)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == run_storage
        assert type(instance.event_log_storage).__name__ == event_log_storage
        _assert_queue_and_limits(instance)


def test_storage_switch_refuses_an_unknown_value_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTREND_DAGSTER_STORAGE", "fast")
    with pytest.raises(SystemExit) as info:
        prepare_dagster_home(tmp_path, ROOT)
    assert str(info.value) == "INTREND_DAGSTER_STORAGE='fast': expected one of batching, stock"
    assert not (tmp_path / ".dagster").exists()


def _snake(node: Any) -> Any:
    """The Helm chart's camelCase keys as dagster.yaml spells them."""
    if isinstance(node, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): _snake(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_snake(item) for item in node]
    return node


@pytest.mark.parametrize(
    "shipped",
    [
        POSTGRES_YAML,
        Path("deploy/celery/dagster.yaml"),
        Path("deploy/celery/dagster.k8s.yaml"),
        Path("deploy/helm/values.yaml"),
    ],
    ids=str,
)
def test_every_shipped_instance_config_has_the_root_pools_and_run_limits(shipped: Path) -> None:
    """The pools and run limits apply in every configuration: a copy that drifted (or lost
    its ``concurrency`` section) would run two fetches through the modem at once."""
    root = _load(ROOT / "dagster.yaml")["concurrency"]
    assert root["pools"] == {"default_limit": 1}
    assert root["runs"] == EXPECTED_RUN_LIMITS
    assert _snake(_load(ROOT / shipped)["concurrency"]) == root


def test_root_instance_frees_the_pool_slots_of_runs_that_died(tmp_path: Path) -> None:
    """Run monitoring on, with Dagster's slot freeing: a run killed while holding the one
    ``instagram`` slot must not hold it for ever (tests/infra/test_dead_runs.py)."""
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    try:
        assert instance.run_monitoring_enabled
        assert 0 < instance.run_monitoring_settings["free_slots_after_run_end_seconds"] <= 60
        assert instance.run_monitoring_max_runtime_seconds == 0  # long fetch runs are fine
    finally:
        instance.dispose()


def test_postgres_instance_config_validates_and_matches_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    shutil.copyfile(POSTGRES_INSTANCE_YAML, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    # Runs, event logs and schedules on the one database, each validated against
    # dagster-postgres' schema with environment variables resolved.
    storages = {
        key: config[key] for key in ("run_storage", "event_log_storage", "schedule_storage")
    }
    assert storages["event_log_storage"]["module"] == "intrend_assets.lib.storage"
    assert storages["event_log_storage"]["class"] == "BatchingPostgresEventLogStorage"
    for storage in storages.values():
        resolved = process_config(pg_config(), storage["config"])
        assert resolved.success, resolved.errors
        db = resolved.value["postgres_db"]
        assert db["hostname"] == "db.example"
        assert db["port"] == 5432
        assert db["scheme"] == "postgresql+psycopg2"
    sqlite = _load(ROOT / "dagster.yaml")
    postgres = _load(POSTGRES_INSTANCE_YAML)
    for key in ("telemetry", "run_coordinator", "concurrency", "run_monitoring"):
        assert postgres[key] == sqlite[key], key
    assert sqlite["concurrency"]["runs"] == EXPECTED_RUN_LIMITS


@pytest.mark.parametrize(
    ("path", "launcher"),
    [
        (CELERY_YAML, ("dagster", "DefaultRunLauncher")),
        (CELERY_K8S_YAML, ("dagster_celery_k8s", "CeleryK8sRunLauncher")),
    ],
    ids=["celery", "celery-k8s"],
)
def test_celery_instance_keeps_the_postgres_storage_queue_and_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Path, launcher: tuple[str, str]
) -> None:
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    celery = _load(path)
    postgres = _load(POSTGRES_INSTANCE_YAML)
    for key in (
        "telemetry",
        "run_storage",
        "event_log_storage",
        "schedule_storage",
        "run_coordinator",
        "concurrency",
        "run_monitoring",
    ):
        assert celery[key] == postgres[key], key
    assert (celery["run_launcher"]["module"], celery["run_launcher"]["class"]) == launcher
    # The instance schema (not the K8s launcher's own: dagster-celery-k8s is not installed).
    shutil.copyfile(path, tmp_path / "dagster.yaml")
    dagster_instance_config(str(tmp_path))
    if path == CELERY_YAML:  # its launcher is importable here (tests/infra/test_celery.py runs it)
        assert getattr(importlib.import_module(launcher[0]), launcher[1]) is dg.DefaultRunLauncher


def test_worker_config_names_the_executors_broker() -> None:
    """A worker started with another broker or backend than the executor's never sees a
    step; deploy/celery/worker.yaml is read the way ``dagster-celery worker start`` reads it."""
    from dagster_celery.cli import get_config_value_from_yaml

    from intrend_assets.lib.celery import CELERY_EXECUTOR_CONFIG

    worker = get_config_value_from_yaml(str(CELERY_WORKER_YAML))
    assert worker == CELERY_EXECUTOR_CONFIG


# --- Helm values ---------------------------------------------------------------------------


def _chart_paths() -> list[str]:
    lines = (FIXTURES / "dagster_chart_value_paths.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _value_paths(node: Any, prefix: str = "") -> list[str]:
    """Every leaf path of ``node`` in the fixture's notation (a.b, list items as [])."""
    if isinstance(node, dict):
        if not node:
            return [prefix]
        out: list[str] = []
        for key, value in node.items():
            out += _value_paths(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(node, list):
        if not node:
            return [prefix]
        out = []
        for item in node:
            out += _value_paths(item, f"{prefix}[]")
        return out
    return [prefix]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for token in re.split(r"(\*\*|\*)", pattern):
        if token == "**":
            parts.append(r".+")
        elif token == "*":
            parts.append(r"[^.\[\]]+")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts))


def _allowed(path: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if _pattern_regex(pattern).fullmatch(path):
            return True
        # An empty mapping or list standing for a parent of known keys.
        if pattern.startswith(path + ".") or pattern.startswith(path + "["):
            return True
    return False


def test_path_matcher_accepts_known_and_rejects_unknown_keys() -> None:
    patterns = ["a.b", "a.c[].d", "a.env.*", "a.vol[].**"]
    assert _allowed("a.b", patterns)
    assert _allowed("a.c[].d", patterns)
    assert _allowed("a.env.ANY_NAME", patterns)
    assert _allowed("a.vol[].persistentVolumeClaim.claimName", patterns)
    assert _allowed("a", patterns)  # `a: {}`
    assert not _allowed("a.x", patterns)
    assert not _allowed("a.env.X.Y", patterns)
    assert not _allowed("a.c[].e", patterns)
    assert not _allowed("a.bb", patterns)


def test_helm_values_use_only_keys_of_the_official_chart() -> None:
    values = _load(HELM_VALUES)
    patterns = _chart_paths()
    unknown = [p for p in _value_paths(values) if not _allowed(p, patterns)]
    assert not unknown, (
        f"not in the chart's values (fixtures/dagster_chart_value_paths.txt): {unknown}"
    )


def test_helm_values_deploy_this_code_location_with_postgres_k8s_and_the_limits() -> None:
    values = _load(HELM_VALUES)
    deployments = values["dagster-user-deployments"]["deployments"]
    assert len(deployments) == 1
    (code,) = deployments
    args = code["codeServerArgs"]
    module = args[args.index("-m") + 1]
    assert module == "intrend_assets.definitions"
    assert importlib.util.find_spec(module) is not None
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    # The chart's camelCase limits equal dagster.yaml's.
    sqlite = _load(ROOT / "dagster.yaml")["concurrency"]
    chart = values["concurrency"]
    assert chart["pools"]["defaultLimit"] == sqlite["pools"]["default_limit"]
    assert chart["runs"]["maxConcurrentRuns"] == sqlite["runs"]["max_concurrent_runs"]
    assert chart["runs"]["tagConcurrencyLimits"] == sqlite["runs"]["tag_concurrency_limits"]
    # A killed run's pool slots come back as they do with dagster.yaml.
    monitoring = _load(ROOT / "dagster.yaml")["run_monitoring"]
    chart_monitoring = _snake(values["dagsterDaemon"]["runMonitoring"])
    assert chart_monitoring["enabled"] is True
    for key in ("poll_interval_seconds", "free_slots_after_run_end_seconds"):
        assert chart_monitoring[key] == monitoring[key], key
    # The chart refuses run limits in both the run coordinator and `concurrency`.
    assert not values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert values["telemetry"]["enabled"] is False


# --- Dockerfile ----------------------------------------------------------------------------

INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction: comments dropped, continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if not full:
            continue
        word, _, rest = full.partition(" ")
        if word.upper() not in INSTRUCTIONS:
            raise ValueError(f"unknown Dockerfile instruction {word!r} in: {full}")
        out.append((word.upper(), rest.strip()))
    if pending:
        raise ValueError("Dockerfile ends inside a continued line")
    return out


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)


def test_dockerfile_parser_rejects_what_docker_would() -> None:
    assert parse_dockerfile("FROM a\n# c\nRUN x \\\n  y\n") == [("FROM", "a"), ("RUN", "x y")]
    with pytest.raises(ValueError, match="unknown"):
        parse_dockerfile("FROM a\nRUNN x\n")
    with pytest.raises(ValueError, match="continued"):
        parse_dockerfile("FROM a\nRUN x \\\n")


def test_dockerfile_builds_the_code_location_from_the_lock_file() -> None:
    steps = parse_dockerfile((ROOT / "Dockerfile").read_text())
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = [args for op, args in steps if op == "RUN"]
    assert any("uv sync --frozen" in r and "--no-install-project" in r for r in runs)
    assert any("uv sync --frozen" in r and "--no-install-project" not in r for r in runs)
    ignored = _dockerignore()
    for op, args in steps:
        if op != "COPY" or args.startswith("--from"):
            continue
        *sources, _dest = shlex.split(args)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert not _ignored(source, ignored), f"COPY {source}: excluded by .dockerignore"
    (cmd,) = [json.loads(args) for op, args in steps if op == "CMD"]
    assert cmd[:3] == ["dagster", "code-server", "start"]
    assert cmd[cmd.index("-m") + 1] == "intrend_assets.definitions"
    port = int(cmd[cmd.index("-p") + 1])
    assert ("EXPOSE", str(port)) in steps
    helm = _load(HELM_VALUES)["dagster-user-deployments"]["deployments"][0]
    assert helm["port"] == port
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] != "root", "the code server should not run as root"


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = _dockerignore()
    for path in (".env", ".venv", ".dagster", "data", ".git", "test-artifacts"):
        assert _ignored(path, ignored), path


def test_the_image_extras_exist_in_pyproject() -> None:
    steps = parse_dockerfile((ROOT / "Dockerfile").read_text())
    (arg,) = [args for op, args in steps if op == "ARG" and args.startswith("INTREND_EXTRAS=")]
    extras = set(arg.split("=", 1)[1].strip('"').split()) | {"celery-k8s"}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert extras <= set(declared), sorted(extras - set(declared))
    pins = {dep for extra in extras for dep in declared[extra]}
    assert "dagster-k8s==0.29.27" in pins


def test_matplotlib_has_a_font_cache_the_run_user_owns() -> None:
    """Without a writable MPLCONFIGDIR, every run process of the image rebuilt matplotlib's
    font cache in a temporary folder (and warned) before drawing the trend chart."""
    steps = parse_dockerfile((ROOT / "Dockerfile").read_text())
    env = " ".join(args for op, args in steps if op == "ENV")
    assert "MPLCONFIGDIR=" in env
    user_at = max(i for i, (op, _) in enumerate(steps) if op == "USER")
    before = [args for op, args in steps[:user_at] if op == "RUN"]
    assert any("chown" in r and "$MPLCONFIGDIR" in r for r in before)
    after = [args for op, args in steps[user_at:] if op == "RUN"]
    assert any("matplotlib.font_manager" in r for r in after), "cache built as the run user"
