"""Field mode: the values that make the sandbox as hard as Instagram and the modem are.

Each behaviour has its own :class:`~sandbox.config.SandboxConfig` field, off by default so the
demo and the tests see a friendly world. ``SandboxConfig(field=True)`` (``--field``) turns on
every one of them that is still at its friendly default; a field given another value keeps it
(``SandboxConfig(field=True, burst_limit=3)`` is the field with a harsher burst rule). Giving a
behaviour its friendly default under ``field=True`` does not switch it off, since it looks
untouched: to leave one out, start from ``FIELD_PRESET`` without it instead.

The sources of each value are in ``sandbox/README.md`` ("Field mode").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Sandbox seconds where a time is meant; shares are of public profiles or of answers.
FIELD_PRESET: dict[str, Any] = {
    "modem_cooldown_seconds": 60.0,  # field notes: boxes run 60 s to 4 min between rotations
    "rotation_max_seconds": 45.0,  # field notes: reconnect ~2 s ... firmware reboot ~45 s
    "carrier_change_seconds": 1800.0,  # field notes: the carrier changes the IP by itself
    "throttled_strategy": "web_profile_info",  # instaloader #2501, #2532, #2568
    "throttle_seconds": 1800.0,
    "odd_4xx_share": 0.08,  # instaloader #2724, #2731: business/creator accounts
    "graphql_budget": 100,  # instaloader #2738: GraphQL's own rate limit
    "graphql_error_share": 0.025,  # instaloader #2738: 2-3 % transient execution errors
    "burst_limit": 6,  # a short-window burst rule on top of the per-IP budget
    "page_shape": "xig_user_by_username",  # instaloader 4.16 structures.py
    "hashtag_cap": True,  # Instagram, 19 December 2025: at most 5 hashtags per post
}


def apply_field_preset(data: Any, fields: Mapping[str, Any]) -> Any:
    """``data`` (a config's input mapping) with the field preset filled in when ``field`` is
    true: every preset key that is missing or equal to its friendly default takes the
    preset's value. The command line passes every option, defaults included, hence
    "equal to the default" and not only "missing"."""
    if not isinstance(data, Mapping) or not data.get("field"):
        return data
    filled = dict(data)
    for name, value in FIELD_PRESET.items():
        default = fields[name].default
        if name not in filled or filled[name] == default:
            filled[name] = value
    return filled


__all__ = ["FIELD_PRESET", "apply_field_preset"]
