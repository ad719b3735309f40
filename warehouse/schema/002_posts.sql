-- Posts: one row per post (latest metrics) and the metrics of every fetch. The posts columns are intrend_assets.parsing.POSTS_SCHEMA
-- plus first_seen_at.

CREATE TABLE IF NOT EXISTS posts (
    post_id                VARCHAR,   -- key
    shortcode              VARCHAR,
    owner_id               VARCHAR,
    owner_username         VARCHAR,
    taken_at               TIMESTAMPTZ,
    caption                VARCHAR,
    hashtags               VARCHAR[],  -- as written, caption order, first 30
    hashtags_norm          VARCHAR[],  -- NFC + casefold, same order
    mentions               VARCHAR[],
    like_count             BIGINT,
    comment_count          BIGINT,
    media_type             VARCHAR,    -- image / video / sidecar
    is_video               BOOLEAN,
    video_view_count       BIGINT,
    child_count            INTEGER,    -- sidecars only
    is_pinned              BOOLEAN,
    product_type           VARCHAR,
    display_url            VARCHAR,
    display_url_expires_at TIMESTAMPTZ, -- the CDN signature's oe=
    location_id            VARCHAR,
    location_name          VARCHAR,
    accessibility_caption  VARCHAR,
    fetched_at             TIMESTAMPTZ,
    first_seen_at          TIMESTAMPTZ
);

-- post_num_of(post_id): the post id as a number when it is one written plainly (Instagram's
-- media ids are decimal digits, without a leading zero, below 2^63), else null; the same
-- rule as warehouse.load.keys.post_num. posts.post_num and posts_wide.post_num hold it, and
-- an update looks its posts up by it: an integer column scans about five times faster than
-- a column of strings, and every lookup of a few posts scans its key column whole
-- (warehouse.load.keys). Every writer of posts sets it (the load does); a warehouse made
-- before it has it filled here, once.
CREATE OR REPLACE MACRO post_num_of(post_id) AS
CASE WHEN regexp_full_match(post_id, '[1-9][0-9]{0,18}') THEN TRY_CAST(post_id AS BIGINT) END;

ALTER TABLE posts ADD COLUMN IF NOT EXISTS post_num BIGINT;
UPDATE posts SET post_num = post_num_of(post_id)
WHERE post_num IS NULL AND post_num_of(post_id) IS NOT NULL;

CREATE TABLE IF NOT EXISTS post_metrics (
    post_id          VARCHAR,         -- key (post_id, fetched_at)
    fetched_at       TIMESTAMPTZ,
    like_count       BIGINT,
    comment_count    BIGINT,
    video_view_count BIGINT
);

-- post_hashtags, the hashtags one row per occurrence, was a table made here until schema/019
-- made it a view of posts' own lists (its comment says why).

CREATE TABLE IF NOT EXISTS hashtag_daily (
    tag_norm VARCHAR,                 -- key (tag_norm, day)
    day      DATE,                    -- UTC day of taken_at
    posts    BIGINT,                  -- distinct posts using the tag that day
    uses     BIGINT                   -- occurrences (a caption may repeat a tag)
);
