"""Fetching, plain Python: every profile ends stored or recorded with its reason.

``fetcher`` is the loop (strategies in order, retries, fast update), ``rotation`` the single-
flight gate around the modem, ``modem_client`` the modem service's API, ``policy``/``report``
what a run is told and what it reports, ``access`` what a run needs to reach Instagram,
``experiments`` the pacing comparisons.
"""
