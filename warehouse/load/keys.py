"""Key lookups: the rows of a few posts, found by one scan of their key column.

``list_contains($ids, post_id)``, the ids bound as a parameter, is matched above the scan
(DuckDB 2.0 plans it as an optional IN filter and a mark join; ``IN (SELECT unnest($ids))``
as a semi join): every row of every column the statement names is read first. So a lookup
names the key column and ``rowid`` alone, and the statements that need more columns take
the rows by rowid, ``rowid IN (SELECT ...)``, which the scan applies itself, reading only
the vectors that hold those rows. Past :data:`KEY_LOOKUP_MAX` keys (a bulk load, a full
refresh) the loads join instead.

Post ids are matched by their number, ``post_num`` (schema/002), when every id looked up has
one (:func:`post_num`): a scan of an integer column costs a fifth of a scan of strings, and
it is what grows with the warehouse (``benchmarks/incremental.py``). An id that is not a
plain number (none of Instagram's) sends the lookup to ``post_id``.

There are no indexes on the key: schema/017 dropped them, because the checkpoint that ends
every step rewrote far more for them than they saved (its comment has the figures).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

KEY_LOOKUP_MAX = 2048

# A post id written as a number: decimal digits, no leading zero, at most 19 of them (what
# schema/002's post_num_of matches; a 19-digit id past 2^63 - 1 has no number either).
_PLAIN_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
_BIGINT_MAX = 2**63 - 1


def _check_names(column: str, name: str) -> None:
    """Refuse anything but a (qualified) column name and a parameter name: both are spliced
    into SQL."""
    if not column.replace(".", "").replace("_", "").isalnum() or not name.isidentifier():
        raise ValueError(f"{column!r} or {name!r} is not a column or parameter name")


def post_num(post_id: str) -> int | None:
    """The ``post_num`` of ``post_id``: the number it writes, or None (schema/002)."""
    if _PLAIN_NUMBER.fullmatch(post_id) is None:
        return None
    number = int(post_id)
    return number if number <= _BIGINT_MAX else None


def post_ids_among(
    ids: Sequence[str], column: str = "post_id", name: str = "ids"
) -> tuple[str, dict[str, Any]]:
    """``(condition, parameters)``: ``column`` (a post id column, possibly qualified) is one
    of ``ids``, matched on the ``post_num`` beside it when every id has a number."""
    _check_names(column, name)
    numbers = [post_num(i) for i in ids]
    if all(n is not None for n in numbers):
        number_column = column.removesuffix("post_id") + "post_num"
        return f"{number_column} IN (SELECT unnest(${name}))", {name: numbers}
    return f"list_contains(${name}, {column})", {name: list(ids)}


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
        there is one (a post id column: by :func:`post_ids_among`), else ``IN (subquery)``."""
        _check_names(column, name)
        if self.values is None:
            return f"{column} IN ({self.subquery})", {}
        if column.rsplit(".", 1)[-1] == "post_id":
            return post_ids_among(self.values, column, name)
        return f"list_contains(${name}, {column})", {name: self.values}
