"""Stable, order-free randomness: every value is a hash of the seed and a name for it.

Hashing (instead of one shared ``random.Random``) lets any profile or post be generated on
its own, in any order, in any process, with the same result; nothing is held in memory.
"""

from __future__ import annotations

import hashlib
import random


def stable_int(*parts: object) -> int:
    """A 64-bit integer determined only by ``parts`` (their ``str`` forms)."""
    key = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def stable_unit(*parts: object) -> float:
    """A float in [0, 1) determined only by ``parts``."""
    return stable_int(*parts) / 2.0**64


def rng_for(*parts: object) -> random.Random:
    """A private ``random.Random`` seeded from ``parts``, for generating one object."""
    return random.Random(stable_int(*parts))
