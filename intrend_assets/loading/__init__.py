"""Loading: the queue of stored fetches between fetching and the warehouse.

Plain Python, no Dagster: :mod:`.queue` decides which fetches a load takes (the pending ones,
or every stored one on a full refresh), parses each fetch's answer and pages, and loads them
in batches, one by one when a batch is refused, taking a fetch off the queue only once its
rows are committed; :mod:`.slices` is the parse of one batch (run in parse processes, its
posts returned as one Arrow table). The ``posts`` asset runs it and reports.
"""
