-- hashtag_daily's marks carry what each marked post contributed when it was marked, and
-- hashtag_daily_posts (schema/011) goes.
--
-- The refresh subtracted a changed post's old contribution as hashtag_daily_posts held it,
-- one row per post and tag. Finding those rows was a scan of the table's post ids, the
-- longest table after post_hashtags, and keeping it was a delete and an insert per update:
-- at 4,000 profiles the lookup alone cost 9 ms more than at 1,000 (benchmarks/
-- incremental.py), and the incremental check read the table again. The load reads the
-- posts it replaces anyway (warehouse.load.posts finds them by key), so it now records
-- their state in the mark it writes in the same transaction: whether posts held the post
-- (held), its UTC day and its normalised tags. What hashtag_daily holds of a post is its
-- state at its first mark since the last refresh (mark: one number per load, increasing),
-- so the refresh subtracts that and adds what posts holds now.
--
-- Marks made before this file have no state (held is null): the next refresh rebuilds.
CREATE SEQUENCE IF NOT EXISTS hashtag_daily_mark;

ALTER TABLE hashtag_daily_stale ADD COLUMN IF NOT EXISTS mark BIGINT;
ALTER TABLE hashtag_daily_stale ADD COLUMN IF NOT EXISTS held BOOLEAN;
ALTER TABLE hashtag_daily_stale ADD COLUMN IF NOT EXISTS old_day DATE;
ALTER TABLE hashtag_daily_stale ADD COLUMN IF NOT EXISTS old_tags VARCHAR[];

DROP TABLE IF EXISTS hashtag_daily_posts;
