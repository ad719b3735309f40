"""Dagster definitions, one sub-package per area: ``profiles`` (fetching each tracked profile),
``warehouse`` (loading and denormalizing), ``reports`` (the trend report), ``network`` (the
request and IP logs), ``experiments`` (pacing compared). Each area holds its assets, checks,
jobs, schedules and sensors; ``resources`` builds the outside systems from the settings.
Functions here are thin: they call the plain packages and report to Dagster."""
