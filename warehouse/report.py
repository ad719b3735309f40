"""The trend report: a chart and a Markdown summary of ``rising_hashtags``' result."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

# Hashtags come in every script. DejaVu Sans (matplotlib's default) has no CJK, Hangul or
# Devanagari glyphs; matplotlib falls back through this list per glyph, using whichever of
# these families are installed (Debian: fonts-noto-core, fonts-noto-cjk). Without them those
# tags are drawn as boxes, and the Markdown table beside the chart still names them.
FONT_FALLBACK = (
    "DejaVu Sans",
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans Devanagari",
    "Noto Sans Arabic",
)


def _installed_fonts(families: tuple[str, ...]) -> list[str]:
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in families if name in available] or ["DejaVu Sans"]


def rising_chart_png(frame: pl.DataFrame, *, top: int = 15, title: str | None = None) -> bytes:
    """Horizontal bars: recent vs baseline posts per day for the top rising hashtags (PNG).

    Takes the frame ``run_query(con, "rising_hashtags")`` returns. An empty frame gives a
    chart that says so, rather than an error: the report asset must still materialize.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on the Dagster host
    import warnings

    from matplotlib import rc_context

    rows = frame.head(top)
    with rc_context({"font.family": _installed_fonts(FONT_FALLBACK)}), warnings.catch_warnings():
        # The missing-glyph warning is expected without the Noto fonts (see FONT_FALLBACK).
        warnings.filterwarnings(
            "ignore", message="Glyph .* missing from font", category=UserWarning
        )
        return _draw(rows, title)


def _draw(rows: pl.DataFrame, title: str | None) -> bytes:
    # The figure gets its own Agg canvas up front, so that laying it out and drawing it
    # share one renderer, whose text metrics matplotlib caches. Without it tight_layout and
    # savefig each made a canvas and a renderer of their own and laid out every label again.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, max(2.5, 0.45 * rows.height + 1.5)), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if rows.height == 0:
        ax.text(0.5, 0.5, "no rising hashtags in this window", ha="center", va="center")
        ax.set_axis_off()
    else:
        labels = [f"#{t}" for t in (rows["tag"] if "tag" in rows.columns else rows["tag_norm"])]
        recent = rows["recent_per_day"].to_list()
        baseline = rows["baseline_per_day"].to_list()
        y = list(range(rows.height))
        height = 0.4
        ax.barh([i - height / 2 for i in y], recent, height, label="recent posts/day")
        ax.barh([i + height / 2 for i in y], baseline, height, label="baseline posts/day")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel("posts per day using the hashtag")
        if "lift" in rows.columns:
            for i, lift in zip(y, rows["lift"].to_list(), strict=True):
                ax.annotate(
                    f"×{lift:.1f}",
                    (max(recent[i], baseline[i]), i),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                )
        ax.legend(loc="lower right", fontsize=8)
    as_of = rows["as_of"][0] if rows.height and "as_of" in rows.columns else None
    ax.set_title(title or f"Rising hashtags{f' as of {as_of:%Y-%m-%d}' if as_of else ''}")
    fig.tight_layout()
    # tight_layout leaves a placeholder layout engine behind, and savefig draws a figure
    # that has one once more (discarding the result) before drawing it for real.
    fig.set_layout_engine(None)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def rising_markdown(frame: pl.DataFrame, png_path: str | Path | None = None) -> str:
    """A Markdown section: the chart (linked by path) and the table of rising hashtags."""
    lines = ["## Rising hashtags", ""]
    if png_path is not None:
        lines += [f"![rising hashtags]({Path(png_path).as_posix()})", ""]
    if frame.height == 0:
        lines.append("_No hashtag passed the minimum support in the recent window._")
        return "\n".join(lines) + "\n"
    cols = [
        c
        for c in ("tag", "recent_posts", "baseline_posts", "recent_profiles", "lift")
        if c in frame.columns
    ]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append(
        "|" + "|".join("---:" if frame.schema[c].is_numeric() else "---" for c in cols) + "|"
    )
    for row in frame.select(cols).iter_rows():
        cells = []
        for col, value in zip(cols, row, strict=True):
            text = "" if value is None else str(value)
            if col == "tag":
                text = "#" + text.replace("|", "\\|")
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
