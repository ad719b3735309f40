-- rate_limit_experiment_history: every run of the rate-limit experiments, one row per pacing
-- per run, appended (a rerun of the same run id replaces its own rows only). The derived
-- table rate_limit_experiment keeps holding the latest run, replaced whole, for its readers.
--
--   run_id, run_date      the Dagster run and its UTC day
--   pacing                the pacing compared (rate_limit_experiment.strategy)
--   pacing_kind           none / fixed / jittered: the sleep between requests
--   ordering, paging      profile order (as_given / shuffled); pages together / interleaved
--   rotate                false: the no-rotation baseline
--   median_requests_before_limit  per limited IP stint; null when no stint was limited
--   median_lookups_before_limit   the same, counting profile lookups only (the burst rule's)
CREATE TABLE IF NOT EXISTS rate_limit_experiment_history (
    run_id VARCHAR NOT NULL,
    run_date DATE NOT NULL,
    pacing VARCHAR NOT NULL,
    pacing_kind VARCHAR,
    ordering VARCHAR,
    paging VARCHAR,
    rotate BOOLEAN,
    profiles INTEGER,
    stored INTEGER,
    failed INTEGER,
    requests INTEGER,
    page_requests INTEGER,
    rate_limited INTEGER,
    rotations INTEGER,
    median_requests_before_limit DOUBLE,
    median_lookups_before_limit DOUBLE,
    seconds DOUBLE,
    profiles_per_hour DOUBLE,
    PRIMARY KEY (run_id, pacing)
);
