"""CI runs the fault matrix on a short profile count: every fault, nothing lost, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.faults import FAULTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(660)
def test_fault_matrix_loses_nothing() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.faults", "--profiles", "30"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=640,
        check=False,
    )
    table = "\n".join(line for line in run.stdout.splitlines() if line.startswith("|"))
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    faults = len(FAULTS)
    assert table.count("\n") >= faults + 1, table  # header, rule and one line per fault
    assert f"{faults}/{faults} faults passed" in run.stdout
