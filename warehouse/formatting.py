"""Aligned text tables for terminals, shared by the command lines.

Widths are display widths: a CJK or Hangul character takes two terminal columns and a
combining mark none, so hashtags in every script line up.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import polars as pl


def display_width(text: str) -> int:
    """Terminal columns ``text`` occupies."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _cut(text: str, max_width: int) -> str:
    if display_width(text) <= max_width:
        return text
    out = ""
    for char in text:
        if display_width(out + char) > max_width - 1:
            break
        out += char
    return out + "…"


def _cell(value: object, max_width: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # No exponent for counts and averages people read; 6 significant digits below 1e6.
        text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:.1f}"
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    return _cut(text.replace("\n", " "), max_width)


def format_table(frame: pl.DataFrame, *, max_width: int = 60, footer: bool = True) -> str:
    """Aligned columns, numbers right-aligned, long cells cut with '…'; every row shown."""
    names = frame.columns
    rows = [[_cell(v, max_width) for v in row] for row in frame.iter_rows()]
    widths = [
        max([display_width(n)] + [display_width(r[i]) for r in rows]) for i, n in enumerate(names)
    ]
    numeric = [frame.schema[n].is_numeric() for n in names]

    def line(values: Sequence[str]) -> str:
        parts = [_pad(v, w, num) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(names), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    if footer:
        out.append(f"({frame.height} row{'s' if frame.height != 1 else ''})")
    return "\n".join(out)
