-- strategy_health: is each way into Instagram still open? One row per UTC day x kind x fetch
-- strategy. "strategy" here is the FETCH strategy (fetch_log.endpoint), not the pacing one.
--
--   requests          every request logged (retries after a rate limit included)
--   profiles          distinct usernames asked for
--   ok                answers that carried the profile/page: ok + private
--   not_found         the profile does not exist (a real answer: the door worked)
--   rate_limited      the IP was throttled (an IP problem, not a closed door)
--   login_wall        Instagram asked for a login: the door is closing for anonymous requests
--   strategy_gone     the endpoint no longer answers in its shape: the door is closed
--   errors            upstream_error + network_error + configuration_error
--   session_requests  requests made with a logged-in session (these pass login walls)
--   success_rate      (ok + private + not_found) / requests answered: rate-limited ones are
--                     left out (the IP's problem, not the door's); null if none answered
--   served            distinct usernames with an ok/private answer through this strategy
--   previous_day      the strategy's previous day with requests (fetches need not run daily)
--   success_rate_change  success_rate minus the previous_day's: a sharp drop shows as a large
--                     negative number on the day it happened, whatever the absolute level
CREATE OR REPLACE VIEW strategy_health AS
WITH daily AS (
    SELECT CAST(timezone('UTC', requested_at) AS DATE) AS day,
           coalesce(kind, CASE WHEN endpoint = 'timeline' THEN 'page' ELSE 'profile' END)
               AS kind,
           coalesce(endpoint, '(none)') AS strategy,
           count(*) AS requests,
           count(DISTINCT username) AS profiles,
           count(*) FILTER (WHERE outcome IN ('ok', 'private')) AS ok,
           count(*) FILTER (WHERE outcome = 'not_found') AS not_found,
           count(*) FILTER (WHERE outcome = 'rate_limited') AS rate_limited,
           count(*) FILTER (WHERE outcome = 'login_wall') AS login_wall,
           count(*) FILTER (WHERE outcome = 'strategy_gone') AS strategy_gone,
           count(*) FILTER (
               WHERE outcome IN ('upstream_error', 'network_error', 'configuration_error')
           ) AS errors,
           count(*) FILTER (WHERE session) AS session_requests,
           round(count(*) FILTER (WHERE outcome IN ('ok', 'private', 'not_found'))
                 / nullif(count(*) FILTER (WHERE outcome IS DISTINCT FROM 'rate_limited'), 0),
                 4) AS success_rate,
           count(DISTINCT username) FILTER (WHERE outcome IN ('ok', 'private')) AS served
    FROM fetch_log
    WHERE requested_at IS NOT NULL
    GROUP BY ALL
)
SELECT *,
       lag(day) OVER w AS previous_day,
       round(success_rate - lag(success_rate) OVER w, 4) AS success_rate_change
FROM daily
WINDOW w AS (PARTITION BY kind, strategy ORDER BY day);
