"""``python -m benchmarks.faults``: the fault matrix (``--child`` runs one stage for it)."""

from benchmarks.faults.runner import main

raise SystemExit(main())
