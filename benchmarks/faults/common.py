"""What every row shares: the row's types, the pipeline run, the audit and the rerun."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # this checkout's code, not whatever the venv has installed
    sys.path.insert(0, str(ROOT))

HOSTILE = ["../etc", "a b", "'; drop table posts; --", "x" * 31, ""]
WIDE_VOLATILE = ("metrics_fetched_at", "first_seen_at")  # load timestamps, not content
SPEED = 1e-6  # sandbox seconds per real second: the clock stands still
ROTATION_REAL_SECONDS = 0.3
MAX_CONNECTIONS = 8
MAX_RSS_BYTES = 1 << 30  # peak memory of the process under a bomb


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


def given_names(fault: Fault, world: Any, names: list[str]) -> list[str]:
    """The names a row's run is given (its extra names in the middle), on a world with every
    fault switch off."""
    given = list(names)
    if fault.extra_names:
        extra = fault.extra_names(world)
        middle = len(given) // 2
        given = given[:middle] + extra + given[middle:]
    world.reset_faults()
    return given
