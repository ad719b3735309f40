"""The warehouse area: ``posts`` (the load queue into DuckDB), ``hashtag_daily``,
``posts_wide``, the warehouse checks, ``warehouse_job`` and its daily rebuild."""
