"""Raw-store retention: ``raw_store_retention_job`` and its daily schedule (stopped by default)."""
