"""Benchmark: raw zstd answers → posts_wide, our pipeline vs DuckDB's own read_json.

    python benchmarks/warehouse_load.py --posts 1000000
    python benchmarks/warehouse_load.py --posts 20000 --workers 1      # quick run

Both pipelines start from the same synthetic bodies (benchmarks/warehouse_synth.py: shaped
like web_profile_info, 12 posts per answer) and end with the same two steps
(``refresh_hashtag_daily`` and ``rebuild_posts_wide``) in a fresh DuckDB file:

- ours: read each raw object (one zstd file per answer, as the raw store keeps them),
  ``parse_profile`` in ``--workers`` processes, ``load_frames`` per batch (the code path of
  ``load_parsed``: one transaction, delete+insert by key);
- duckdb: the same bodies decompressed beforehand to NDJSON (decompression timed apart),
  ``read_json`` with an explicit STRUCT schema, hashtags with an RE2 regex, plain INSERTs
  (no idempotency, no per-field merge: the fastest DuckDB can do, not a like-for-like).

Each pipeline runs in its own child process; a sampler sums the RSS of that process tree
every 50 ms, so the peak includes the parsing workers. DuckDB's memory_limit is set for both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


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


def generate(workdir: Path, posts: int, chunk: int) -> dict[str, float]:
    import zstandard
    from warehouse_synth import bodies

    raw = workdir / "raw"
    ndjson = workdir / "json"
    raw.mkdir()
    ndjson.mkdir()
    cctx = zstandard.ZstdCompressor(level=3)
    started = time.perf_counter()
    n = raw_bytes = json_bytes = 0
    part = None
    for n, (username, body) in enumerate(bodies(posts)):
        if n % chunk == 0:
            if part:
                part.close()
            part = open(ndjson / f"part-{n // chunk:05d}.ndjson", "wb")  # noqa: SIM115
        packed = cctx.compress(body)
        (raw / f"{username}.json.zst").write_bytes(packed)
        part.write(body + b"\n")
        raw_bytes += len(packed)
        json_bytes += len(body) + 1
    if part:
        part.close()
    return {
        "bodies": n + 1,
        "zstd_mb": raw_bytes / 2**20,
        "json_mb": json_bytes / 2**20,
        "seconds": time.perf_counter() - started,
    }


# ---------------------------------------------------------------- ours


def _parse_batch(paths: list[str]) -> tuple[bytes, bytes]:
    """Worker: parse raw objects; frames travel back as Arrow IPC bytes (cheap to pickle)."""
    import io

    from intrend_assets.parsing.profile import ProfileParseError, parse_profile
    from warehouse.load import posts_frame, profiles_frame

    parsed = []
    for path in paths:
        username = Path(path).name.split(".", 1)[0]
        try:
            parsed.append(
                parse_profile(Path(path).read_bytes(), username=username, fetched_at=1780000000)
            )
        except ProfileParseError:
            continue
    out = []
    for frame in (posts_frame(parsed), profiles_frame(parsed)):
        buf = io.BytesIO()
        frame.write_ipc(buf)
        out.append(buf.getvalue())
    return out[0], out[1]


def _bounded(pool, batches: list[list[str]], window: int):
    """Results in order with at most ``window`` batches in flight: parsed frames must not
    pile up in memory when loading is slower than parsing (Executor.map submits all)."""
    if pool is None:
        yield from map(_parse_batch, batches)
        return
    from collections import deque

    pending: deque = deque()
    for batch in batches:
        pending.append(pool.submit(_parse_batch, batch))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def run_ours(workdir: Path, db: Path, workers: int, batch: int, memory_limit: str) -> dict:
    import io
    from concurrent.futures import ProcessPoolExecutor

    import polars as pl

    from warehouse.db import connect
    from warehouse.load import load_frames, rebuild_posts_wide, refresh_hashtag_daily

    paths = sorted(str(p) for p in (workdir / "raw").iterdir())
    batches = [paths[i : i + batch] for i in range(0, len(paths), batch)]
    con = connect(db)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    started = time.perf_counter()
    loaded = 0
    timings = {"load": 0.0}
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    try:
        for posts_ipc, profiles_ipc in _bounded(pool, batches, window=workers + 1):
            t = time.perf_counter()
            posts = pl.read_ipc(io.BytesIO(posts_ipc))
            profiles = pl.read_ipc(io.BytesIO(profiles_ipc))
            loaded += load_frames(con, posts, profiles).posts
            timings["load"] += time.perf_counter() - t
    finally:
        if pool:
            pool.shutdown()
    t = time.perf_counter()
    refresh_hashtag_daily(con)
    wide = rebuild_posts_wide(con)
    timings["finish"] = time.perf_counter() - t
    seconds = time.perf_counter() - started
    con.close()
    return {"posts": wide, "loaded": loaded, "seconds": seconds, **timings}


# ---------------------------------------------------------------- duckdb read_json

_NODE = (
    "STRUCT(__typename VARCHAR, id VARCHAR, shortcode VARCHAR,"
    " owner STRUCT(id VARCHAR, username VARCHAR), taken_at_timestamp BIGINT,"
    " edge_media_to_caption STRUCT(edges STRUCT(node STRUCT(text VARCHAR))[]),"
    " edge_liked_by STRUCT(count BIGINT), edge_media_preview_like STRUCT(count BIGINT),"
    " edge_media_to_comment STRUCT(count BIGINT), is_video BOOLEAN, video_view_count BIGINT,"
    " edge_sidecar_to_children STRUCT(edges STRUCT(node STRUCT(id VARCHAR))[]),"
    " display_url VARCHAR, location STRUCT(id VARCHAR, name VARCHAR),"
    " accessibility_caption VARCHAR, product_type VARCHAR)"
)
_USER = (
    'STRUCT("user" STRUCT(id VARCHAR, username VARCHAR, full_name VARCHAR,'
    " biography VARCHAR, edge_followed_by STRUCT(count BIGINT),"
    " edge_follow STRUCT(count BIGINT), is_private BOOLEAN, is_verified BOOLEAN,"
    " is_business_account BOOLEAN, category_name VARCHAR, external_url VARCHAR,"
    " edge_owner_to_timeline_media STRUCT(count BIGINT, edges STRUCT(node " + _NODE + ")[])))"
)
_PROFILE_ONLY = (
    'STRUCT("user" STRUCT(id VARCHAR, username VARCHAR, full_name VARCHAR,'
    " biography VARCHAR, edge_followed_by STRUCT(count BIGINT),"
    " edge_follow STRUCT(count BIGINT), is_private BOOLEAN, is_verified BOOLEAN,"
    " is_business_account BOOLEAN, category_name VARCHAR, external_url VARCHAR,"
    " edge_owner_to_timeline_media STRUCT(count BIGINT)))"
)
_HASHTAG_RE2 = r"(?:^|[^\pL\pM\pN_&])[#＃]([\pL\pM\pN_]*[\pL\pM][\pL\pM\pN_]*)"


def run_duckdb(workdir: Path, db: Path, memory_limit: str, files_per_read: int) -> dict:
    from warehouse.db import connect
    from warehouse.load import rebuild_posts_wide, refresh_hashtag_daily

    con = connect(db)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    files = sorted(str(f) for f in (workdir / "json").glob("*.ndjson"))
    started = time.perf_counter()
    # A few files per read_json: one read over 1M posts does not fit even 1 GB.
    for i in range(0, len(files), files_per_read):
        _duckdb_read(con, files[i : i + files_per_read])
    load = time.perf_counter() - started
    t = time.perf_counter()
    refresh_hashtag_daily(con)
    wide = rebuild_posts_wide(con)
    finish = time.perf_counter() - t
    seconds = time.perf_counter() - started
    con.close()
    return {"posts": wide, "seconds": seconds, "load": load, "finish": finish}


def _duckdb_read(con, files: list[str]) -> None:
    glob = files
    con.execute("SET preserve_insertion_order = false")  # DuckDB's advice for big loads
    source = (
        f"read_json($glob, format = 'newline_delimited', columns = {{'data': '{_USER}'}},"
        " maximum_object_size = 16777216)"
    )
    profile_source = source.replace(_USER, _PROFILE_ONLY)
    con.begin()
    # Streamed straight from the files (no materialized bodies table, which cannot fit the
    # memory limit at 1M posts); the profiles take a second, cheaper pass.
    con.execute(
        f"""
        INSERT INTO profiles BY NAME
        SELECT u.id, u.username, u.full_name, u.biography,
               u.edge_followed_by.count AS followers, u.edge_follow.count AS following,
               u.edge_owner_to_timeline_media.count AS post_count,
               u.is_private, u.is_verified, u.is_business_account, u.category_name,
               u.external_url, TIMESTAMPTZ '2026-05-28 20:26:40+00' AS fetched_at,
               TIMESTAMPTZ '2026-05-28 20:26:40+00' AS first_seen_at
        FROM (SELECT data."user" AS u FROM {profile_source})
        """,
        {"glob": glob},
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _chunk AS
        SELECT n.id AS post_id, n.shortcode, n.owner.id AS owner_id,
               n.owner.username AS owner_username,
               to_timestamp(n.taken_at_timestamp) AS taken_at,
               n.edge_media_to_caption.edges[1].node.text AS caption,
               regexp_extract_all(caption, '{_HASHTAG_RE2}', 1)[1:30] AS hashtags,
               list_transform(hashtags, lambda t: lower(nfc_normalize(t))) AS hashtags_norm,
               coalesce(n.edge_liked_by.count, n.edge_media_preview_like.count) AS like_count,
               n.edge_media_to_comment.count AS comment_count,
               CASE n.__typename WHEN 'GraphImage' THEN 'image' WHEN 'GraphVideo' THEN 'video'
                    WHEN 'GraphSidecar' THEN 'sidecar' END AS media_type,
               n.is_video, n.video_view_count,
               CASE WHEN n.__typename = 'GraphSidecar'
                    THEN len(n.edge_sidecar_to_children.edges) END AS child_count,
               n.product_type, n.display_url,
               to_timestamp(('0x' || regexp_extract(n.display_url, '[?&]oe=([0-9A-Fa-f]+)', 1))
                            ::BIGINT) AS display_url_expires_at,
               n.location.id AS location_id, n.location.name AS location_name,
               n.accessibility_caption,
               TIMESTAMPTZ '2026-05-28 20:26:40+00' AS fetched_at,
               TIMESTAMPTZ '2026-05-28 20:26:40+00' AS first_seen_at
        FROM (SELECT unnest(data."user".edge_owner_to_timeline_media.edges).node AS n
              FROM {source})
        """,
        {"glob": glob},
    )
    con.execute(
        """
        INSERT INTO post_hashtags BY NAME
        SELECT post_id, CAST(unnest(generate_series(1, len(hashtags))) AS INTEGER) AS position,
               unnest(hashtags) AS tag, unnest(hashtags_norm) AS tag_norm
        FROM _chunk WHERE len(hashtags) > 0
        """
    )
    con.execute("INSERT INTO posts BY NAME SELECT * FROM _chunk")
    con.execute("DROP TABLE _chunk")
    con.commit()


# ---------------------------------------------------------------- driver


def _child(args: argparse.Namespace) -> None:
    workdir = Path(args.workdir)
    db = workdir / f"{args.phase}.duckdb"
    if args.phase == "ours":
        result = run_ours(workdir, db, args.workers, args.batch, args.memory_limit)
    else:
        result = run_duckdb(workdir, db, args.memory_limit, args.files_per_read)
    print(json.dumps(result))


def _run_phase(phase: str, args: argparse.Namespace, workdir: Path) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--phase",
        phase,
        "--workdir",
        str(workdir),
        "--workers",
        str(args.workers),
        "--batch",
        str(args.batch),
        "--memory-limit",
        args.memory_limit if phase == "ours" else args.duckdb_memory_limit,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    with PeakRss(proc.pid) as rss:
        out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{phase} failed with status {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mib"] = rss.peak / 2**20
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="parsing processes for our pipeline",
    )
    parser.add_argument("--batch", type=int, default=1000, help="answers per load transaction")
    parser.add_argument("--chunk", type=int, default=2000, help="answers per NDJSON file")
    parser.add_argument("--memory-limit", default="256MB", help="DuckDB memory_limit, ours")
    parser.add_argument(
        "--duckdb-memory-limit",
        default="1GB",
        help="DuckDB memory_limit for the read_json baseline (it fails at 1M posts in 512MB)",
    )
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument(
        "--files-per-read",
        type=int,
        default=4,
        help="NDJSON files (of --chunk answers) per read_json call in the baseline",
    )
    parser.add_argument("--phases", default="ours,duckdb", help="which pipelines to run")
    parser.add_argument(
        "--data", help="keep the generated answers here and reuse them on the next run"
    )
    parser.add_argument("--phase", choices=["ours", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        _child(args)
        return 0

    with tempfile.TemporaryDirectory(prefix="intrend-bench-") as tmp:
        workdir = Path(args.data) if args.data else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if (workdir / "done").exists() and (workdir / "done").read_text() == str(args.posts):
            print(f"reusing {args.posts:,} generated posts in {workdir}", flush=True)
        else:
            for name in ("raw", "json"):
                if (workdir / name).exists():
                    shutil.rmtree(workdir / name)
            print(f"generating {args.posts:,} posts …", flush=True)
            gen = generate(workdir, args.posts, args.chunk)
            (workdir / "done").write_text(str(args.posts))
            print(
                f"  {gen['bodies']:,} answers, {gen['zstd_mb']:.0f} MiB zstd / "
                f"{gen['json_mb']:.0f} MiB JSON, {gen['seconds']:.1f} s",
                flush=True,
            )
        for db in workdir.glob("*.duckdb*"):
            db.unlink()
        phases = args.phases.split(",")
        ours = _run_phase("ours", args, workdir) if "ours" in phases else None
        print(f"  ours: {json.dumps(ours)}", flush=True)
        duck = _run_phase("duckdb", args, workdir) if "duckdb" in phases else None
        print(f"  duckdb: {json.dumps(duck)}", flush=True)
        if ours is None or duck is None:
            return 0
        for db in workdir.glob("*.duckdb*"):
            db.unlink()

    ours_rate = ours["posts"] / ours["seconds"]
    duck_rate = duck["posts"] / duck["seconds"]
    print()
    print(f"{'pipeline':<34}{'posts':>10}{'seconds':>10}{'posts/s':>12}{'peak RSS MiB':>14}")
    print(
        f"{'ours (zstd→parse→load_frames)':<34}{ours['posts']:>10,}{ours['seconds']:>10.1f}"
        f"{ours_rate:>12,.0f}{ours['peak_rss_mib']:>14.0f}"
    )
    print(
        f"{'duckdb read_json (NDJSON)':<34}{duck['posts']:>10,}{duck['seconds']:>10.1f}"
        f"{duck_rate:>12,.0f}{duck['peak_rss_mib']:>14.0f}"
    )
    print(
        f"  ours: load {ours['load']:.1f} s in the main process, "
        f"hashtag_daily + posts_wide {ours['finish']:.1f} s, {args.workers} parse workers"
    )
    print(
        f"  duckdb: read_json+insert {duck['load']:.1f} s, "
        f"hashtag_daily + posts_wide {duck['finish']:.1f} s (decompression not counted)"
    )
    ratio = ours_rate / duck_rate
    print(f"ratio ours/duckdb: {ratio:.2f} (target ≥ 0.5) {'OK' if ratio >= 0.5 else 'MISSED'}")
    peak = ours["peak_rss_mib"]
    print(
        f"peak RSS of our pipeline (main + workers): {peak:.0f} MiB (target ≤ 1024) "
        f"{'OK' if peak <= 1024 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
