"""Analysts beside a running pipeline, at small scale (``benchmarks/warehouse_readers.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "warehouse_readers.py"


def _run(read: str) -> dict[str, object]:
    shown = subprocess.run(
        [sys.executable, BENCHMARK, "--profiles", "12", "--rounds", "2", "--read", read],
        capture_output=True,
        text=True,
        check=True,
        timeout=280,
    )
    return json.loads(shown.stdout.strip().splitlines()[-1])


def test_analysts_on_the_published_copy_never_fail_nor_make_the_pipeline_fail() -> None:
    report = _run("published")
    cli, notebook = report["cli"], report["notebook"]
    assert isinstance(cli, dict) and isinstance(notebook, dict)
    assert report["failed_steps"] == 0 and int(report["steps"]) >= 10  # type: ignore[call-overload]
    assert cli["failed"] == 0 and cli["queries"] > 0, cli["errors"]
    assert notebook["failed"] == 0 and notebook["queries"] > 0, notebook["errors"]
    assert cli["copies_seen"] >= 2  # copies were swapped in while the analysts read
    assert notebook["held_open_max"] >= 2


def test_analysts_on_the_working_file_lock_the_pipeline_out() -> None:
    """The same run with the analysts on the pipeline's own file (as before publishing): the
    held read-only connections make writers fail. What the published copy is for."""
    report = _run("working")
    assert int(report["failed_steps"]) > 0  # type: ignore[call-overload]
