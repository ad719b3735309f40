"""Calls to a running sandbox's modem service, shared by the sandbox tests."""

from __future__ import annotations

import httpx


def rotate(world) -> dict:
    """``POST /rotate`` with the world's token; the answer's JSON."""
    response = httpx.post(
        world.modem_url + "/rotate",
        headers={"Authorization": f"Bearer {world.modem_token}"},
        timeout=30,
        trust_env=False,
    )
    response.raise_for_status()
    return response.json()
