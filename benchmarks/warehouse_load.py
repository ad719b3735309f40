"""Benchmark: the production load (``posts`` + ``hashtag_daily`` + ``posts_wide``) against
DuckDB's own JSON reader, tuned as its experts would write it.

    python benchmarks/warehouse_load.py                          # 100k and 1M posts, 2 rounds
    python benchmarks/warehouse_load.py --posts 100000 --rounds 3
    python benchmarks/warehouse_load.py --data /tmp/wl           # keep the raw stores
    python benchmarks/warehouse_load.py --parse-workers 0,1,2    # production three ways

Both sides start from the same raw store (one zstd object per answer, a pending marker per
fetch, as ``raw_profile`` leaves them; bodies from ``benchmarks/warehouse_synth.py``, 12
posts per answer) and end with ``hashtag_daily`` and ``posts_wide`` built in a fresh
warehouse file:

- **production**: the three assets materialized in one in-process Dagster run, with the
  resources the code location builds from its settings (so the warehouse's memory limit is
  ``INTREND_WAREHOUSE_MEMORY_LIMIT``'s) — the code users run, publishing included;
- **duckdb**: ``read_ndjson_objects`` on the ``.zst`` objects directly, ``json_transform``
  with the schema given, one pass per slice of files into ``profiles``, ``posts`` and
  ``post_metrics`` (hashtags by an RE2 pattern, not the conformance rules; plain INSERTs,
  no idempotency, no merge; ``post_hashtags`` is a view of posts' lists on both sides), then
  the same two derived tables.

``--parse-workers`` runs production once per value of ``INTREND_PARSE_WORKERS`` in each round
(the setting a deployment tunes to its cores, as DuckDB takes a thread a core by itself).
Rounds alternate production, duckdb, production, duckdb…, each in its own process; a sampler
sums the RSS of that process tree every 50 ms. Wall and CPU seconds (of the child, threads
included, and of the parse processes it starts) cover the load only, not the imports nor
the restoring of the pending markers.
Medians and ratios are printed per size, and whether CPU grows linearly with the posts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

FETCHED = datetime(2026, 6, 1, tzinfo=UTC)
TARGET_RATIO = 0.5
TARGET_RSS_MIB = 1024


# ---------------------------------------------------------------- memory sampling


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


class PeakRss:
    """Samples a process tree's summed RSS in a thread; ``peak`` in bytes."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss(self.pid))


# ---------------------------------------------------------------- data


def generate(root: Path, posts: int) -> dict[str, float]:
    """A raw store holding ``posts`` posts, every fetch pending; the markers are kept in
    ``markers/`` too, so each round can start from the same queue."""
    from unittest import mock

    from warehouse_synth import bodies

    from intrend_assets.raw_store.store import LocalRawStore

    started = time.perf_counter()
    store = LocalRawStore(root / "raw")
    answers = size = 0
    # Generation only: the store's writes fsync each object, which would make building a
    # million-post store take longer than the benchmark itself.
    with mock.patch("os.fsync"):
        for n, (username, body) in enumerate(bodies(posts)):
            obj = store.put(username, FETCHED + timedelta(microseconds=n), body)
            store.mark_pending(obj)
            answers, size = n + 1, size + obj.size
    shutil.copytree(root / "raw" / "pending", root / "markers")
    return {"answers": answers, "zstd_mib": size / 2**20, "seconds": time.perf_counter() - started}


def _restore_queue(root: Path) -> None:
    """Every fetch pending again, nothing else left from a previous round."""
    raw = root / "raw"
    for name in ("pending", "cadence", "failures"):
        shutil.rmtree(raw / name, ignore_errors=True)
    (raw / "pending").mkdir()
    for marker in (root / "markers").iterdir():  # hard links: no data to write
        os.link(marker, raw / "pending" / marker.name)
    for leftover in root.glob("*.duckdb*"):
        leftover.unlink()
    shutil.rmtree(root / "published", ignore_errors=True)


# ---------------------------------------------------------------- production


def run_production(root: Path) -> dict[str, float]:
    """The three assets in one in-process Dagster run, resources from the settings."""
    import dagster as dg

    from intrend_assets.defs.resources import build_resources
    from intrend_assets.defs.warehouse.assets import hashtag_daily, posts_wide
    from intrend_assets.defs.warehouse.posts import posts
    from intrend_assets.settings import IntrendSettings

    settings = IntrendSettings(data_dir=root, raw_dir=root / "raw")
    resources = build_resources(settings)
    with dg.instance_for_test() as instance:
        wall, cpu = time.perf_counter(), _cpu()
        result = dg.materialize(
            [posts, hashtag_daily, posts_wide], resources=resources, instance=instance
        )
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    if not result.success:
        raise SystemExit("the production run failed")
    rows = _posts_wide_rows(settings.resolved_warehouse_path())
    return {"posts": rows, "seconds": wall, "cpu": cpu}


def _cpu() -> float:
    """CPU seconds of this process (all threads) and of its children that have ended (the
    load's parse processes, once it has shut them down)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _posts_wide_rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM posts_wide").fetchall()[0][0])


# ---------------------------------------------------------------- duckdb, tuned

_V, _B, _I = "VARCHAR", "BOOLEAN", "BIGINT"
_NODE = {
    "__typename": _V,
    "id": _V,
    "shortcode": _V,
    "owner": {"id": _V, "username": _V},
    "taken_at_timestamp": _I,
    "edge_media_to_caption": {"edges": [{"node": {"text": _V}}]},
    "edge_liked_by": {"count": _I},
    "edge_media_preview_like": {"count": _I},
    "edge_media_to_comment": {"count": _I},
    "is_video": _B,
    "video_view_count": _I,
    "edge_sidecar_to_children": {"edges": [{"node": {"id": _V}}]},
    "pinned_for_users": ["JSON"],
    "display_url": _V,
    "location": {"id": _V, "name": _V},
    "accessibility_caption": _V,
    "product_type": _V,
}
_USER = {
    "id": _V,
    "username": _V,
    "full_name": _V,
    "biography": _V,
    "edge_followed_by": {"count": _I},
    "edge_follow": {"count": _I},
    "is_private": _B,
    "is_verified": _B,
    "is_business_account": _B,
    "category_name": _V,
    "external_url": _V,
    "profile_pic_url_hd": _V,
    "edge_owner_to_timeline_media": {"count": _I, "edges": [{"node": _NODE}]},
}
_ANSWER = json.dumps({"data": {"user": _USER}})
_HASHTAG_RE2 = r"(?:^|[^\pL\pM\pN_&])[#＃]([\pL\pM\pN_]*[\pL\pM][\pL\pM\pN_]*)"


def run_duckdb(root: Path, memory_limit: str, files_per_slice: int) -> dict[str, float]:
    from warehouse.db import connect
    from warehouse.load import rebuild_hashtag_daily, rebuild_posts_wide

    con = connect(root / "duckdb.duckdb", memory_limit=memory_limit)
    con.execute("SET preserve_insertion_order = false")  # DuckDB's advice for big loads
    files = sorted(str(p) for p in (root / "raw" / "profiles").glob("*/*.json.zst"))
    wall, cpu = time.perf_counter(), _cpu()
    for i in range(0, len(files), files_per_slice):
        _duckdb_slice(con, files[i : i + files_per_slice])
    rebuild_hashtag_daily(con)
    rows = rebuild_posts_wide(con)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    con.close()
    return {"posts": rows, "seconds": wall, "cpu": cpu}


def _duckdb_slice(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    con.begin()
    # One read of the files: the answers flattened once into a temp table, which every
    # table's insert then reads.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _answers AS
        SELECT json_transform(json, $structure).data.user AS u,
               TIMESTAMPTZ '2026-06-01 00:00:00+00' AS fetched_at
        FROM read_ndjson_objects($files, compression = 'zstd',
                                 maximum_object_size = 16777216)
        """,
        {"files": files, "structure": _ANSWER},
    )
    con.execute(
        """
        INSERT INTO profiles BY NAME
        SELECT u.id, u.username, u.full_name, u.biography,
               u.edge_followed_by.count AS followers, u.edge_follow.count AS following,
               u.edge_owner_to_timeline_media.count AS post_count,
               u.is_private, u.is_verified, u.is_business_account, u.category_name,
               u.external_url, u.profile_pic_url_hd AS profile_pic_url,
               fetched_at, fetched_at AS first_seen_at
        FROM _answers;
        INSERT INTO profile_snapshots BY NAME
        SELECT u.id AS profile_id, u.username, fetched_at,
               u.edge_followed_by.count AS followers, u.edge_follow.count AS following,
               u.edge_owner_to_timeline_media.count AS post_count,
               u.is_private, u.is_verified
        FROM _answers;
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _chunk AS
        SELECT n.id AS post_id, post_num_of(n.id) AS post_num, n.shortcode, n.owner.id AS owner_id,
               n.owner.username AS owner_username,
               to_timestamp(n.taken_at_timestamp) AS taken_at,
               n.edge_media_to_caption.edges[1].node.text AS caption,
               regexp_extract_all(caption, '{_HASHTAG_RE2}', 1)[1:30] AS hashtags,
               list_transform(hashtags, lambda t: lower(nfc_normalize(t))) AS hashtags_norm,
               regexp_extract_all(caption, '@([A-Za-z0-9_.]{{1,30}})', 1) AS mentions,
               coalesce(n.edge_liked_by.count, n.edge_media_preview_like.count) AS like_count,
               n.edge_media_to_comment.count AS comment_count,
               CASE n.__typename WHEN 'GraphImage' THEN 'image' WHEN 'GraphVideo' THEN 'video'
                    WHEN 'GraphSidecar' THEN 'sidecar' END AS media_type,
               n.is_video, n.video_view_count,
               CASE WHEN n.__typename = 'GraphSidecar'
                    THEN len(n.edge_sidecar_to_children.edges) END AS child_count,
               len(n.pinned_for_users) > 0 AS is_pinned,
               n.product_type, n.display_url,
               to_timestamp(('0x' || regexp_extract(n.display_url, '[?&]oe=([0-9A-Fa-f]+)', 1))
                            ::BIGINT) AS display_url_expires_at,
               n.location.id AS location_id, n.location.name AS location_name,
               n.accessibility_caption, fetched_at, fetched_at AS first_seen_at
        FROM (SELECT unnest(u.edge_owner_to_timeline_media.edges).node AS n, fetched_at
              FROM _answers);
        INSERT INTO post_metrics BY NAME
        SELECT post_id, fetched_at, like_count, comment_count, video_view_count FROM _chunk;
        INSERT INTO posts BY NAME SELECT * FROM _chunk;
        DROP TABLE _chunk;
        DROP TABLE _answers;
        """
    )
    con.commit()


# ---------------------------------------------------------------- driver


def _child(args: argparse.Namespace) -> None:
    root = Path(args.root)
    _restore_queue(root)
    if args.phase == "production":
        result = run_production(root)
    else:
        result = run_duckdb(root, args.duckdb_memory_limit, args.files_per_slice)
    print(json.dumps(result))


def _run_phase(
    phase: str, root: Path, args: argparse.Namespace, workers: int | None = None
) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--phase", phase, "--root", str(root)]
    cmd += ["--duckdb-memory-limit", args.duckdb_memory_limit]
    cmd += ["--files-per-slice", str(args.files_per_slice)]
    env = dict(os.environ)
    if workers is not None:
        env["INTREND_PARSE_WORKERS"] = str(workers)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    with PeakRss(proc.pid) as rss:
        out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{phase} failed with status {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["rss_mib"] = rss.peak / 2**20
    return result


def _prepare(base: Path, posts: int) -> Path:
    root = base / f"posts-{posts}"
    if (root / "markers").is_dir():
        print(f"reusing the raw store of {posts:,} posts in {root}", flush=True)
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"generating {posts:,} posts in {root} …", flush=True)
    gen = generate(root, posts)
    print(
        f"  {gen['answers']:,} answers, {gen['zstd_mib']:.0f} MiB zstd, {gen['seconds']:.0f} s",
        flush=True,
    )
    return root


def _summary(posts: int, runs: dict[str, list[dict[str, float]]]) -> dict[str, float]:
    """Print the medians and every production phase's ratios; returns CPU per post of each."""
    med = {
        phase: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "cpu", "rss_mib")}
        for phase, rs in runs.items()
    }
    print(f"\n{posts:,} posts, medians of {len(runs['duckdb'])} rounds")
    print(f"{'':<14}{'wall s':>9}{'CPU s':>9}{'posts/s':>11}{'peak RSS MiB':>14}  all wall s")
    for phase, m in med.items():
        walls = ", ".join(f"{r['seconds']:.1f}" for r in runs[phase])
        print(
            f"{phase:<14}{m['seconds']:>9.1f}{m['cpu']:>9.1f}{posts / m['seconds']:>11,.0f}"
            f"{m['rss_mib']:>14.0f}  {walls}"
        )
    per_post = {}
    for phase in (p for p in runs if p != "duckdb"):
        ratio = med["duckdb"]["seconds"] / med[phase]["seconds"]
        cpu_ratio = med["duckdb"]["cpu"] / med[phase]["cpu"]
        rss = max(r["rss_mib"] for r in runs[phase])
        print(
            f"{phase}: throughput /duckdb {ratio:.2f} wall, {cpu_ratio:.2f} CPU "
            f"(target >= {TARGET_RATIO}) {'OK' if ratio >= TARGET_RATIO else 'MISSED'}; "
            f"peak RSS (process tree, worst round) {rss:.0f} MiB "
            f"(target <= {TARGET_RSS_MIB}) {'OK' if rss <= TARGET_RSS_MIB else 'MISSED'}"
        )
        per_post[phase] = med[phase]["cpu"] / posts
    return per_post


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", default="100000,1000000", help="sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per side and size")
    parser.add_argument("--data", help="keep the raw stores here and reuse them next time")
    parser.add_argument("--duckdb-memory-limit", default="1GB", help="the baseline's limit")
    parser.add_argument("--files-per-slice", type=int, default=8000, help="baseline slice")
    parser.add_argument(
        "--parse-workers",
        help="INTREND_PARSE_WORKERS values to run production with, comma-separated "
        "(default: the environment's setting)",
    )
    parser.add_argument("--phase", choices=["production", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        _child(args)
        return 0
    sizes = [int(s) for s in args.posts.split(",")]
    counts = [int(w) for w in args.parse_workers.split(",")] if args.parse_workers else [None]
    phases: list[tuple[str, int | None]] = [
        ("production" if w is None else f"production w{w}", w) for w in counts
    ]
    phases.append(("duckdb", None))
    with tempfile.TemporaryDirectory(prefix="intrend-bench-") as tmp:
        base = Path(args.data) if args.data else Path(tmp)
        per_post = {}
        for posts in sizes:
            root = _prepare(base, posts)
            runs: dict[str, list[dict[str, float]]] = {}
            for round_ in range(args.rounds):
                for phase, workers in phases:
                    result = _run_phase(phase.split()[0], root, args, workers)
                    runs.setdefault(phase, []).append(result)
                    print(f"  round {round_ + 1} {phase}: {json.dumps(result)}", flush=True)
            per_post[posts] = _summary(posts, runs)
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        for phase in per_post[small]:
            growth = per_post[large][phase] / per_post[small][phase]
            print(
                f"\n{phase}: CPU per post at {large:,} / at {small:,}: {growth:.2f} "
                f"(linear: about 1) {'OK' if growth <= 1.25 else 'MISSED'}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
