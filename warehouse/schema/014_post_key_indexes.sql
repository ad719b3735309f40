-- ART indexes on the post key of the tables an update rewrites per post (posts; post_hashtags
-- when a caption changes; hashtag_daily_posts when hashtag_daily folds the change in), so that
-- the load, the refresh and the checks find, read and delete a few posts' rows by key lookups
-- (warehouse.load.keys) instead of scanning every post id: an update costs what it changed,
-- not what the warehouse holds. DuckDB answers a filter on post_id from them when it matches
-- few rows (index_scan_max_count); bulk loads still join.
-- Not UNIQUE: keys stay enforced by the loader and verified by warehouse.checks, a post has
-- one post_hashtags row per tag, and one transaction deletes a post and inserts its new copy.
-- An indexed table takes ADD COLUMN, but not ALTER TYPE, DROP or RENAME COLUMN (DuckDB's
-- dependency rule): such a migration drops the index first and creates it again after.
CREATE INDEX IF NOT EXISTS posts_post_id ON posts (post_id);
CREATE INDEX IF NOT EXISTS post_hashtags_post_id ON post_hashtags (post_id);
CREATE INDEX IF NOT EXISTS hashtag_daily_posts_post_id ON hashtag_daily_posts (post_id);
