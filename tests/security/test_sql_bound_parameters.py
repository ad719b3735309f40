"""No value is ever formatted into SQL: a grep-style check over every module that runs SQL.

Every call whose argument is SQL built by an f-string, ``str.format``, ``%`` or ``+`` is
found by walking the AST of ``warehouse/`` and ``intrend_assets/``. Values must travel as
bound parameters (``$name``/``?``) or registered Arrow tables; the only interpolations
allowed are identifiers from constants, each listed below with where it comes from, and a
new one fails this test until someone reviews it and adds it here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("warehouse", "intrend_assets", "modem_service")
SQL = re.compile(r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE|DROP|ALTER|FROM|WHERE)\b", re.I)
# Calls that run SQL: DuckDB's and SQLAlchemy's, and the warehouse's one-value helpers.
RUNS_SQL = {"execute", "executemany", "sql", "query", "text", "_row", "scalar", "_rows"}

# (file, interpolated expression) -> why it is not a value.
REVIEWED = {
    ("warehouse/load/posts.py", "collapse"): "built from the constant _PROFILE_MERGED column names",
    ("warehouse/load/posts.py", "columns"): "built from the constant _PROFILE_MERGED column names",
    ("warehouse/load/posts.py", "changed"): "built from the constant WIDE_PROFILE_COLUMNS names",
    ("warehouse/load/posts.py", "KNOWN_BY_KEY"): "_find_known: the constant SELECT",
    ("warehouse/load/posts.py", "among"): "_find_known: post_ids_among's condition, ids bound",
    ("warehouse/load/posts.py", "earliest"): "_backdate_first_seen: the constant SELECT",
    ("warehouse/load/network.py", "table"): "_load_keyed: 'fetch_log' or 'ip_log', its callers",
    ("warehouse/load/network.py", "match"): "_load_keyed: key column names from *_KEY constants",
    ("warehouse/checks.py", "table"): "taken_at_valid: checked against a fixed whitelist",
    ("warehouse/checks.py", "where"): "_scope: 'TRUE' or the constant _REFRESHED subquery",
    ("warehouse/checks.py", "nulls_where"): "_unique_post_id: 'FALSE' or a constant condition",
    ("warehouse/checks.py", "num_wrong"): "_unique_post_id: 'FALSE' or a constant condition",
    ("warehouse/load/changes.py", "written"): "record_refresh: a caller's temp table, isidentifier",
    ("warehouse/load/changes.py", "where"): "mark_changed: one of two constant conditions",
    ("warehouse/load/changes.py", "marked"): "mark_posts: a caller's relation, isidentifier",
    ("warehouse/load/changes.py", "state"): "mark_posts: a caller's relation, isidentifier",
    ("warehouse/checks.py", "cache"): "_rows_of: '_checked_rows_' + a whitelisted table name",
    ("warehouse/checks.py", "name"): "reads_shared: the temp tables _rows_of named",
    ("warehouse/db.py", "name"): "_drop_replaced_tables: the constant REPLACED_BY_VIEWS",
    ("warehouse/load/daily.py", "_CONTRIBUTIONS"): "rebuild_hashtag_daily: the constant SELECT",
    ("warehouse/load/wide.py", "where"): "_insert_rows: Keys.among, checked names or $ids",
    ("warehouse/load/wide.py", "of_post"): "_find_rows: Keys.among, checked names or $ids",
    ("warehouse/load/wide.py", "of_owner"): "_find_rows: Keys.among, checked or $owners",
    ("warehouse/load/terms.py", "where"): "delete_rows/add_terms: Keys.among, checked or $ids",
    ("warehouse/tables.py", "table"): "replace_table: checked against DERIVED_TABLES",
    ("warehouse/publish.py", "source"): "_rewrite: current_database(), quoted (DuckDB's own name)",
    ("warehouse/publish.py", "alias"): "_rewrite: 'publish_' + uuid hex, made in the function",
}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _text(node: ast.AST) -> str | None:
    """The literal text of a string expression (f-string parts joined), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _interpolations(node: ast.AST) -> list[ast.AST] | None:
    """Expressions spliced into a SQL string, or None when ``node`` is not built SQL."""
    if isinstance(node, ast.JoinedStr):
        text = _text(node) or ""
        if SQL.search(text):
            return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        text = _text(node.left) or _text(node.right) or ""
        if SQL.search(text):
            return [node.right if _text(node.left) else node.left]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and SQL.search(_text(node.func.value) or "")
    ):
        return [*node.args, *(k.value for k in node.keywords)]
    return None


def _findings() -> list[tuple[str, int, str]]:
    found = []
    for path in _sources():
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) in RUNS_SQL
        ]
        for call in calls:
            for node in [*call.args, *(k.value for k in call.keywords)]:
                spliced = _interpolations(node)
                if not spliced:
                    continue
                for expr in spliced:
                    # Names inside the spliced expression (a generator's loop variable included).
                    names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
                    for name in names or {ast.unparse(expr)}:
                        found.append((rel, node.lineno, name))
    return found


def test_sql_is_only_built_from_reviewed_identifiers() -> None:
    unreviewed = [f for f in _findings() if (f[0], f[2]) not in REVIEWED]
    assert not unreviewed, (
        "SQL built with values spliced in (use bound parameters, or review and list it): "
        f"{unreviewed}"
    )


def test_every_reviewed_interpolation_still_exists() -> None:
    found = {(f[0], f[2]) for f in _findings()}
    assert set(REVIEWED) <= found, f"stale entries: {set(REVIEWED) - found}"


def test_the_scan_finds_what_it_must() -> None:
    bad = ast.parse(
        "con.execute(f\"SELECT * FROM posts WHERE owner_username = '{name}'\")\n"
        'con.execute("DELETE FROM posts WHERE id = %s" % post_id)\n'
        'con.execute("SELECT {} FROM t".format(col))\n'
        'con.execute("SELECT * FROM t WHERE a = \'" + value + "\'")\n'
    )
    spliced = [_interpolations(n) for n in ast.walk(bad)]
    names = {ast.unparse(e) for s in spliced if s for e in s}
    assert {"name", "post_id", "col", "value"} <= names


def test_the_identifier_gates_refuse_hostile_names() -> None:
    from warehouse.checks import taken_at_valid
    from warehouse.db import connect
    from warehouse.tables import replace_table

    con = connect(":memory:")
    try:
        with pytest.raises(ValueError):
            replace_table(con, "fetch_stats; DROP TABLE posts; --", pl.DataFrame({"a": [1]}))
        with pytest.raises(ValueError):
            taken_at_valid(con, table="posts; DROP TABLE posts")
        assert con.execute("select count(*) from posts").fetchone() == (0,)
    finally:
        con.close()


def test_named_queries_bind_their_parameters() -> None:
    from warehouse.db import connect
    from warehouse.queries import QueryError, run_query

    hostile = "1); DROP TABLE posts; --"
    con = connect(":memory:")
    try:
        run_query(con, "rising_hashtags", recent_days=7)
        with pytest.raises(QueryError):
            run_query(con, "rising_hashtags", recent_days=hostile)
        with pytest.raises(QueryError):
            run_query(con, "rising_hashtags", **{"recent_days; DROP TABLE posts": 1})
        assert con.execute("select count(*) from posts").fetchone() == (0,)
    finally:
        con.close()
