-- An ART index on posts_wide's post key, as schema/014 gives posts, post_hashtags and
-- hashtag_daily_posts: the row refresh (warehouse.load.wide, warehouse.load.terms) reads
-- and deletes the old rows of the posts it rewrites, and the checks read the rows it wrote,
-- by key lookups of the bound ids instead of a scan of every post id of the table.
-- rebuild_posts_wide replaces the table (CREATE OR REPLACE drops its indexes) and creates
-- it again: warehouse.load.wide.POSTS_WIDE_INDEX is this statement. As schema/014 says, an
-- indexed table takes ADD COLUMN but not ALTER TYPE, DROP or RENAME COLUMN.
CREATE INDEX IF NOT EXISTS posts_wide_post_id ON posts_wide (post_id);
