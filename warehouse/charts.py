"""The trend report's charts (PNG): rising tags as bars, their days as lines, profiles' followers.

Hashtags come in every script. matplotlib's default font (DejaVu Sans) has no CJK, Hangul
or Devanagari glyphs, and a fresh machine has no system fonts to fall back on, so the Noto
fonts come as Python packages (dependencies in pyproject.toml) and are registered with
matplotlib here: Noto Sans CJK JP (Japanese, Chinese and Hangul), Noto Sans Devanagari and
Noto Sans Arabic. matplotlib falls back through :data:`FONT_FALLBACK` glyph by glyph. It
does not shape text: Devanagari conjuncts and Arabic joining are drawn letter by letter,
legible but not as a browser would; the Markdown tables beside the charts name every tag.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FONT_FALLBACK = (
    "DejaVu Sans",
    "Noto Sans CJK JP",
    "Noto Sans Devanagari",
    "Noto Sans Arabic",
)
# Python packages carrying font files: (module, where its files are relative to it).
FONT_PACKAGES = (
    ("noto_cjk_sans_jp_regular", "."),
    ("fontpkg_noto_sans_devanagari", "files"),
    ("fontpkg_noto_sans_arabic", "files"),
)
LINE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def bundled_font_files() -> list[Path]:
    """The font files the font packages installed (none for a package that is missing)."""
    files: list[Path] = []
    for module_name, sub in FONT_PACKAGES:
        try:
            module = import_module(module_name)
        except ImportError:
            continue
        folder = Path(module.__file__ or "").parent / sub
        files += sorted(p for p in folder.iterdir() if p.suffix.lower() in (".otf", ".ttf"))
    return files


@cache
def register_fonts() -> list[str]:
    """Register the bundled fonts with matplotlib once; the fallback families available."""
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in bundled_font_files():
        if str(path) not in known:
            font_manager.fontManager.addfont(str(path))
    available = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in FONT_FALLBACK if name in available] or ["DejaVu Sans"]


@contextmanager
def _drawing() -> Iterator[None]:
    import matplotlib

    matplotlib.use("Agg")  # no display on the Dagster host
    from matplotlib import rc_context

    style = {"font.family": register_fonts(), "axes.spines.top": False, "axes.spines.right": False}
    with rc_context(style):
        yield


def _figure(width: float, height: float) -> Figure:
    # The figure gets its own Agg canvas up front, so that laying it out and drawing it share
    # one renderer, whose text metrics matplotlib caches (tight_layout and savefig otherwise
    # each make a canvas and lay out every label again).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    fig.tight_layout()
    # tight_layout leaves a placeholder layout engine behind, and savefig draws a figure that
    # has one once more (discarding the result) before drawing it for real.
    fig.set_layout_engine(None)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _labels(rows: pl.DataFrame) -> list[str]:
    return [f"#{t}" for t in (rows["tag"] if "tag" in rows.columns else rows["tag_norm"])]


def rising_chart_png(frame: pl.DataFrame, *, top: int = 15, title: str | None = None) -> bytes:
    """Horizontal bars: recent vs baseline posts per day of the top rising tags (PNG).

    Takes the frame of ``trending_terms`` or ``rising_hashtags``. The axis is logarithmic
    above one post a day, so a baseline of 0.2 a day stays visible beside a recent 30. An
    empty frame gives a chart that says so: the report asset must still materialize.
    """
    rows = frame.head(top)
    with _drawing():
        fig = _figure(8, max(2.5, 0.45 * rows.height + 1.5))
        ax = fig.add_subplot()
        if rows.height == 0:
            ax.text(0.5, 0.5, "no rising hashtags in this window", ha="center", va="center")
            ax.set_axis_off()
        else:
            _bars(ax, rows)
        as_of = rows["as_of"][0] if rows.height and "as_of" in rows.columns else None
        ax.set_title(title or f"Rising hashtags{f' as of {as_of:%Y-%m-%d}' if as_of else ''}")
        return _png(fig)


def _bars(ax: Axes, rows: pl.DataFrame) -> None:
    recent = rows["recent_per_day"].to_list()
    baseline = rows["baseline_per_day"].to_list()
    y = list(range(rows.height))
    height = 0.4
    ax.barh([i - height / 2 for i in y], recent, height, label="recent posts/day")
    ax.barh([i + height / 2 for i in y], baseline, height, label="baseline posts/day")
    from matplotlib.ticker import ScalarFormatter

    ax.set_xscale("symlog", linthresh=1.0)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlim(0, max([*recent, *baseline, 1.0]) * 40)  # room for lifts and legend
    ax.set_yticks(y, _labels(rows))
    ax.invert_yaxis()
    ax.set_xlabel("posts per day using the hashtag (log scale above 1)")
    if "lift" in rows.columns:
        low = rows["lift_low"].to_list() if "lift_low" in rows.columns else [None] * rows.height
        for i, (lift, floor) in enumerate(zip(rows["lift"].to_list(), low, strict=True)):
            text = f"×{lift:.1f}" + (f" (≥ ×{floor:.1f})" if floor is not None else "")
            ax.annotate(
                text,
                (max(recent[i], baseline[i]), i),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)


def _lines_chart(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    key: str,
    prefix: str,
    ylabel: str,
    title: str,
    empty: str,
    before: Callable[[Axes], None] | None = None,
    **style: Any,
) -> bytes:
    """One line per ``key`` of ``y`` against ``x``; ``before`` draws under the lines."""
    with _drawing():
        fig = _figure(9, 4.2)
        ax = fig.add_subplot()
        if frame.height == 0:
            ax.text(0.5, 0.5, empty, ha="center", va="center")
            ax.set_axis_off()
            return _png(fig)
        if before is not None:
            before(ax)
        for i, (name, rows) in enumerate(frame.group_by(key, maintain_order=True)):
            color = LINE_COLORS[i % len(LINE_COLORS)]
            label = f"{prefix}{name[0]}"
            ax.plot(rows[x].to_list(), rows[y].to_list(), color=color, label=label, **style)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(fontsize=8, ncols=2, loc="upper left")
        fig.autofmt_xdate()
        return _png(fig)


def series_chart_png(
    series: pl.DataFrame, *, title: str = "Daily posts of the top rising hashtags"
) -> bytes:
    """Lines: posts per day of each tag over both windows (``hashtag_series``' frame).

    The baseline window is shaded, and each tag's baseline mean per day is drawn as a dotted
    line of its colour across the whole span, so a rise reads against where the tag was.
    """

    def baseline(ax: Axes) -> None:
        days = series["day"].unique().sort().to_list()
        in_baseline = series.filter(pl.col("period") == "baseline")
        if in_baseline.height:
            span = in_baseline["day"]
            ax.axvspan(span.min(), span.max(), color="#eeeeee", label="baseline window")
        tags = series.group_by("tag_norm", maintain_order=True)
        for i, (_, rows) in enumerate(tags):
            mean = rows.filter(pl.col("period") == "baseline")["posts"].mean()
            if mean is not None:
                color = LINE_COLORS[i % len(LINE_COLORS)]
                ax.plot([days[0], days[-1]], [mean, mean], color=color, linestyle=":", lw=1)

    return _lines_chart(
        series,
        x="day",
        y="posts",
        key="tag_norm",
        prefix="#",
        ylabel="posts per day (dotted: baseline mean)",
        title=title,
        empty="no days to show",
        before=baseline,
    )


def profiles_chart_png(metrics: pl.DataFrame, *, title: str = "Followers per fetch") -> bytes:
    """Lines: followers at every fetch of each profile (``profile_metrics``' frame)."""
    return _lines_chart(
        metrics,
        x="fetched_at",
        y="followers",
        key="username",
        prefix="@",
        ylabel="followers",
        title=title,
        empty="no profile fetches to show",
        marker="o",
        markersize=3,
    )
