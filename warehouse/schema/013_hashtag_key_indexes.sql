-- ART indexes on the post key of the tables an update rewrites per post (post_hashtags when a
-- caption changes, hashtag_daily_posts when hashtag_daily folds the change in): the load and
-- the refresh delete and read a few posts' rows by key lookups (warehouse.load.keys) instead
-- of scanning every row. Not UNIQUE: a post has one row per tag.
CREATE INDEX IF NOT EXISTS post_hashtags_post_id ON post_hashtags (post_id);
CREATE INDEX IF NOT EXISTS hashtag_daily_posts_post_id ON hashtag_daily_posts (post_id);
