-- posts_wide_stale: profiles whose posts_wide rows are behind the normalized tables.
--
-- The posts load marks the profiles it wrote that are new or whose attributes posts_wide
-- copies changed (warehouse.load.posts.WIDE_PROFILE_COLUMNS); the posts_wide refresh upserts
-- their rows, then clears the marks (a crash in between repeats an idempotent upsert). A set
-- rather than a time watermark: runs that finish out of order cannot slip under it. The
-- daily full rebuild clears it too.
CREATE TABLE IF NOT EXISTS posts_wide_stale (
    username  VARCHAR PRIMARY KEY,
    marked_at TIMESTAMPTZ DEFAULT current_timestamp
);
