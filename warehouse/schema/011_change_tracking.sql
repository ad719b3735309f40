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

-- hashtag_daily_posts: what each post contributes to hashtag_daily right now, one row per
-- post and normalised tag (hashtag_daily is its sum by tag and day). The refresh subtracts a
-- changed post's old rows and adds its new ones, so tags dropped from an edited caption and
-- posts that moved day leave hashtag_daily without rescanning a day.
CREATE TABLE IF NOT EXISTS hashtag_daily_posts (
    post_id  VARCHAR,
    tag_norm VARCHAR,
    day      DATE,
    uses     BIGINT                   -- occurrences of the tag in the post's caption
);

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
