"""Key lookups: the rows of a few posts, found by one scan of their key column.

``list_contains($ids, post_id)``, the ids bound as a parameter, is matched above the scan
(DuckDB 2.0 plans it as an optional IN filter and a mark join): every row of every column
the statement names is read first. So a lookup names the key column and ``rowid`` alone,
and the statements that need more columns take the rows by rowid, ``rowid IN (SELECT ...)``,
which the scan applies itself, reading only the vectors that hold those rows. Past
:data:`KEY_LOOKUP_MAX` keys (a bulk load, a full refresh) the loads join instead.

There are no indexes on the key: schema/017 dropped them, because the checkpoint that ends
every step rewrote far more for them than they saved (its comment has the figures).
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
        """``(condition, parameters)``: ``column`` is one of the keys; the bound list when
        there is one, else ``IN (subquery)``."""
        if not column.replace(".", "").replace("_", "").isalnum() or not name.isidentifier():
            raise ValueError(f"{column!r} or {name!r} is not a column or parameter name")
        if self.values is None:
            return f"{column} IN ({self.subquery})", {}
        return f"list_contains(${name}, {column})", {name: self.values}
