"""The raw store, plain Python: every answer as it came (zstd), its timeline pages, the queue
of fetches not yet loaded, failure records, walls remembered per profile and the request-log
batches. A local or mounted folder, or an S3-compatible bucket (``INTREND_RAW_URL``); a
fetch is written before it is queued, so a crash loses nothing that was answered."""
