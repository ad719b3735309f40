-- fetch_stats_by_strategy: how each pacing strategy fares against Instagram's rate limit.
--
-- An "IP stint" is the run of requests made from one egress IP between two rotations
-- (run_id, rotation, egress_ip). requests_before_limit counts a stint's requests before its
-- first rate_limited answer; stints never limited are reported apart (they are censored: the
-- limit was not reached, so they only bound the figure from below). Latency percentiles are
-- over all requests that got an HTTP answer.
--
-- @param since timestamptz = null  Only requests at or after this instant.
WITH req AS (
    SELECT * FROM fetch_log
    WHERE CAST($since AS TIMESTAMPTZ) IS NULL OR requested_at >= CAST($since AS TIMESTAMPTZ)
),
stints AS (
    SELECT coalesce(strategy, '(none)') AS strategy, run_id, rotation, egress_ip,
           count(*) AS requests,
           min(requested_at) FILTER (WHERE outcome = 'rate_limited') AS first_limit_at
    FROM req GROUP BY ALL
),
before_limit AS (
    SELECT s.strategy, s.run_id, s.rotation, s.egress_ip, s.first_limit_at,
           count(r.requested_at) FILTER (WHERE r.requested_at < s.first_limit_at)
               AS requests_before_limit
    FROM stints AS s
    JOIN req AS r
      ON coalesce(r.strategy, '(none)') = s.strategy
     AND r.run_id IS NOT DISTINCT FROM s.run_id
     AND r.rotation IS NOT DISTINCT FROM s.rotation
     AND r.egress_ip IS NOT DISTINCT FROM s.egress_ip
    WHERE s.first_limit_at IS NOT NULL
    GROUP BY ALL
),
per_strategy AS (
    SELECT coalesce(strategy, '(none)') AS strategy,
           count(*) AS requests,
           count(*) FILTER (WHERE outcome = 'ok') AS ok,
           count(*) FILTER (WHERE outcome = 'rate_limited') AS rate_limited,
           count(*) FILTER (WHERE outcome IN ('network_error', 'upstream_error')) AS errors,
           count(DISTINCT egress_ip) AS ips,
           quantile_cont(latency_ms, 0.5) FILTER (WHERE status IS NOT NULL) AS latency_p50_ms,
           quantile_cont(latency_ms, 0.9) FILTER (WHERE status IS NOT NULL) AS latency_p90_ms,
           quantile_cont(latency_ms, 0.99) FILTER (WHERE status IS NOT NULL) AS latency_p99_ms
    FROM req GROUP BY 1
)
SELECT p.strategy,
       p.requests,
       p.ok,
       p.rate_limited,
       p.errors,
       p.ips,
       (SELECT count(*) FROM stints AS s WHERE s.strategy = p.strategy) AS stints,
       (SELECT count(*) FROM before_limit AS b WHERE b.strategy = p.strategy) AS stints_limited,
       (SELECT median(requests_before_limit) FROM before_limit AS b
         WHERE b.strategy = p.strategy) AS median_requests_before_limit,
       (SELECT round(avg(requests_before_limit), 2) FROM before_limit AS b
         WHERE b.strategy = p.strategy) AS mean_requests_before_limit,
       (SELECT min(requests_before_limit) FROM before_limit AS b
         WHERE b.strategy = p.strategy) AS min_requests_before_limit,
       (SELECT max(requests) FROM stints AS s
         WHERE s.strategy = p.strategy AND s.first_limit_at IS NULL) AS longest_unlimited_stint,
       round(p.latency_p50_ms, 1) AS latency_p50_ms,
       round(p.latency_p90_ms, 1) AS latency_p90_ms,
       round(p.latency_p99_ms, 1) AS latency_p99_ms
FROM per_strategy AS p
ORDER BY p.strategy;
