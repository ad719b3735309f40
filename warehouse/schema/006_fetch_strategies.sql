-- Fetch strategies: every fetch_log row says which way into Instagram it took.
--
-- fetch_log.endpoint holds the FETCH strategy (web_profile_info, web_profile_info_ipad,
-- graphql_doc_id, embedded_page for profiles; graphql_doc_id, graphql_query_hash for timeline
-- pages); fetch_log.strategy is the PACING strategy under test. Rows from
-- before this migration hold endpoint 'web_profile_info' or 'timeline'.
-- New columns:
--   kind     'profile' or 'page': graphql_doc_id serves both, so the endpoint alone cannot tell
--            a profile request from a timeline one.
--   session  a logged-in session was used: such requests get past login walls, so they must be
--            told apart from anonymous ones when asking whether a door is closing.
-- New outcome: strategy_gone (the endpoint answered in a shape it no longer uses; the fetcher
-- drops the strategy for the rest of the run, so one such row per run is the whole signal).
--
-- Applied on every writable open like every schema file: ADD COLUMN IF NOT EXISTS is a no-op
-- once done, and the backfill touches only rows whose kind is still null (the loader always
-- sets it, so after the first open it matches nothing).

ALTER TABLE fetch_log ADD COLUMN IF NOT EXISTS kind VARCHAR;
ALTER TABLE fetch_log ADD COLUMN IF NOT EXISTS session BOOLEAN DEFAULT false;

UPDATE fetch_log
SET kind = CASE WHEN endpoint = 'timeline' THEN 'page' ELSE 'profile' END,
    session = coalesce(session, false)
WHERE kind IS NULL;
