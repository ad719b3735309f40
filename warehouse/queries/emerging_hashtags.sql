-- emerging_hashtags: hashtags first used in the recent window, never before it.
--
-- "Never before" looks at all of the warehouse, not just a baseline window, so a seasonal
-- tag that returns after a year is not new (rising_hashtags catches it instead). The first
-- day a tag was used comes from hashtag_daily (one row per tag and day, refreshed by the
-- hashtag_counts asset), so the query reads posts_wide only from the window's first day on,
-- never the whole table, and once: uses is materialized (the aggregates of distinct values
-- below would otherwise scan and unnest it twice). The window bounds are computed first and
-- bound as constants (see warehouse/queries.py).
--
-- @param as_of timestamptz = null  End of the window (exclusive); default: just after the newest post.
-- @param recent_days int = 7  Length of the window, days.
-- @param min_recent int = 2  Minimum distinct posts using the tag in the window.
-- @param min_profiles int = 1  Minimum distinct profiles using the tag in the window.
-- @param limit int = 20  Rows returned.
SELECT as_of AS win_as_of,
       as_of - to_days(CAST($recent_days AS INTEGER)) AS win_recent_start,
       CAST(timezone('UTC', as_of - to_days(CAST($recent_days AS INTEGER))) AS DATE)
           AS win_first_day
FROM (
    SELECT coalesce(
        CAST($as_of AS TIMESTAMPTZ),
        (SELECT max(taken_at) FROM posts_wide) + INTERVAL 1 SECOND
    ) AS as_of
);

WITH candidates AS (
    -- Tags whose first day is the window's first day or later: nothing of them before it.
    SELECT tag_norm
    FROM hashtag_daily
    GROUP BY tag_norm
    HAVING min(day) >= CAST($win_first_day AS DATE)
),
uses AS MATERIALIZED (
    SELECT u.post_id, u.owner_id, u.taken_at, u.tag_norm, u.tag
    FROM (
        SELECT p.post_id, p.owner_id, p.taken_at,
               unnest(p.hashtags_norm) AS tag_norm, unnest(p.hashtags) AS tag
        FROM posts_wide AS p
        WHERE p.taken_at >= CAST(CAST($win_first_day AS DATE) AS TIMESTAMPTZ)
          AND p.taken_at < CAST($win_as_of AS TIMESTAMPTZ)
          AND len(p.hashtags_norm) > 0
    ) AS u
    WHERE u.tag_norm IN (SELECT tag_norm FROM candidates)
)
SELECT mode(u.tag) AS tag,
       u.tag_norm,
       min(u.taken_at) AS first_used_at,
       count(DISTINCT u.post_id) AS recent_posts,
       count(DISTINCT u.owner_id) AS recent_profiles
FROM uses AS u
GROUP BY u.tag_norm
HAVING min(u.taken_at) >= CAST($win_recent_start AS TIMESTAMPTZ)
   AND count(DISTINCT u.post_id) >= CAST($min_recent AS INTEGER)
   AND count(DISTINCT u.owner_id) >= CAST($min_profiles AS INTEGER)
ORDER BY recent_posts DESC, recent_profiles DESC, u.tag_norm
LIMIT CAST($limit AS INTEGER);
