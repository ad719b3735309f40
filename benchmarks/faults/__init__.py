"""The fault matrix: a real pipeline run per fault, and proof that nothing is lost.

For each fault, in a fresh data dir and a fresh Dagster instance, on one offline sandbox
(switches reset between faults), this materializes ``raw_profile`` + ``posts`` over every
registered profile (one run, partition-range tags, as ``intrend demo`` does), then
``hashtag_daily`` + ``posts_wide``, while the fault is injected. Then it audits:

- stored: profiles in the raw store and in the warehouse, with no failure recorded;
- failed: profiles in the raw store's failures list, with their reasons;
- lost: a username given to the run that is neither stored nor recorded as failed, or stored
  but missing from the warehouse (must be 0);
- dup posts: rows of ``posts_wide`` sharing a post id (must be 0);
- posts lost: posts of the stored raw answers (read without the project's parser) missing
  from ``posts_wide`` (must be 0);
- rerun: the same materializations again (fault switches re-armed only for faults that
  persist), then ``posts_wide`` compared with the first run ignoring load timestamps:
  ``identical``, ``+N`` (rows added for profiles the first run recorded as failed: the rerun
  repaired them) or ``CHANGED``;
- peak conns: most connections the proxy host saw at once (limit: ``max_connections``).

Rows 16-18 run on the instance config ``intrend serve`` writes (pools on, run monitoring on),
in child processes: a run killed while it holds the ``instagram`` slot (the next fetch run
must finish within ``SLOT_BACK_SECONDS``), and decompression bombs, upstream and in the raw
store, with the peak RSS of the process running ``raw_profile`` / ``posts`` under them
(at most ``MAX_RSS_BYTES``).

The sandbox clock is frozen (tiny ``speed``) so that Instagram's answers do not change
between a run and its rerun. Exit status 1 when anything is lost or duplicated, a run that
was not meant to die failed, or the proxy saw more connections than the limit.

Run:  .venv/bin/python -m benchmarks.faults --profiles 200

The package: ``common`` (the rows' shared types, the pipeline run, the audit), ``triggers`` (faults
injected mid-run), one module per group of rows (``plain``, ``kills``, ``disk``, ``impostor``,
``leaks``, ``bombs``; ``children`` runs stages in child processes), ``matrix`` (the rows) and
``runner`` (the command line and the table).
"""

from benchmarks.faults.matrix import FAULTS

__all__ = ["FAULTS"]
