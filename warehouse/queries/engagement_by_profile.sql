-- engagement_by_profile: posting volume and engagement per tracked profile.
--
-- engagement_rate = (likes + comments) / followers per post, averaged; null when the
-- follower count is unknown (profiles seen only through timeline pages).
--
-- @param since timestamptz = null  Only posts taken at or after this instant.
-- @param limit int = 50  Rows returned.
SELECT owner_username AS username,
       any_value(owner_full_name) AS full_name,
       any_value(owner_followers) AS followers,
       count(*) AS posts,
       min(taken_at) AS first_post_at,
       max(taken_at) AS last_post_at,
       round(avg(like_count), 1) AS avg_likes,
       CAST(median(like_count) AS BIGINT) AS median_likes,
       round(avg(comment_count), 1) AS avg_comments,
       round(avg(engagement_rate), 6) AS avg_engagement_rate,
       round(avg(hashtag_count), 2) AS hashtags_per_post,
       count(*) FILTER (WHERE media_type = 'video') AS videos,
       count(*) FILTER (WHERE media_type = 'sidecar') AS sidecars
FROM posts_wide
WHERE CAST($since AS TIMESTAMPTZ) IS NULL OR taken_at >= CAST($since AS TIMESTAMPTZ)
GROUP BY owner_username
ORDER BY avg_engagement_rate DESC NULLS LAST, posts DESC, username
LIMIT CAST($limit AS INTEGER);
