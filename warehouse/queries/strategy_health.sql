-- strategy_health: is each way into Instagram still open? Per UTC day, kind and fetch strategy.
--
-- Rows of the strategy_health view (schema/007_strategy_health.sql). "strategy" is the FETCH
-- strategy (fetch_log.endpoint: web_profile_info, graphql_doc_id, ...), not the pacing one.
-- The window is `days` days ending at as_of, by default the latest day the fetch log holds:
-- a pipeline that stalled still shows its last days rather than an empty table.
-- success_rate_change compares with the strategy's previous day with requests, even one
-- before the window, so a sharp drop shows as a large negative number on the day it happened.
-- A door closing reads as: served down, login_wall or strategy_gone up, while another
-- strategy's served goes up the same day. Columns most read first; newest day first.
--
-- @param days int = 7  How many days to show, ending at as_of.
-- @param as_of date = null  Last day shown (default: the latest day in fetch_log).
-- @param kind str = null  Only 'profile' or only 'page' rows (default: both).
WITH bounds AS (
    SELECT coalesce(CAST($as_of AS DATE), (SELECT max(day) FROM strategy_health)) AS last_day
)
SELECT h.day,
       h.kind,
       h.strategy,
       h.requests,
       h.served,
       h.success_rate,
       h.success_rate_change,
       h.login_wall,
       h.strategy_gone,
       h.rate_limited,
       h.not_found,
       h.errors,
       h.ok,
       h.profiles,
       h.session_requests,
       h.previous_day
FROM strategy_health AS h, bounds AS b
WHERE h.day <= b.last_day
  AND h.day > b.last_day - CAST($days AS INTEGER)
  AND (CAST($kind AS VARCHAR) IS NULL OR h.kind = CAST($kind AS VARCHAR))
ORDER BY h.day DESC, h.kind = 'page', h.strategy;
