-- posts_wide: the denormalized table analysts query. Its definition is the view
-- posts_wide_source; warehouse.load rebuilds the table from it (CREATE OR REPLACE, sorted by
-- taken_at so time-window scans skip row groups) or upserts a subset of posts.

CREATE OR REPLACE VIEW posts_wide_source AS
SELECT
    p.post_id,
    p.shortcode,
    p.owner_id,
    p.owner_username,
    p.taken_at,
    CAST(timezone('UTC', p.taken_at) AS DATE)  AS taken_day,
    p.caption,
    p.hashtags,
    p.hashtags_norm,
    -- Each normalised tag once (set semantics, order not kept): what per-post counts unnest.
    list_distinct(p.hashtags_norm)              AS tags,
    len(p.hashtags)                             AS hashtag_count,
    p.mentions,
    p.media_type,
    p.is_video,
    p.child_count,
    p.is_pinned,
    p.location_name,
    p.like_count,
    p.comment_count,
    p.video_view_count,
    CASE WHEN pr.followers > 0
         THEN (coalesce(p.like_count, 0) + coalesce(p.comment_count, 0)) / pr.followers
    END                                         AS engagement_rate,
    p.display_url,
    p.display_url_expires_at,
    p.fetched_at                                AS metrics_fetched_at,
    p.first_seen_at,
    pr.full_name                                AS owner_full_name,
    pr.followers                                AS owner_followers,
    pr.following                                AS owner_following,
    pr.post_count                               AS owner_post_count,
    pr.is_verified                              AS owner_is_verified,
    pr.is_private                               AS owner_is_private,
    pr.is_business_account                      AS owner_is_business,
    pr.category_name                            AS owner_category
FROM posts AS p
LEFT JOIN profiles AS pr ON pr.id = p.owner_id;

CREATE TABLE IF NOT EXISTS posts_wide AS SELECT * FROM posts_wide_source LIMIT 0;
