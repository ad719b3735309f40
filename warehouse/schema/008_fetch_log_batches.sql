-- fetch_log_batches: the request-log batch files (raw store fetch_log/<run_id>-<retry>.parquet)
-- already loaded into fetch_log, so the fetch_log asset reads only new ones instead of the
-- whole history on every run. warehouse.load.load_fetch_log_batches upserts a batch's rows and
-- records it here in one transaction: a recorded batch always has its rows committed.
--
-- A file rewritten under the same name (a retried step writing its batch again) has another
-- size or modification time, and is loaded again (the upsert by key makes that harmless).
CREATE TABLE IF NOT EXISTS fetch_log_batches (
    name        VARCHAR PRIMARY KEY,  -- file name inside fetch_log/
    bytes       BIGINT,               -- file size when loaded
    modified_ns BIGINT,               -- file mtime (ns since the epoch) when loaded
    rows        BIGINT,               -- rows the batch held
    loaded_at   TIMESTAMPTZ DEFAULT current_timestamp
);
