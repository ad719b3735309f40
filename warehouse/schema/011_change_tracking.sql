-- Change tracking for the derived tables, so that an update costs what changed, not what the
-- warehouse holds (warehouse.load.wide says how each is used).
--
-- hashtag_daily_stale: posts whose contribution to hashtag_daily may have changed. The posts
-- load marks every post of its batch in its own transaction; the hashtag_daily refresh folds
-- their difference in and clears the marks. Marking a post that did not change costs a zero
-- difference, so a mark too many is harmless and none is ever lost.
CREATE TABLE IF NOT EXISTS hashtag_daily_stale (
    post_id VARCHAR
);

-- hashtag_daily_posts, what each post contributed to hashtag_daily, was made here until
-- schema/018 moved that into the marks (its comment says why) and dropped it.

-- refresh_log: how each derived table was last refreshed (whole, or some posts), and
-- refresh_log_posts the posts an incremental refresh wrote: the asset checks look at those
-- rows only, and at everything after a full rebuild.
CREATE TABLE IF NOT EXISTS refresh_log (
    table_name   VARCHAR,             -- key
    full_rebuild BOOLEAN,
    refreshed_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS refresh_log_posts (
    table_name VARCHAR,
    post_id    VARCHAR
);

-- posts_wide_stale_posts: posts whose posts_wide row must be rewritten, marked by the load
-- like hashtag_daily_stale (posts_wide_stale marks the profiles whose attributes every one
-- of their rows copies).
CREATE TABLE IF NOT EXISTS posts_wide_stale_posts (
    post_id VARCHAR
);
