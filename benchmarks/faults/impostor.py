"""Row 14: answers naming another profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.faults.common import Fault, Result
from benchmarks.faults.plain import run_plain

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
        result = run_plain(Fault(fault.name, persistent=True), world, names, base)
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
