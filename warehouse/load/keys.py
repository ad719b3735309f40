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

KEY_LOOKUP_MAX = 2048


def lookup_ids(ids: Iterable[str | None]) -> list[str] | None:
    """The distinct ids as a list to bind as ``$ids`` when few enough to look up by key,
    else None (the caller joins)."""
    distinct = list(dict.fromkeys(i for i in ids if i is not None))
    return distinct if len(distinct) <= KEY_LOOKUP_MAX else None
