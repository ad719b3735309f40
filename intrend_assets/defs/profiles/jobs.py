"""The profile fetch: ``raw_profile`` (partitioned by profile) and ``posts``, which loads
what it stored."""

import dagster as dg

PROFILE_ASSETS = ["raw_profile", "posts"]

profiles_job = dg.define_asset_job(
    "profiles_job",
    selection=PROFILE_ASSETS,
    description="Fetch profiles through the modem and load their posts.",
)
