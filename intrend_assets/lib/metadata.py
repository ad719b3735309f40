"""Small renderers for Dagster metadata: what a user sees on an asset's page."""

from __future__ import annotations

import polars as pl


def frame_markdown(frame: pl.DataFrame, limit: int = 30) -> str:
    """A Markdown table of the first ``limit`` rows (the UI renders it on the asset page)."""
    if frame.is_empty():
        return "_no rows_"
    head = frame.head(limit)
    lines = [
        "| " + " | ".join(head.columns) + " |",
        "|" + "---|" * len(head.columns),
    ]
    for row in head.iter_rows():
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if frame.height > limit:
        lines.append(f"\n_{frame.height - limit} more rows_")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")
