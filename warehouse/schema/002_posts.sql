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
