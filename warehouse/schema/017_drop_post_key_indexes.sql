-- No ART index on the post key of any table (schema/014 and schema/016 made them).
--
-- Each step of the pipeline opens the warehouse, writes and closes it, and the close (and
-- the publish after it) checkpoints what the step wrote. With an index on a table, that
-- checkpoint rewrote the table's last row group whole for an append of even one row (52 of
-- posts' 81 stored segments for 100 new posts; ~200 ms for posts, whose rows hold captions
-- and lists), and every delete dirtied the index blocks of the keys it removed, up to the
-- whole index (30 MiB written for 100 posts deleted at 800k posts). Without the indexes an
-- update of 10 profiles cost 366 ms instead of 947 at 1,000 profiles, 451 instead of 1,328 at
-- 4,000 and 1,230 instead of 1,583 at 16,000 (benchmarks/incremental.py, each phase opening
-- and closing its connection as the assets do). Lookups of a few posts' rows are filters
-- inside the scan of the key column instead (warehouse.load.keys), which the load, the
-- refresh and the checks do once per table and step, the rest going by rowid.
DROP INDEX IF EXISTS posts_post_id;
DROP INDEX IF EXISTS post_hashtags_post_id;
DROP INDEX IF EXISTS hashtag_daily_posts_post_id;
DROP INDEX IF EXISTS posts_wide_post_id;
