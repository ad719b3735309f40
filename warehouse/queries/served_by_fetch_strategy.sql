-- served_by_fetch_strategy: how many profiles each fetch strategy served, overall and lately.
--
-- One row per kind (profile/page) and FETCH strategy (fetch_log.endpoint; not the pacing
-- strategy of fetch_stats_by_strategy). served counts distinct usernames with an ok/private
-- answer through the strategy; served_latest_day counts them on the latest day the log holds
-- (the same day for every row), so a strategy that stopped serving shows 0 there and its
-- last_served_day tells when the door last worked.
--
-- @param since timestamptz = null  Only requests at or after this instant.
WITH req AS (
    SELECT CAST(timezone('UTC', requested_at) AS DATE) AS day,
           coalesce(kind, CASE WHEN endpoint = 'timeline' THEN 'page' ELSE 'profile' END)
               AS kind,
           coalesce(endpoint, '(none)') AS strategy,
           username,
           outcome
    FROM fetch_log
    WHERE requested_at IS NOT NULL
      AND (CAST($since AS TIMESTAMPTZ) IS NULL OR requested_at >= CAST($since AS TIMESTAMPTZ))
),
latest AS (SELECT max(day) AS day FROM req)
SELECT r.kind,
       r.strategy,
       count(*) AS requests,
       count(DISTINCT r.username) FILTER (WHERE r.outcome IN ('ok', 'private')) AS served,
       round(count(*) FILTER (WHERE r.outcome IN ('ok', 'private', 'not_found')) / count(*), 4)
           AS success_rate,
       count(*) FILTER (WHERE r.outcome = 'login_wall') AS login_wall,
       count(*) FILTER (WHERE r.outcome = 'strategy_gone') AS strategy_gone,
       max(r.day) FILTER (WHERE r.outcome IN ('ok', 'private')) AS last_served_day,
       count(DISTINCT r.username) FILTER (
           WHERE r.outcome IN ('ok', 'private') AND r.day = l.day
       ) AS served_latest_day
FROM req AS r, latest AS l
GROUP BY r.kind, r.strategy
ORDER BY r.kind = 'page', served DESC, r.strategy;
