"""Benchmark: does an incremental update cost the same however big the warehouse is?

    python benchmarks/incremental.py                          # 1,000 vs 4,000 profiles
    python benchmarks/incremental.py --runs 3 --profiles 500 2000
    python benchmarks/incremental.py --repo /work/main        # the same, on another checkout
    python benchmarks/incremental.py --repo /work/a /work/b   # two checkouts, runs alternated
    python benchmarks/incremental.py --cache /tmp/incr-bench  # keep the built warehouses
    python benchmarks/incremental.py --statements 25          # and where the growth goes
    python benchmarks/incremental.py --steady-profiles        # profiles' counts unchanged

Two warehouses are built through the production load (synthetic answers of
``warehouse_synth.bodies``, ``--posts-per-profile`` posts each, parsed and loaded by
``load_parsed``, then ``hashtag_daily`` and ``posts_wide`` rebuilt whole). Each measurement
is a fresh process that copies one warehouse (not timed), queues 10 new fetches in a raw
store (not timed) and times the update the pipeline runs after a fetch of 10 profiles, one
phase per asset, calling the functions the assets call:

- ``load``: ``to_load`` + ``load_queue`` (the ``posts`` asset: parse, load, mark);
- ``hashtag_daily``: ``refresh_hashtag_daily``;
- ``posts_wide``: ``refresh_posts_wide``;
- ``checks``: every warehouse asset check (``evaluate`` of the asset-check step).

Each phase opens a connection of its own and closes it inside its timing, as each asset's
step does: the close checkpoints what the phase wrote, a cost that follows how many row
groups the writes touched (an UPDATE of rows spread over the table rewrites all of them).

Publishing (a file copy after each writing step, proportional to the file by nature) is left
out. Each fetch brings 12 posts: 9 the warehouse holds (new metrics, edited captions so that
tags come and go, some moved to another day) and 3 new ones, with new follower counts: so
``posts_wide`` rewrites every row of the 10 profiles (``--steady-profiles`` keeps the counts
the warehouse holds, as a timeline page or a quiet profile does: only the fetched posts' rows
are rewritten). The sizes alternate, their order flipped every round; printed are the
medians per phase and the ratio of the largest size's total to the smallest's (target ≤
1.1), in wall time and in CPU time (the process's, DuckDB's threads included: what the
update costs, which a machine busy with other work disturbs less), with the range 90% of
resamples of the runs give the ratio (how far the verdict would hold if taken again).

``--statements N`` also times every statement the phases send (a thin wrapper around each
phase's connection) and prints the N whose median grew most from the smallest size to the
largest, then each phase split into its statements, its connection's close (the
checkpoint) and the rest (opening the warehouse, Python): what to look at when the ratio
misses.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 1.1
UPDATED = 10
PHASES = ("load", "hashtag_daily", "posts_wide", "checks")


def _use_repo(repo: Path) -> None:
    sys.path[:0] = [str(repo), str(HERE)]


def build(path: Path, profiles: int, per_profile: int) -> None:
    """A warehouse of ``profiles`` × ``per_profile`` posts at ``path`` (kept if it exists)."""
    if path.exists():
        return
    from warehouse_synth import AS_OF, bodies

    from intrend_assets.parsing.profile import parse_profile
    from warehouse.db import connect
    from warehouse.load import load_parsed, rebuild_posts_wide, refresh_hashtag_daily

    print(f"building {path.name} …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = connect(partial)
    batch = []
    fetched = AS_OF - timedelta(days=1)
    for username, body in bodies(profiles * per_profile, posts_per_body=per_profile, seed=1):
        batch.append(parse_profile(body, fetched_at=fetched, username=username))
        if len(batch) == 250:
            load_parsed(con, batch)
            batch = []
    load_parsed(con, batch)
    # Each step in a connection of its own, as the assets run them: at 800k posts, the
    # posts_wide rebuild in the connection that had loaded them, or rebuilt hashtag_daily,
    # ran out of INTREND_WAREHOUSE_MEMORY_LIMIT (it takes 9.5 s in a fresh one).
    con.close()
    con = connect(partial)
    rebuild = getattr(sys.modules["warehouse.load"], "rebuild_hashtag_daily", None)
    (rebuild or refresh_hashtag_daily)(con)
    con.close()
    con = connect(partial)
    rebuild_posts_wide(con)
    con.execute("DELETE FROM posts_wide_stale")
    con.execute("CHECKPOINT")
    con.close()
    partial.rename(path)
    print(f"  {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def update_bodies(
    profiles: int, per_profile: int, seed: int, stored: dict[str, tuple[Any, ...]] | None = None
) -> list[tuple[str, bytes]]:
    """Fresh answers of ``UPDATED`` profiles spread over the warehouse: 9 known posts with
    new content (``bodies`` with another seed: new captions, metrics, times) and 3 new ones.
    The profiles' counts are new too, unless ``stored`` gives each profile's attributes
    (:data:`STORED_PROFILE`) to keep."""
    from warehouse_synth import bodies

    step = profiles // UPDATED
    wanted = {p * step for p in range(UPDATED)}
    out = []
    for index, (username, body) in enumerate(bodies(profiles * 12, posts_per_body=12, seed=seed)):
        if index not in wanted:
            continue
        data = json.loads(body)
        edges = data["data"]["user"]["edge_owner_to_timeline_media"]["edges"]
        for number, edge in enumerate(edges[9:]):
            edge["node"]["id"] = str(int(edge["node"]["id"]) + per_profile + number)
        if stored is not None:
            _keep_profile(data["data"]["user"], stored[username])
        out.append((username, json.dumps(data).encode()))
        if len(out) == UPDATED:
            break
    return out


# The profile attributes posts_wide copies, as the warehouse holds them, for --steady-profiles.
STORED_PROFILE = (
    "SELECT username, full_name, followers, following, post_count, is_verified, is_private, "
    "is_business_account, category_name FROM profiles"
)


def _keep_profile(user: dict[str, Any], stored: tuple[Any, ...]) -> None:
    """Give the answer's ``user`` the attributes the warehouse holds (``STORED_PROFILE``)."""
    full_name, followers, following, post_count, verified, private, business, category = stored
    user.update(full_name=full_name, is_verified=verified, is_private=private)
    user.update(is_business_account=business, category_name=category)
    user["edge_followed_by"]["count"] = followers
    user["edge_follow"]["count"] = following
    user["edge_owner_to_timeline_media"]["count"] = post_count


class _TimedConnection:
    """A DuckDB connection that logs ``(phase, statement, seconds)`` for each ``execute``
    (and ``begin``, ``commit``, ``rollback``); everything else goes to the connection
    (``execute`` returns the wrapper, as DuckDB's returns the connection, so
    ``con.execute(...).fetchall()`` reads through it)."""

    def __init__(self, con: Any, phase: str, log: list[tuple[str, str, float]]) -> None:
        self._con, self._phase, self._log = con, phase, log

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> _TimedConnection:
        started = time.perf_counter()
        try:
            self._con.execute(sql, *args, **kwargs)
        finally:
            text = " ".join(str(sql).split())[:STATEMENT_CHARS]
            self._log.append((self._phase, text, time.perf_counter() - started))
        return self

    def _timed(self, name: str) -> _TimedConnection:
        started = time.perf_counter()
        try:
            getattr(self._con, name)()
        finally:
            self._log.append((self._phase, f"({name})", time.perf_counter() - started))
        return self

    def begin(self) -> _TimedConnection:
        return self._timed("begin")

    def commit(self) -> _TimedConnection:
        return self._timed("commit")

    def rollback(self) -> _TimedConnection:
        return self._timed("rollback")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


# How much of each statement names it in the --statements report.
STATEMENT_CHARS = 100
CLOSE, REST = "(close: the checkpoint)", "(the rest: open, Python)"


def worker(
    db: Path,
    profiles: int,
    per_profile: int,
    seed: int,
    statements: bool = False,
    steady: bool = False,
) -> dict[str, Any]:
    """Copy ``db``, queue the update, and time its phases in this process (and, with
    ``statements``, each statement, its close and the rest); ``steady``: the updated
    profiles keep the attributes the warehouse holds."""
    from warehouse_synth import AS_OF

    from intrend_assets.defs.warehouse.checks import WAREHOUSE_CHECKS, evaluate
    from intrend_assets.loading.queue import LoadReport, load_queue, to_load
    from intrend_assets.raw_store.store import LocalRawStore
    from warehouse.db import connect
    from warehouse.load import refresh_hashtag_daily, refresh_posts_wide

    with tempfile.TemporaryDirectory(prefix="intrend-incr-") as tmp:
        copy = Path(tmp) / "warehouse.duckdb"
        shutil.copyfile(db, copy)
        # On disk before the timing: the first checkpoint's fsync would otherwise write the
        # whole copy back (a cost that grows with the file, and that a warehouse the pipeline
        # keeps writing does not pay).
        fd = os.open(copy, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        store = LocalRawStore(Path(tmp) / "raw")
        fetched = AS_OF + timedelta(hours=seed)
        stored = None
        if steady:
            import duckdb

            with duckdb.connect(str(copy), read_only=True) as con:
                stored = {r[0]: r[1:] for r in con.execute(STORED_PROFILE).fetchall()}
        for username, body in update_bodies(profiles, per_profile, seed, stored):
            store.mark_pending(store.put(username, fetched, body))
        con = connect(copy)
        con.execute("CHECKPOINT")  # a schema the open just applied is not the update's work
        con.close()
        keys = {check.spec.key for check in WAREHOUSE_CHECKS}
        times: dict[str, float] = {}
        cpu: dict[str, float] = {}
        report = LoadReport()
        results: list[bool] = []
        log: list[tuple[str, str, float]] = []

        def timed(phase: str, run: Any) -> None:
            # A connection of the phase's own, opened and closed inside the timing, as the
            # asset's step does: closing checkpoints what the phase wrote into the file.
            started, started_cpu = time.perf_counter(), time.process_time()
            con = connect(copy)
            try:
                run(_TimedConnection(con, phase, log) if statements else con)
            finally:
                closing = time.perf_counter()
                con.close()
                log.append((phase, CLOSE, time.perf_counter() - closing))
            times[phase] = time.perf_counter() - started
            cpu[phase] = time.process_time() - started_cpu

        todo, pending = to_load(store, False)
        timed("load", lambda con: list(load_queue(con, store, todo, pending, report)))
        timed("hashtag_daily", refresh_hashtag_daily)
        timed("posts_wide", refresh_posts_wide)
        timed("checks", lambda con: results.extend(r.passed for r in evaluate(con, keys)))
        passed = bool(results) and all(results)
    out = {"times": times, "cpu": cpu, "posts": report.posts, "checks_passed": passed}
    if statements:
        per: dict[str, float] = {}
        for phase, text, seconds in log:
            key = f"{phase}\t{text}"
            per[key] = per.get(key, 0.0) + seconds
        for phase in PHASES:  # what no statement and no close accounts for
            accounted = sum(v for k, v in per.items() if k.startswith(f"{phase}\t"))
            per[f"{phase}\t{REST}"] = times[phase] - accounted
        out["statements"] = per
    return out


def _spawn(args: argparse.Namespace, repo: Path, db: Path, profiles: int, seed: int) -> Any:
    command = [sys.executable, __file__, "--worker", str(db), "--repo", str(repo)]
    command += ["--profiles", str(profiles), "--posts-per-profile", str(args.posts_per_profile)]
    command += ["--seed", str(seed)]
    if args.statements:
        command += ["--statements", str(args.statements)]
    if args.steady_profiles:
        command += ["--steady-profiles"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _build_all(args: argparse.Namespace, folder: Path) -> dict[int, Path]:
    """The warehouses of every size, built by this checkout's code (named by its schema)."""
    from warehouse.db import schema_digest, schema_statements

    tag = schema_digest(schema_statements())[:10]
    dbs = {}
    for n in args.profiles:
        dbs[n] = folder / f"incr_{n}x{args.posts_per_profile}_{tag}.duckdb"
        build(dbs[n], n, args.posts_per_profile)
    return dbs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--posts-per-profile", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5, help="processes per size")
    parser.add_argument(
        "--repo",
        type=Path,
        nargs="+",
        default=[HERE.parent],
        help="checkouts to measure; with two or more, their runs alternate too",
    )
    parser.add_argument("--cache", help="keep the built warehouses in this folder")
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="also print the N statements whose time grew most, and each phase's split",
    )
    parser.add_argument(
        "--steady-profiles",
        action="store_true",
        help="the updated profiles keep their attributes (a page, or counts that stood "
        "still): only their posts' rows of posts_wide need rewriting",
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.repo = [r.resolve() for r in args.repo]
    if args.worker or args.build:
        _use_repo(args.repo[0])
    if args.worker:
        result = worker(
            args.worker,
            args.profiles[0],
            args.posts_per_profile,
            args.seed,
            statements=args.statements > 0,
            steady=args.steady_profiles,
        )
        print(json.dumps(result))
        return 0
    if args.build:
        print(json.dumps({n: str(p) for n, p in _build_all(args, args.build).items()}))
        return 0

    with tempfile.TemporaryDirectory(prefix="intrend-incr-") as tmp:
        folder = Path(args.cache or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        dbs = {}
        for repo in args.repo:  # each checkout builds with its own code, in its own process
            command = [sys.executable, __file__, "--build", str(folder), "--repo", str(repo)]
            command += ["--profiles", *map(str, args.profiles)]
            command += ["--posts-per-profile", str(args.posts_per_profile)]
            done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
            built = json.loads(done.stdout.strip().splitlines()[-1])
            dbs[repo] = {int(n): Path(p) for n, p in built.items()}
        runs: dict[Path, dict[int, list[dict[str, Any]]]] = {
            repo: {n: [] for n in args.profiles} for repo in args.repo
        }
        for round_ in range(args.runs):
            flip = round_ % 2 == 1
            for repo in args.repo[::-1] if flip else args.repo:
                for n in args.profiles[::-1] if flip else args.profiles:
                    runs[repo][n].append(_spawn(args, repo, dbs[repo][n], n, seed=2 + round_))
    code = 0
    for repo in args.repo:
        code |= report(args, repo, runs[repo])
    if len(args.repo) > 1:
        compare(args, runs)
    if args.statements and len(args.profiles) > 1:
        for repo in args.repo:
            growth(args, repo, runs[repo])
    return code


def growth(args: argparse.Namespace, repo: Path, results: dict[int, list[dict[str, Any]]]) -> None:
    """The statements whose median grew most from the smallest size to the largest, then
    each phase's statements, close and rest at both sizes (medians of the runs; a statement
    a run did not send counts 0 in it)."""
    small, large = min(results), max(results)

    def median(n: int, key: str) -> float:
        return statistics.median(r["statements"].get(key, 0.0) for r in results[n]) * 1000

    keys = {k for n in (small, large) for r in results[n] for k in r["statements"]}
    rows = sorted(((median(large, k) - median(small, k), k) for k in keys), reverse=True)
    print(f"\nstatements, {repo.name}: median ms at {small} and {large} profiles, and the growth")
    for grew, key in rows[: args.statements]:
        phase, text = key.split("\t", 1)
        before, after = median(small, key), median(large, key)
        print(f"  {grew:+7.1f} {before:7.1f} {after:7.1f}  {phase}: {text}")
    for phase in PHASES:
        parts = []
        for n in (small, large):
            mine = [k for k in keys if k.startswith(f"{phase}\t")]
            said = sum(median(n, k) for k in mine if not k.endswith((CLOSE, REST)))
            close, rest = median(n, f"{phase}\t{CLOSE}"), median(n, f"{phase}\t{REST}")
            parts.append(f"{n}: statements {said:.0f}, close {close:.0f}, rest {rest:.0f}")
        print(f"  {phase}: " + "; ".join(parts) + " ms")


def compare(args: argparse.Namespace, runs: dict[Path, dict[int, list[dict[str, Any]]]]) -> None:
    """Each checkout's median total against the first's, size by size."""
    first = args.repo[0]
    for repo in args.repo[1:]:
        for n in args.profiles:
            ratios = []
            for clock in ("times", "cpu"):
                base = statistics.median(sum(r[clock].values()) for r in runs[first][n])
                other = statistics.median(sum(r[clock].values()) for r in runs[repo][n])
                ratios.append(f"{other / base:.2f}x {'wall' if clock == 'times' else 'CPU'}")
            print(f"  {repo.name} / {first.name} at {n} profiles: {', '.join(ratios)}")


def ratio_interval(
    small: list[float], large: list[float], *, draws: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """The 5th and 95th percentiles of the ratio of the medians, ``large`` over ``small``,
    over resamples of the runs (each size's drawn with replacement).

    The ratio's target leaves a margin of 10%, about what the totals of two runs of one size
    differ by on a shared machine; the interval says whether a verdict would hold if the
    runs were taken again, which a single ratio cannot."""
    rng = random.Random(seed)
    ratios = sorted(
        statistics.median(rng.choices(large, k=len(large)))
        / statistics.median(rng.choices(small, k=len(small)))
        for _ in range(draws)
    )
    return ratios[int(0.05 * draws)], ratios[int(0.95 * draws) - 1]


def report(args: argparse.Namespace, repo: Path, results: dict[int, list[dict[str, Any]]]) -> int:
    print(f"update of {UPDATED} profiles, {args.posts_per_profile} posts per profile, {repo}")
    ratios = {}
    # Wall time is what the pipeline waits; CPU time (of this process, DuckDB's threads
    # included) is what it costs, and what a machine shared with other work still shows.
    for clock, label in (("times", "wall"), ("cpu", "CPU")):
        totals, each = {}, {}
        for n, runs in results.items():
            medians = {p: statistics.median(r[clock][p] for r in runs) for p in PHASES}
            each[n] = [sum(r[clock].values()) for r in runs]
            totals[n] = statistics.median(each[n])
            phases = ", ".join(f"{p} {medians[p] * 1000:.0f}" for p in PHASES)
            passed = all(r["checks_passed"] for r in runs)
            print(
                f"  {label:>4} {n:>6} profiles: total {totals[n] * 1000:.0f} ms ({phases} ms)",
                end="",
            )
            print(f"; checks passed: {'yes' if passed else 'NO'}")
        small = min(totals)
        for n in sorted(totals)[1:]:
            ratio = totals[n] / totals[small]
            ratios[label] = max(ratios.get(label, 0.0), ratio)
            verdict = "OK" if ratio <= TARGET_RATIO else "MISSED"
            low, high = ratio_interval(each[small], each[n])
            print(
                f"  {label} ratio {n}/{small}: {ratio:.2f}x (90% of resamples of the runs "
                f"{low:.2f}-{high:.2f}x; target ≤ {TARGET_RATIO}): {verdict}"
            )
    return 0 if ratios.get("wall", 0.0) <= TARGET_RATIO else 1


if __name__ == "__main__":
    if "DAGSTER_HOME" in os.environ:  # a worker: its parent made one
        raise SystemExit(main())
    with tempfile.TemporaryDirectory(prefix="intrend-incr-dagster-") as home:
        os.environ["DAGSTER_HOME"] = home
        raise SystemExit(main())
