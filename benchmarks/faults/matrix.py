"""The rows of the matrix, and which module runs each kind."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.faults.bombs import run_guard_fault
from benchmarks.faults.common import HOSTILE, Fault, Result, given_names
from benchmarks.faults.disk import run_disk_full_fault
from benchmarks.faults.impostor import run_impostor_fault
from benchmarks.faults.kills import run_kill_fault
from benchmarks.faults.leaks import run_secrets_fault
from benchmarks.faults.plain import run_plain
from benchmarks.faults.triggers import modem_down, private_and_deleted, proxy_refusing

FAULTS: list[Fault] = [
    Fault("baseline (no fault)"),
    Fault("1 modem down 3 s from the first rate limit (unplugged + service refusing)", modem_down),
    Fault("2 rotation keeps the same IP 6x", lambda w, n: setattr(w.modem, "stuck_rotations", 6)),
    Fault("3 rotation step fails 2x", lambda w, n: setattr(w.modem, "failing_steps", 2)),
    Fault("4 proxy refuses connections 2 s", proxy_refusing),
    Fault("5 burst of 24 5xx answers", lambda w, n: w.faults.set(status_5xx=24)),
    Fault(
        "6 20 answers slower than the read timeout",
        lambda w, n: w.faults.set(slow=20, slow_delay=1.0),
        settings={"read_timeout": 0.5},
    ),
    Fault(
        "7 bodies cut mid-stream + truncated zstd objects",
        lambda w, n: w.faults.set(truncate=12),
        kind="split_posts",
    ),
    Fault("8 invalid UTF-8 in 12 bodies", lambda w, n: w.faults.set(bad_utf8=12)),
    Fault("9 malformed JSON in 12 bodies", lambda w, n: w.faults.set(bad_json=12)),
    Fault(
        "10 shape drift (fields missing/renamed/null)",
        lambda w, n: w.faults.set(drift_seconds=600, drift_share=0.5),
        persistent=True,
    ),
    Fault(
        "11 private, deleted and hostile usernames",
        private_and_deleted,
        persistent=True,
        extra_names=lambda world: list(HOSTILE),
    ),
    Fault("12 SIGKILL while posts loads, then rerun", kind="kill"),
    Fault("13 warehouse disk fills part way through posts, then is freed", kind="disk_full"),
    Fault("14 answers naming another profile (../../../etc/pwned)", kind="impostor"),
    Fault("15 secrets with stray whitespace: none in what the runs wrote", kind="secrets"),
    Fault("16 SIGKILL while raw_profile holds the instagram pool (pools on)", kind="dead_slot"),
    Fault(
        "17 12 answers are gzip bombs (1 MB -> 1 GiB)",
        lambda w, n: w.faults.set(bomb=12),
        kind="answer_bomb",
    ),
    Fault("18 3 raw objects are zstd bombs (64 KB -> 2 GiB)", kind="object_bomb"),
]


def run_fault(fault: Fault, world: Any, names: list[str], base: Path) -> Result:
    """One row, in ``base`` (fresh), on ``world`` with every switch off to begin with."""
    if fault.kind == "impostor":
        return run_impostor_fault(fault, world, names, base)
    if fault.kind in ("plain", "split_posts"):
        return run_plain(fault, world, names, base)
    result = Result(fault.name)
    given = given_names(fault, world, names)
    started = time.monotonic()
    if fault.kind == "kill":
        return run_kill_fault(result, world, given, base, started)
    if fault.kind == "disk_full":
        return run_disk_full_fault(result, world, given, base, started)
    if fault.kind == "secrets":
        return run_secrets_fault(result, world, given, base, started)
    return run_guard_fault(fault, result, world, given, base, started)
