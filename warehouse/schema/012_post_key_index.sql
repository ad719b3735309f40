-- An ART index on the posts key, so that an update finds and replaces the posts it brings by
-- key lookups (warehouse.load.posts) instead of a scan of every post id: its cost follows the
-- posts changed, not the warehouse. DuckDB answers a filter on post_id from it when the filter
-- matches few rows (index_scan_max_count); bulk loads still join. Not UNIQUE: keys stay
-- enforced by the loader and verified by warehouse.checks, and a non-unique index lets one
-- transaction delete a post and insert its new copy.
CREATE INDEX IF NOT EXISTS posts_post_id ON posts (post_id);
