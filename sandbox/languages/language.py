"""One language's words: what a caption, a bio and a name are written from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """Everything needed to write a caption, a bio and a name in one language."""

    code: str
    weight: float  # share of profiles whose main language this is
    phrases: tuple[str, ...]
    tags: tuple[str, ...]  # most common first: the rank drives a Zipf-like frequency
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    bios: tuple[str, ...]
    places: tuple[tuple[str, str], ...]  # (name, slug)
