"""The fault matrix: a real pipeline run per fault, and proof that nothing is lost.

For each fault, in a fresh data dir and a fresh Dagster instance, on one offline sandbox
(switches reset between faults), this materializes ``raw_profile`` + ``posts`` over every
registered profile (one run, partition-range tags, as ``intrend demo`` does), then
``hashtag_daily`` + ``posts_wide``, while the fault is injected. Then it audits:

- stored: profiles in the raw store and in the warehouse, with no failure recorded;
- failed: profiles in the raw store's failures list, with their reasons;
- lost: a username given to the run that is neither stored nor recorded as failed, or stored
  but missing from the warehouse (must be 0);
- dup posts: rows of ``posts_wide`` sharing a post id (must be 0);
- posts lost: posts of the stored raw answers (read without the project's parser) missing
  from ``posts_wide`` (must be 0);
- rerun: the same materializations again (fault switches re-armed only for faults that
  persist), then ``posts_wide`` compared with the first run ignoring load timestamps:
  ``identical``, ``+N`` (rows added for profiles the first run recorded as failed: the rerun
  repaired them) or ``CHANGED``;
- peak conns: most connections the proxy host saw at once (limit: ``max_connections``).

Rows 13-15 run on the instance config ``intrend serve`` writes (pools on, run monitoring on),
in child processes: a run killed while it holds the ``instagram`` slot (the next fetch run
must finish within ``SLOT_BACK_SECONDS``), and decompression bombs, upstream and in the raw
store, with the peak RSS of the process running ``raw_profile`` / ``posts`` under them
(at most ``MAX_RSS_BYTES``).

The sandbox clock is frozen (tiny ``speed``) so that Instagram's answers do not change
between a run and its rerun. Exit status 1 when anything is lost or duplicated, a run that
was not meant to die failed, or the proxy saw more connections than the limit.

Run:  .venv/bin/python benchmarks/faults.py --profiles 200
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this checkout's code, not whatever the venv has installed
    sys.path.insert(0, str(ROOT))

HOSTILE = ["../etc", "a b", "'; drop table posts; --", "x" * 31, ""]
WIDE_VOLATILE = ("metrics_fetched_at", "first_seen_at")  # load timestamps, not content
SPEED = 1e-6  # sandbox seconds per real second: the clock stands still
ROTATION_REAL_SECONDS = 0.3
MAX_CONNECTIONS = 8
KILL_MARKER = "posts-loading"


@dataclass
class Fault:
    name: str
    arm: Callable[[Any, list[str]], None] = lambda world, names: None
    settings: dict[str, Any] = field(default_factory=dict)
    persistent: bool = False  # re-arm for the rerun (the world stays this way)
    extra_names: Callable[[Any], list[str]] | None = None
    kind: str = "plain"  # plain / split_posts / kill / secrets


@dataclass
class Result:
    fault: str
    given: int = 0
    stored: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    dup_posts: int = 0
    posts_lost: int = 0
    rerun: str = ""
    peak_connections: int = 0
    seconds: float = 0.0
    runs_ok: bool = True
    note: str = ""
    peak_rss: int = 0  # bytes, of the child process under a bomb (0: not measured)

    @property
    def ok(self) -> bool:
        return (
            not self.lost
            and self.dup_posts == 0
            and self.posts_lost == 0
            and self.runs_ok
            and self.peak_connections <= MAX_CONNECTIONS
            and not self.rerun.startswith("CHANGED")
            and self.peak_rss <= MAX_RSS_BYTES
        )


# --- triggering faults mid-run ------------------------------------------------------------


def when_seen(
    world: Any,
    ready: Callable[[dict[str, int]], bool],
    action: Callable[[], None],
    timeout: float = 120.0,
) -> threading.Thread:
    """Run ``action`` once the fake Instagram's request totals satisfy ``ready`` (bounded)."""

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready(world.stats()["total"]):
                break
            time.sleep(0.005)
        action()

    thread = threading.Thread(target=watch, name="fault-trigger", daemon=True)
    thread.start()
    return thread


def when_requests(world: Any, count: int, action: Callable[[], None]) -> threading.Thread:
    return when_seen(world, lambda total: total["total"] >= count, action)


def when_rate_limited(world: Any, action: Callable[[], None]) -> threading.Thread:
    """At the first rate-limit answer: the moment the fetcher needs the modem."""
    return when_seen(world, lambda total: total["401"] + total["429"] > 0, action)


def for_a_while(seconds: float, on: Callable[[], None], off: Callable[[], None]) -> None:
    on()
    timer = threading.Timer(seconds, off)
    timer.daemon = True
    timer.start()


def modem_down(world: Any, names: list[str]) -> None:
    def on() -> None:
        world.modem.down = True  # unplugged: no egress, /rotate and /ip answer 503
        world.faults.set(refuse_modem_seconds=3.0)  # and the service refuses connections

    def off() -> None:
        world.modem.down = False

    when_rate_limited(world, lambda: for_a_while(3.0, on, off))


def proxy_refusing(world: Any, names: list[str]) -> None:
    when_requests(world, len(names) // 3, lambda: world.faults.set(refuse_proxy_seconds=2.0))


def private_and_deleted(world: Any, names: list[str]) -> None:
    known = [n for n in names if n in set(world.usernames())]
    world.faults.set(private=known[1::10], deleted=known[2::10])


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
GUARD_KINDS = ("dead_slot", "answer_bomb", "object_bomb")
MAX_RSS_BYTES = 1 << 30  # peak memory of the process under a bomb
SLOT_BACK_SECONDS = 180.0  # the next fetch run must be done within this after the kill


# --- running the pipeline -----------------------------------------------------------------


def materialize(
    urls: dict[str, str],
    token: str,
    data_dir: Path,
    instance: Any,
    overrides: dict[str, Any],
    stages: tuple[tuple[str, ...], ...] = (
        ("raw_profile", "posts"),
        ("hashtag_daily", "posts_wide"),
    ),
) -> bool:
    """The demo's materializations (one ranged fetch run, then the warehouse) with this
    benchmark's connection limits; True when every run succeeded."""
    from sandbox.pipeline import Stage, intrend_env, run_pipeline, sandbox_resources

    _, resources = sandbox_resources(
        intrend_env(urls, token, data_dir),
        max_connections=MAX_CONNECTIONS,
        concurrency=MAX_CONNECTIONS,
        max_posts=24,  # one timeline page past the profile answer
        **overrides,
    )
    results = run_pipeline(
        resources,
        instance,
        stages=[Stage(selection) for selection in stages],
        raise_on_error=False,
    )
    return all(result.success for result in results)


# --- auditing -----------------------------------------------------------------------------


def _expected_posts(store: Any, name: str) -> set[str]:
    """Post ids in a profile's latest answer and its pages, read without our parser."""
    from intrend_assets.raw_store.store import decompress

    latest = store.latest(name)
    ids: set[str] = set()
    if latest is None:
        return ids
    for key in [latest.key, *store.pages(latest)]:
        try:
            body = json.loads(decompress(store.read(key)))
        except Exception:  # a spoiled object: its profile must be in failures
            continue
        user = ((body or {}).get("data") or {}).get("user") or {}
        media = user.get("edge_owner_to_timeline_media") or {}
        for edge in media.get("edges") or []:
            node = edge.get("node") if isinstance(edge, dict) else None
            if isinstance(node, dict) and node.get("id") is not None:
                ids.add(str(node["id"]))
    return ids


def wide_snapshot(db_path: Path) -> list[tuple[Any, ...]]:
    from warehouse.db import connect

    con = connect(db_path, read_only=True)
    try:
        columns = [r[0] for r in con.execute("describe posts_wide").fetchall()]
        keep = ", ".join(f'"{c}"' for c in columns if c not in WIDE_VOLATILE)
        rows = con.execute(f"select {keep} from posts_wide").fetchall()
    finally:
        con.close()
    return sorted(rows, key=repr)


def audit(result: Result, given: list[str], data_dir: Path) -> None:
    from intrend_assets.raw_store.store import LocalRawStore
    from intrend_assets.tracking.usernames import InvalidUsername, validate_username
    from warehouse.db import connect

    store = LocalRawStore(data_dir / "raw")
    stored = set(store.usernames())
    failures: dict[str, dict[str, Any]] = {}
    for record in store.failures():
        failures[str(record.get("username"))] = record
    db_path = data_dir / "warehouse.duckdb"
    con = connect(db_path, read_only=True)
    try:
        in_warehouse = {r[0] for r in con.execute("select username from profiles").fetchall()}
        in_warehouse |= {
            r[0] for r in con.execute("select distinct owner_username from posts").fetchall()
        }
        wide_ids = [r[0] for r in con.execute("select post_id from posts_wide").fetchall()]
    finally:
        con.close()
    result.given = len(given)
    result.dup_posts = len(wide_ids) - len(set(wide_ids))
    wide = set(wide_ids)
    for raw in given:
        try:
            name = validate_username(raw)
        except InvalidUsername:
            name = raw
        record = failures.get(name) or failures.get(raw)
        if record is not None and (record.get("reason") or record.get("outcome")):
            result.failed += 1
            result.reasons[str(record.get("outcome"))] += 1
            continue
        if name in stored and name in in_warehouse:
            result.stored += 1
            result.posts_lost += len(_expected_posts(store, name) - wide)
            continue
        result.lost.append(raw)


def reasons_text(reasons: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "-"


# --- the faults ---------------------------------------------------------------------------


class Effect:
    """What a fault actually did to the run, read off the sandbox's counters."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.proxy_503 = world.proxy.refused_reconnecting
        self.steps = len(world.modem.steps_run)

    def text(self) -> str:
        used = self.world.faults.snapshot()["used"]
        parts = [f"{k} {v}" for k, v in used.items() if v]
        proxy_503 = self.world.proxy.refused_reconnecting - self.proxy_503
        if proxy_503:
            parts.append(f"proxy 503 (modem offline) {proxy_503}")
        steps = len(self.world.modem.steps_run) - self.steps
        if steps:
            parts.append(f"modem steps {steps}")
        return ", ".join(parts)


def register(instance: Any, names: list[str]) -> None:
    instance.add_dynamic_partitions("profiles", names)


def spoil_zstd_objects(data_dir: Path, names: list[str], count: int) -> list[str]:
    """Cut the latest stored object of ``count`` profiles in half (a torn write on disk)."""
    from intrend_assets.raw_store.store import LocalRawStore

    store = LocalRawStore(data_dir / "raw")
    spoiled = []
    for name in names:
        latest = store.latest(name)
        if latest is None:
            continue
        path = store.root / latest.key
        blob = path.read_bytes()
        path.write_bytes(blob[: len(blob) // 2])
        spoiled.append(name)
        if len(spoiled) >= count:
            break
    return spoiled


def run_fault(fault: Fault, world: Any, names: list[str], base: Path) -> Result:
    import dagster as dg

    result = Result(fault.name)
    data_dir = base / "data"
    urls = world.addresses()
    given = list(names)
    if fault.extra_names:
        extra = fault.extra_names(world)
        middle = len(given) // 2
        given = given[:middle] + extra + given[middle:]
    world.reset_faults()
    effect = Effect(world)
    started = time.monotonic()
    if fault.kind == "kill":
        return run_kill_fault(result, world, given, base, started)
    if fault.kind == "disk_full":
        return run_disk_full_fault(result, world, given, base, started)
    if fault.kind == "impostor":
        return run_impostor_fault(fault, world, names, base)
    if fault.kind == "secrets":
        return run_secrets_fault(result, world, given, base, started)
    if fault.kind in GUARD_KINDS:
        return run_guard_fault(fault, result, world, given, base, started)
    with tempfile.TemporaryDirectory(prefix="dagster-", dir=base) as home:
        instance = dg.DagsterInstance.ephemeral(tempdir=home)
        register(instance, given)
        fault.arm(world, given)
        if fault.kind == "split_posts":
            ok = materialize(
                urls,
                world.modem_token,
                data_dir,
                instance,
                fault.settings,
                stages=(("raw_profile",),),
            )
            spoiled = spoil_zstd_objects(data_dir, names[3:], 3)
            result.note = f"zstd objects cut: {len(spoiled)}"
            ok = (
                materialize(
                    urls,
                    world.modem_token,
                    data_dir,
                    instance,
                    fault.settings,
                    stages=(("posts",), ("hashtag_daily", "posts_wide")),
                )
                and ok
            )
        else:
            ok = materialize(urls, world.modem_token, data_dir, instance, fault.settings)
        result.runs_ok = ok
        result.peak_connections = world.peak_proxy_connections
        result.seconds = time.monotonic() - started
        result.note = "; ".join(t for t in (result.note, effect.text()) if t)
        audit(result, given, data_dir)
        first = wide_snapshot(data_dir / "warehouse.duckdb")
        world.reset_faults()
        if fault.persistent:
            fault.arm(world, given)
        ok = materialize(urls, world.modem_token, data_dir, instance, fault.settings)
        result.runs_ok = result.runs_ok and ok
        result.peak_connections = max(result.peak_connections, world.peak_proxy_connections)
        second = wide_snapshot(data_dir / "warehouse.duckdb")
        result.rerun = compare(first, second)
        # Whatever the first run left, the rerun must not lose or duplicate either.
        after = Result(fault.name)
        audit(after, given, data_dir)
        result.dup_posts = max(result.dup_posts, after.dup_posts)
        result.lost = sorted(set(result.lost) | set(after.lost))
        instance.dispose()
    world.reset_faults()
    return result


def compare(first: list[tuple[Any, ...]], second: list[tuple[Any, ...]]) -> str:
    if first == second:
        return "identical"
    a, b = Counter(map(repr, first)), Counter(map(repr, second))
    removed, added = a - b, b - a
    if not removed:
        return f"+{sum(added.values())} rows"
    return f"CHANGED (-{sum(removed.values())}/+{sum(added.values())})"


def _instance(home: Path) -> Any:
    """The Dagster instance of ``home``, a DAGSTER_HOME the child processes share."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)  # a storage plugin's config may read it
    return dg.DagsterInstance.local_temp(str(home))


def audit_and_rerun(
    result: Result, world: Any, given: list[str], data_dir: Path, home: Path
) -> Result:
    """Audit what the runs left, then rerun everything on the same Dagster storage: the
    rerun must change nothing, and lose or duplicate nothing either."""
    audit(result, given, data_dir)
    first = wide_snapshot(data_dir / "warehouse.duckdb")
    instance = _instance(home)
    try:
        ok = materialize(world.addresses(), world.modem_token, data_dir, instance, {})
    finally:
        instance.dispose()
    result.runs_ok = result.runs_ok and ok
    result.rerun = compare(first, wide_snapshot(data_dir / "warehouse.duckdb"))
    after = Result(result.fault)
    audit(after, given, data_dir)
    result.dup_posts = max(result.dup_posts, after.dup_posts)
    result.lost = sorted(set(result.lost) | set(after.lost))
    return result


# The SIGKILL fault: the pipeline in child processes.


def child_main(spec_path: str) -> int:
    """``--child SPEC``: one pipeline run in this process (instance from DAGSTER_HOME)."""
    import dagster as dg

    warnings.filterwarnings("ignore")
    spec = json.loads(Path(spec_path).read_text())
    data_dir = Path(spec["data_dir"])
    if spec.get("hold_in_load"):
        # Instrumentation for the kill: inside the posts load's transaction, after its posts
        # rows are written, say so on disk and hold still long enough to be killed there.
        import intrend_assets.loading.queue as parsed
        from warehouse.load import load_parsed
        from warehouse.load import posts as posts_load

        marker = Path(spec["hold_in_load"])
        write_posts = posts_load._write_posts

        def write_posts_then_hold(*args: Any, **kwargs: Any) -> int:
            written = write_posts(*args, **kwargs)
            marker.write_text("posts")
            time.sleep(30)
            return written

        def held(con: Any, batch: Any) -> Any:
            posts_load._write_posts = write_posts_then_hold  # type: ignore[assignment]
            try:
                return load_parsed(con, batch)
            finally:
                posts_load._write_posts = write_posts  # type: ignore[assignment]

        parsed.load_parsed = held  # type: ignore[assignment]
    instance = dg.DagsterInstance.get()
    known = set(instance.get_dynamic_partitions("profiles"))
    instance.add_dynamic_partitions("profiles", [n for n in spec["names"] if n not in known])
    stages = tuple(tuple(s) for s in spec.get("stages") or ())
    staged = {"stages": stages} if stages else {}
    ok = materialize(spec["urls"], spec["token"], data_dir, instance, {}, **staged)
    return 0 if ok else 1


def _child(spec: dict[str, Any], base: Path, home: Path) -> subprocess.Popen[bytes]:
    spec_path = base / f"spec-{time.monotonic_ns()}.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(spec_path)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run_kill_fault(
    result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    data_dir = base / "data"
    home = base / "dagster-home"
    home.mkdir()
    marker = base / KILL_MARKER
    spec = {
        "data_dir": str(data_dir),
        "urls": world.addresses(),
        "token": world.modem_token,
        "names": given,
        "hold_in_load": str(marker),
    }
    victim = _child(spec, base, home)
    deadline = time.monotonic() + 300
    while not marker.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if marker.exists() and victim.poll() is None:
        os.kill(victim.pid, signal.SIGKILL)
        result.note = "killed inside the posts load transaction"
    else:
        result.note = "MISSED: the run ended before the kill"
        result.runs_ok = False
    victim.wait(timeout=60)
    if victim.stderr:
        victim.stderr.close()
    spec["hold_in_load"] = None
    # The rerun that repairs, in a fresh process as after a crash.
    world.reset_faults()
    child = _child(spec, base, home)
    _, err = child.communicate(timeout=600)
    if child.returncode != 0:
        result.runs_ok = False
        result.note += f"; rerun failed: {err.decode()[-300:]}"
    result.seconds = time.monotonic() - started
    result.peak_connections = world.peak_proxy_connections
    return audit_and_rerun(result, world, given, data_dir, home)


# --- availability: a killed run's pool slot, and answer sizes (issue 17, items 3-4) ---------


def pools_home(base: Path) -> Path:
    """A DAGSTER_HOME with the instance config ``intrend serve`` writes: SQLite with the
    batching plugin, one slot per pool, run monitoring on."""
    from intrend_assets.lib.instance import instance_yaml

    home = base / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml(ROOT))
    return home


def _stage_child(
    spec: dict[str, Any], base: Path, home: Path, timeout: float = 600.0
) -> tuple[int, int, str]:
    """Run ``spec`` in a child process: (exit code, its peak RSS in bytes, stderr's tail).
    Reaped with wait4, which gives that one child's peak RSS."""
    spec_path = base / f"spec-{time.monotonic_ns()}.json"
    spec_path.write_text(json.dumps(spec))
    err_path = spec_path.with_suffix(".err")
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    with err_path.open("wb") as err:
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(spec_path)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(child.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.05)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss * 1024, err_path.read_text()[-300:]


def write_zstd_bombs(data_dir: Path, names: list[str], count: int) -> list[str]:
    """Replace the latest stored object of ``count`` profiles with 64 KB of zstd that
    decodes to 2 GiB: the first a streaming frame (no size in its header), the others as
    the store writes frames (size stated)."""
    import zstandard

    from intrend_assets.raw_store.store import LocalRawStore

    store = LocalRawStore(data_dir / "raw")
    zeros = bytes(1 << 20)
    bombed: list[str] = []
    for name in names:
        latest = store.latest(name)
        if latest is None:
            continue
        size = (2 << 30) if bombed else -1
        packer = zstandard.ZstdCompressor(level=3).compressobj(size=size)
        parts = [packer.compress(zeros) for _ in range(2048)]
        (store.root / latest.key).write_bytes(b"".join([*parts, packer.flush()]))
        bombed.append(name)
        if len(bombed) >= count:
            break
    return bombed


def _kill_while_fetching(world: Any, spec: dict[str, Any], base: Path, home: Path) -> str:
    """Start the fetch run; SIGKILL it once the sandbox has answered a quarter of it."""
    victim = _child(spec, base, home)
    seen = world.stats()["total"]["total"]
    deadline = time.monotonic() + 300
    while victim.poll() is None and time.monotonic() < deadline:
        if world.stats()["total"]["total"] >= seen + max(3, len(spec["names"]) // 4):
            break
        time.sleep(0.02)
    killed = victim.poll() is None
    if killed:
        os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    if victim.stderr:
        victim.stderr.close()
    return "killed while fetching" if killed else "MISSED: the run ended before the kill"


def _reap_dead_runs(home: Path) -> tuple[bool, int]:
    """One tick of the reaper sensor, in this process: (was the slot held, runs failed)."""
    import dagster as dg

    from intrend_assets.lib.dead_runs import dead_run_sensor

    instance = _instance(home)
    try:
        held = bool(instance.event_log_storage.get_concurrency_info("instagram").claimed_slots)
        sensor = dead_run_sensor(dg.DefaultSensorStatus.RUNNING)
        sensor(dg.build_sensor_context(instance=instance))
        failed = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        return held, len(failed)
    finally:
        instance.dispose()


def run_dead_slot(result: Result, world: Any, spec: dict[str, Any], base: Path) -> None:
    """Row 13: the killed run's slot comes back and the next fetch run finishes, in time."""
    home = pools_home(base)
    result.note = _kill_while_fetching(world, spec, base, home)
    killed_at = time.monotonic()
    held, failed = _reap_dead_runs(home)
    code, _, err = _stage_child(spec, base, home, timeout=SLOT_BACK_SECONDS)
    took = time.monotonic() - killed_at
    result.note += (
        f"; slot still held after the kill: {'yes' if held else 'no'}, runs the reaper "
        f"failed: {failed}, next run done {took:.0f} s after the kill"
    )
    if code != 0 or not held or failed != 1:
        result.runs_ok = False
        result.note += f" (rc {code}: {err})" if code else ""


def run_bomb(fault: Fault, result: Result, world: Any, spec: dict[str, Any], base: Path) -> None:
    """Rows 14-15: the asset under the bomb runs in a child process, whose peak RSS counts;
    the stages before and after it run here."""
    home = pools_home(base)
    data_dir = Path(spec["data_dir"])
    instance = _instance(home)
    register(instance, spec["names"])
    try:
        if fault.kind == "answer_bomb":
            fault.arm(world, spec["names"])
            code, rss, err = _stage_child({**spec, "stages": [["raw_profile"]]}, base, home)
            result.note = f"bombs answered {world.faults.snapshot()['used']['bomb']}"
            asset, after = "raw_profile", (("posts",), ("hashtag_daily", "posts_wide"))
        else:
            ok = materialize(
                spec["urls"], spec["token"], data_dir, instance, {}, (("raw_profile",),)
            )
            bombed = write_zstd_bombs(data_dir, spec["names"][3:], 3)
            result.note = f"objects bombed {len(bombed)}"
            code, rss, err = _stage_child({**spec, "stages": [["posts"]]}, base, home)
            code = code or int(not ok)
            asset, after = "posts", (("hashtag_daily", "posts_wide"),)
        result.peak_connections = world.peak_proxy_connections
        world.reset_faults()
        ok = materialize(spec["urls"], spec["token"], data_dir, instance, {}, after)
    finally:
        instance.dispose()
    result.peak_rss = rss
    result.note += f"; peak RSS of {asset} {rss / 2**20:.0f} MiB"
    if code != 0 or not ok:
        result.runs_ok = False
        result.note += f" (rc {code}: {err})" if code else ""


def run_guard_fault(
    fault: Fault, result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    """Rows 13-15 on an instance with pools (the project's own), then the audit and a rerun
    that must change nothing, as for the other rows."""
    data_dir = base / "data"
    spec: dict[str, Any] = {
        "data_dir": str(data_dir),
        "urls": world.addresses(),
        "token": world.modem_token,
        "names": given,
    }
    if fault.kind == "dead_slot":
        run_dead_slot(result, world, spec, base)
        if not result.runs_ok:  # the slot may still be held: a rerun would wait for ever
            result.rerun = "not run"
            if (data_dir / "warehouse.duckdb").exists():
                audit(result, given, data_dir)
            return result
    else:
        run_bomb(fault, result, world, spec, base)
    result.seconds = time.monotonic() - started
    result.peak_connections = max(result.peak_connections, world.peak_proxy_connections)
    world.reset_faults()
    return audit_and_rerun(result, world, given, data_dir, base / "dagster-home")


# The full warehouse disk (issue 17): the posts load in this process, on a disk that fills.

DISK_ROOM_SHARE = 1 / 3  # the disk has room for a third of the posts fetched
DISK_LOAD_BATCH = 5  # several commits per load, so that the disk fills part way


class FillingDisk:
    """``load_parsed`` on a disk with room for ``room`` more posts: a commit that does not fit
    fails as DuckDB fails on a full WAL (the same exception, the same words); smaller ones
    still fit until the disk is full."""

    def __init__(self, room: int) -> None:
        import intrend_assets.loading.queue as queue

        self.room = room
        self.refused = 0
        self.real = queue.load_parsed

    def __call__(self, con: Any, batch: Any) -> Any:
        import duckdb

        posts = sum(len(p.post_columns["post_id"]) for p in batch)
        if posts > self.room:
            self.refused += 1
            raise duckdb.TransactionException(
                "TransactionContext Error: Failed to commit: Could not write file "
                '"warehouse.duckdb.wal": No space left on device'
            )
        self.room -= posts
        return self.real(con, batch)


def run_disk_full_fault(
    result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    """Fetch, load on a filling disk (the run must fail, setting nothing aside), free the
    disk, load again without fetching; then audit and rerun as every row does."""
    import dagster as dg

    import intrend_assets.loading.queue as queue
    from intrend_assets.raw_store.store import LocalRawStore

    data_dir = base / "data"
    urls, token = world.addresses(), world.modem_token
    store = LocalRawStore(data_dir / "raw")
    with tempfile.TemporaryDirectory(prefix="dagster-", dir=base) as home:
        instance = dg.DagsterInstance.ephemeral(tempdir=home)
        register(instance, given)
        ok = materialize(urls, token, data_dir, instance, {}, stages=(("raw_profile",),))
        fetched = sum(len(_expected_posts(store, name)) for name in store.usernames())
        disk, batch = FillingDisk(int(fetched * DISK_ROOM_SHARE)), queue.LOAD_BATCH
        queue.load_parsed, queue.LOAD_BATCH = disk, DISK_LOAD_BATCH  # type: ignore[assignment]
        try:
            full = materialize(urls, token, data_dir, instance, {}, stages=(("posts",),))
        finally:
            queue.load_parsed, queue.LOAD_BATCH = disk.real, batch  # the disk is freed
        # Read off the folder, not through the store: main's store cannot list them.
        aside = len(list((data_dir / "raw" / "pending" / "refused").glob("*.json")))
        queued = len(store.pending())
        result.note = (
            f"full-disk posts run {'FAILED as meant' if not full else 'SUCCEEDED: MISSED'}, "
            f"{disk.refused} commits refused, {queued} fetches kept queued, {aside} set aside"
        )
        # The next load, on the freed disk, fetching nothing: what the full one left queued
        # is all it has (a fetch run would refetch and hide what was set aside).
        warehouse_only = (("posts",), ("hashtag_daily", "posts_wide"))
        ok = materialize(urls, token, data_dir, instance, {}, stages=warehouse_only) and ok
        result.runs_ok = ok and not full and aside == 0 and disk.refused > 0
        result.seconds = time.monotonic() - started
        result.peak_connections = world.peak_proxy_connections
        audit(result, given, data_dir)
        first = wide_snapshot(data_dir / "warehouse.duckdb")
        result.runs_ok = materialize(urls, token, data_dir, instance, {}) and result.runs_ok
        result.rerun = compare(first, wide_snapshot(data_dir / "warehouse.duckdb"))
        after = Result(result.fault)
        audit(after, given, data_dir)
        result.dup_posts = max(result.dup_posts, after.dup_posts)
        result.lost = sorted(set(result.lost) | set(after.lost))
        instance.dispose()
    return result


# Answers naming another profile (issue 17): the fake Instagram answers some profiles with a
# body whose user, and whose posts' owner, is a hostile name.

IMPOSTOR_NAME = "../../../etc/pwned"
IMPOSTOR_SHARE = 20  # one profile in 20


def run_impostor_fault(fault: Fault, world: Any, names: list[str], base: Path) -> Result:
    """The plain run and rerun, with every 20th profile's answer naming IMPOSTOR_NAME; then
    the name must be nowhere: not in the warehouse, not in a path of the data dir."""
    content = world.instagram.content
    real = content.profile_response
    impostors = set(names[3::IMPOSTOR_SHARE])

    def profile_response(username: str, now: float | None = None) -> dict | None:
        body = real(username, now)
        user = (body or {}).get("data", {}).get("user")
        if username.lower() not in impostors or not isinstance(user, dict):
            return body
        body = json.loads(json.dumps(body))
        user = body["data"]["user"]
        user["username"] = IMPOSTOR_NAME
        for edge in (user.get("edge_owner_to_timeline_media") or {}).get("edges") or []:
            if isinstance((edge or {}).get("node", {}).get("owner"), dict):
                edge["node"]["owner"]["username"] = IMPOSTOR_NAME
        return body

    content.profile_response = profile_response
    try:
        result = run_fault(Fault(fault.name, persistent=True), world, names, base)
    finally:
        del content.profile_response  # the class's own again
    leaked = impostor_traces(base / "data")
    result.lost += [f"{IMPOSTOR_NAME} in {where}" for where in leaked]
    result.note = "; ".join(
        t
        for t in (
            result.note,
            f"{len(impostors)} impostor answers, name found in: {', '.join(leaked) or 'nothing'}",
        )
        if t
    )
    return result


def impostor_traces(data_dir: Path) -> list[str]:
    """Where the hostile name got to: warehouse tables holding it, paths containing it."""
    from warehouse.db import connect

    found = [str(p) for p in data_dir.rglob("*pwned*")]
    con = connect(data_dir / "warehouse.duckdb", read_only=True)
    try:
        for table, column in (
            ("profiles", "username"),
            ("posts", "owner_username"),
            ("posts_wide", "owner_username"),
        ):
            hits = con.execute(
                f"select count(*) from {table} where {column} like '%pwned%'"
            ).fetchall()[0][0]
            if hits:
                found.append(f"{table}.{column} ({hits} rows)")
    finally:
        con.close()
    return found


# The secrets fault: padded secrets, then everything the runs wrote searched for them.

SESSION_COOKIE = "sandbox-session"  # the sandbox's logged-in session (SandboxConfig)
PROXY_PASSWORD = "faults-pRoXy-Qz81"  # a value to search for


@contextlib.contextmanager
def captured_output(path: Path) -> Iterator[None]:
    """This process's stdout and stderr (file descriptors: loggers and children too) into
    ``path`` while the block runs."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with path.open("wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def session_requests(data_dir: Path) -> int:
    """Requests the logged-in session sent, from the request log the runs wrote."""
    import polars as pl

    logs = sorted((data_dir / "raw" / "fetch_log").glob("*.parquet"))
    if not logs:
        return 0
    return int(pl.concat([pl.read_parquet(p) for p in logs])["session"].sum())


def run_secrets_fault(
    result: Result, world: Any, given: list[str], base: Path, started: float
) -> Result:
    """The modem token ends in a newline (a Kubernetes secret made from a file), the session's
    JSON cookie export in a space, the proxy URL carries a password; a quarter of the profiles
    are login-walled on every anonymous strategy, so the session serves them. The run and
    its rerun must work and not one of the values may be in anything they wrote: Dagster's
    storage (snapshots included), the raw store, the request log, the warehouse, the output.
    A value found fails the row (noted as LEAKED)."""
    import dagster as dg

    from intrend_assets.instagram.strategies import PROFILE_STRATEGIES
    from sandbox.written import occurrences

    data_dir, home, secrets = base / "data", base / "dagster-home", base / "secrets"
    home.mkdir()
    secrets.mkdir()
    cookies = secrets / "cookies.json"
    cookies.write_text(
        json.dumps(
            [{"name": "sessionid", "value": f"{SESSION_COOKIE} ", "domain": ".instagram.com"}]
        )
    )
    os.chmod(cookies, 0o600)
    urls = world.addresses()
    overrides = {
        "proxy_url": urls["proxy_url"].replace("http://", f"http://intrend:{PROXY_PASSWORD}@"),
        "session_cookies_file": str(cookies),
        "session_pacing_seconds": 0.0,
    }
    walls = {"login_wall": dict.fromkeys(PROFILE_STRATEGIES, 0.7)}
    world.faults.set(**walls)
    instance = dg.DagsterInstance.local_temp(str(home))
    try:
        register(instance, given)
        with captured_output(secrets / "output.txt"):
            ok = materialize(urls, f"{world.modem_token}\n", data_dir, instance, overrides)
        result.runs_ok = ok
        result.seconds = time.monotonic() - started
        audit(result, given, data_dir)
        first = wide_snapshot(data_dir / "warehouse.duckdb")
        world.faults.set(**walls)
        with captured_output(secrets / "rerun-output.txt"):
            ok = materialize(urls, f"{world.modem_token}\n", data_dir, instance, overrides)
        result.runs_ok = result.runs_ok and ok
        result.rerun = compare(first, wide_snapshot(data_dir / "warehouse.duckdb"))
        result.peak_connections = world.peak_proxy_connections
    finally:
        instance.dispose()
        world.reset_faults()
    values = {"token": world.modem_token, "session": SESSION_COOKIE, "proxy": PROXY_PASSWORD}
    found = occurrences(
        [data_dir, home, secrets / "output.txt", secrets / "rerun-output.txt"], values
    )
    places = sum(len(where) for where in found.values())
    result.note = f"{session_requests(data_dir)} requests through the session; secrets found "
    result.note += f"in {places} places" + (f": LEAKED {sorted(found)}" if found else "")
    result.runs_ok = result.runs_ok and not found
    return result


# --- main ---------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    header = [
        "fault",
        "stored",
        "failed (reasons)",
        "lost",
        "dup posts",
        "posts lost",
        "rerun",
        "peak conns",
        "seconds",
    ]
    rows = [
        [
            r.fault + (f" [{r.note}]" if r.note else ""),
            str(r.stored),
            f"{r.failed} ({reasons_text(r.reasons)})" if r.failed else "0",
            str(len(r.lost)) + (f" {r.lost[:3]}" if r.lost else ""),
            str(r.dup_posts),
            str(r.posts_lost),
            r.rerun + ("" if r.runs_ok else " (a run FAILED)"),
            f"{r.peak_connections}/{MAX_CONNECTIONS}",
            f"{r.seconds:.1f}",
        ]
        for r in results
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=200, help="sandbox profiles per run")
    parser.add_argument("--budget", type=int, default=30, help="profile lookups per IP")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", action="append", default=[], help="run faults whose name starts with this"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child)

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    from sandbox.world import SandboxConfig, start_sandbox

    faults = [f for f in FAULTS if not args.only or any(f.name.startswith(o) for o in args.only)]
    config = SandboxConfig(
        profiles=args.profiles + 10,
        seed=args.seed,
        budget=args.budget,
        speed=SPEED,
        rotation_seconds=ROTATION_REAL_SECONDS * SPEED,
    )
    results: list[Result] = []
    total = time.monotonic()
    print(
        f"fault matrix: {args.profiles} profiles (+2 unknown), budget {args.budget}/IP, "
        f"max {MAX_CONNECTIONS} connections",
        flush=True,
    )
    with start_sandbox(config) as world, tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        names = list(world.usernames())[: args.profiles] + list(world.unknown_usernames())[:2]
        for number, fault in enumerate(faults):
            base = Path(tmp) / f"fault-{number:02d}"
            base.mkdir()
            result = run_fault(fault, world, names, base)
            results.append(result)
            print(
                f"  {'ok ' if result.ok else 'BAD'} {fault.name}: {result.stored} stored, "
                f"{result.failed} failed, {len(result.lost)} lost, {result.dup_posts} dup, "
                f"rerun {result.rerun}, {result.seconds:.1f} s",
                flush=True,
            )
    print()
    print_table(results)
    print()
    bad = [r for r in results if not r.ok]
    print(
        f"{len(results) - len(bad)}/{len(results)} faults passed in "
        f"{time.monotonic() - total:.0f} s",
        flush=True,
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
