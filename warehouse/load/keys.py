"""Key lookups: the rows of a few posts found through an ART index instead of a scan.

DuckDB answers a filter on an indexed column from its ART index when the filter is a list
of constants matching at most ``index_scan_max_count`` rows (2,048 by default):
``list_contains($ids, post_id)`` with the ids bound as a parameter is one; a join, or an
``IN (SELECT ...)``, is not, and reads the whole column. An update of a few profiles then
costs what it changed, not what the warehouse holds. Past that many keys (a bulk load, a
full refresh) one scan beats as many lookups, and the loads join as before.
The indexes: ``warehouse/schema/014_post_key_indexes.sql``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KEY_LOOKUP_MAX = 2048


def lookup_ids(ids: Iterable[str | None]) -> list[str] | None:
    """The distinct ids as a list to bind as ``$ids`` when few enough to look up by key,
    else None (the caller joins)."""
    distinct = list(dict.fromkeys(i for i in ids if i is not None))
    return distinct if len(distinct) <= KEY_LOOKUP_MAX else None


@dataclass(frozen=True)
class Keys:
    """Some keys as SQL can match them: ``subquery`` lists them (one column), ``values`` holds
    them when few enough to bind (:func:`lookup_ids`), None when the caller must join."""

    subquery: str
    values: list[str] | None = None

    @classmethod
    def of(
        cls, relation: str, column: str = "post_id", values: Iterable[str | None] | None = None
    ) -> Keys:
        """The keys in ``column`` of the relation named ``relation``; ``values``, when the
        caller has them, are bound if few enough."""
        if not (relation.isidentifier() and column.isidentifier()):
            raise ValueError(f"{relation!r}.{column!r} is not a relation and column name")
        bound = None if values is None else lookup_ids(values)
        return cls(f"SELECT {column} FROM {relation}", bound)  # noqa: S608 - checked names

    def among(self, column: str, name: str = "ids") -> tuple[str, dict[str, Any]]:
        """``(condition, parameters)``: ``column`` is one of the keys; a lookup in the
        column's index (or a filter inside its scan) when bound, else ``IN (subquery)``."""
        if not column.replace(".", "").replace("_", "").isalnum() or not name.isidentifier():
            raise ValueError(f"{column!r} or {name!r} is not a column or parameter name")
        if self.values is None:
            return f"{column} IN ({self.subquery})", {}
        return f"list_contains(${name}, {column})", {name: self.values}
