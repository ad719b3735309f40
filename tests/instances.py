"""A Dagster instance as the ``intrend`` commands set one up (the batching storage plugin,
event batches handed over), in a test's own folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from intrend_assets.lib.instance import instance_yaml, project_dir
from intrend_assets.lib.storage import EVENT_BATCH_SIZE


@contextmanager
def project_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    monkeypatch.delenv("INTREND_DAGSTER_STORAGE", raising=False)
    (home / "dagster.yaml").write_text(instance_yaml(project_dir(Path(__file__))))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance
