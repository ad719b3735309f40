-- The fetcher's request log and the modem's public-IP log.

CREATE TABLE IF NOT EXISTS fetch_log (
    requested_at TIMESTAMPTZ,         -- key (run_id, username, requested_at, attempt)
    username     VARCHAR,
    egress_ip    VARCHAR,
    strategy     VARCHAR,             -- pacing strategy under test
    endpoint     VARCHAR,
    status       INTEGER,             -- HTTP status; null on a network error
    outcome      VARCHAR,             -- ok / private / not_found / rate_limited /
                                      -- login_wall / strategy_gone / configuration_error /
                                      -- upstream_error / network_error
    latency_ms   DOUBLE,
    bytes        BIGINT,
    attempt      INTEGER,
    rotation     INTEGER,             -- rotations before this request
    run_id       VARCHAR
);

CREATE TABLE IF NOT EXISTS ip_log (
    ip      VARCHAR,                  -- key (ip, seen_at)
    seen_at TIMESTAMPTZ,
    source  VARCHAR
);
