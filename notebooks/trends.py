"""The trend report as a marimo notebook over the published warehouse copy.

    .venv/bin/marimo edit notebooks/trends.py                 # open it in the browser
    .venv/bin/marimo export html notebooks/trends.py -o trends.html   # run it headless
    .venv/bin/marimo edit notebooks/trends.py -- --db FILE    # another DuckDB file

It reads what ``intrend-warehouse report`` reads (the published copy of the warehouse the
pipeline finds through ``INTREND_DATA_DIR`` / ``INTREND_WAREHOUSE_PATH``) through the same
:func:`warehouse.report.build_report`, so its tables and charts are the report's; the
windows and the minimum of profiles are controls, and a tag picker runs the series and
drivers queries for any ranked tag. The published copy is swapped in whole after each
pipeline write, so this notebook holding it open never stops the pipeline.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="intrend: trends")


@app.cell
def _():
    import io
    from pathlib import Path

    import marimo as mo

    from warehouse.db import connect, default_path
    from warehouse.publish import published_path
    from warehouse.queries import run_query
    from warehouse.report import (
        DEFINITIONS,
        DRIVER_COLUMNS,
        RISING_COLUMNS,
        ReportParams,
        build_report,
    )
    from warehouse.settings import WarehouseSettings

    return (
        DEFINITIONS,
        DRIVER_COLUMNS,
        RISING_COLUMNS,
        Path,
        ReportParams,
        WarehouseSettings,
        build_report,
        connect,
        default_path,
        io,
        mo,
        published_path,
        run_query,
    )


@app.cell
def _(Path, default_path, mo, published_path):
    # `-- --db FILE` names another DuckDB file; by default the published copy of the
    # warehouse the pipeline writes, found the way the pipeline finds it.
    db = Path(str(mo.cli_args().get("db") or published_path(default_path())))
    if not db.exists():
        raise FileNotFoundError(
            f"no published warehouse at {db}: the pipeline publishes it after each write "
            "(`make demo` makes one); set INTREND_DATA_DIR, or pass `-- --db FILE`"
        )
    mo.md(f"# Trends\n\nReading `{db}` (read-only).")
    return (db,)


@app.cell
def _(WarehouseSettings, mo):
    recent_days = mo.ui.number(start=1, stop=60, value=7, label="recent window, days")
    baseline_days = mo.ui.number(start=1, stop=365, value=28, label="baseline window, days")
    min_profiles = mo.ui.number(
        start=1, stop=100, value=WarehouseSettings().trend_min_profiles, label="min profiles"
    )
    mo.hstack([recent_days, baseline_days, min_profiles], justify="start")
    return baseline_days, min_profiles, recent_days


@app.cell
def _(ReportParams, baseline_days, build_report, connect, db, min_profiles, recent_days):
    con = connect(db, read_only=True)
    report = build_report(
        con,
        ReportParams(
            recent_days=recent_days.value,
            baseline_days=baseline_days.value,
            min_profiles=min_profiles.value,
        ),
    )
    charts = report.draw()
    return charts, con, report


@app.cell
def _(DEFINITIONS, mo, report):
    _recent, _baseline = report.windows()
    _c = report.coverage
    mo.md(
        f"""
## As of {report.as_of:%Y-%m-%d %H:%M} UTC

- **Recent window**: {_recent:%Y-%m-%d %H:%M} to {report.as_of:%Y-%m-%d %H:%M}
  ({report.params.recent_days} days); **baseline**: the {report.params.baseline_days} days
  before it, from {_baseline:%Y-%m-%d %H:%M}.
- **Support**: {report.params.min_recent} recent posts from {report.params.min_profiles}
  distinct profiles.
- **Data**: {_c["posts"]} posts from {_c["profiles"]} profiles.

{DEFINITIONS}
"""
    )


@app.cell
def _(RISING_COLUMNS, charts, io, mo, report):
    mo.vstack(
        [
            mo.md("## Rising hashtags"),
            mo.image(io.BytesIO(charts["rising"]), alt="rising hashtags"),
            mo.ui.table(report.rising.select(RISING_COLUMNS), selection=None),
        ]
    )


@app.cell
def _(charts, io, mo):
    mo.vstack(
        [
            mo.md("## Daily posts of the top rising hashtags"),
            mo.image(io.BytesIO(charts["series"]), alt="daily posts of the top rising hashtags"),
            mo.md("The grey band is the baseline window; dotted lines are baseline means."),
        ]
    )


@app.cell
def _(DRIVER_COLUMNS, charts, io, mo, report):
    _shown = dict(zip(report.rising["tag_norm"], report.rising["tag"], strict=True))
    mo.vstack(
        [
            mo.md("## Who drives them"),
            *[
                mo.vstack(
                    [mo.md(f"### #{_shown.get(t, t)}"), mo.ui.table(f.select(DRIVER_COLUMNS))]
                )
                for t, f in report.drivers.items()
            ],
            mo.md("## Followers of the profiles driving the top tag"),
            mo.image(io.BytesIO(charts["profiles"]), alt="followers per fetch"),
        ]
    )


@app.cell
def _(RISING_COLUMNS, mo, report):
    _terms = ("term", *RISING_COLUMNS[1:])
    mo.vstack(
        [
            mo.md("## Emerging hashtags"),
            mo.ui.table(report.emerging, selection=None),
            mo.md("## Trending @mentions"),
            mo.ui.table(report.mentions.rename({"tag": "term"}).select(_terms), selection=None),
            mo.md("## Trending caption keywords"),
            mo.ui.table(report.keywords.rename({"tag": "term"}).select(_terms), selection=None),
            mo.md(f"## Seasonal: the same weeks a year earlier\n\n{report.seasonal_note}"),
            *([] if report.seasonal is None else [mo.ui.table(report.seasonal, selection=None)]),
        ]
    )


@app.cell
def _(mo, report):
    _tags = report.rising["tag_norm"].to_list()
    tag = mo.ui.dropdown(options=_tags, value=_tags[0] if _tags else None, label="any ranked tag")
    tag
    return (tag,)


@app.cell
def _(con, mo, report, run_query, tag):
    mo.stop(tag.value is None, mo.md("No tag ranks in these windows."))
    _windows = {
        "as_of": report.as_of,
        "recent_days": report.params.recent_days,
        "baseline_days": report.params.baseline_days,
    }
    mo.vstack(
        [
            mo.md(f"### #{tag.value}: posts per day, and who posts it"),
            mo.ui.table(run_query(con, "hashtag_series", tags=tag.value, **_windows)),
            mo.ui.table(run_query(con, "tag_drivers", tag=tag.value, limit=10, **_windows)),
        ]
    )


if __name__ == "__main__":
    app.run()
