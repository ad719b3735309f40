"""Parsing: a stored answer (bytes, zstd, str or dict) of any strategy into profile and post rows.

Plain Python, no Dagster: ``parse_profile`` is what the load, the fetcher (for paging
cursors) and the tests rely on; its output follows the warehouse's
:mod:`warehouse.contract` (the posts and profile schemas, the hashtag counting key).
``shapes`` knows every answer shape Instagram has used and turns each into the one graph
shape ``profile`` reads; ``decode`` turns a stored body into JSON, ``fields`` reads the
graph shape's fields by jmespath's rules, ``posts`` turns the post nodes into the contract's
columns (the hot loop of every load); ``cdn`` reads media URLs' expiry.
"""

from intrend_assets.parsing.profile import ParsedProfile, ProfileParseError, parse_profile

__all__ = ["ParsedProfile", "ProfileParseError", "parse_profile"]
