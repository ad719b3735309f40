-- tag_drivers: the profiles behind a hashtag in the recent window, with their follower growth.
--
-- One row per profile that used the tag in [as_of - recent_days, as_of): its posts with
-- the tag there, their mean likes (latest counts), its share of the tag's recent posts, and
-- its followers at its first fetch since the baseline window began and at its latest fetch
-- (profile_snapshots; fetches after as_of count too: the pipeline fetches after the posts it
-- reports on; null without a fetch since then). A trend driven by one profile
-- shows as one row with a share near 1.
--
-- @param tag hashtag = null  The hashtag (any case, with or without '#').
-- @param as_of timestamptz = null  End of the recent window (exclusive); default: just after the newest post.
-- @param recent_days int = 7  Length of the recent window, days.
-- @param baseline_days int = 28  Days before it in which follower growth is measured too.
-- @param limit int = 10  Rows returned.
SELECT as_of AS win_as_of,
       as_of - to_days(CAST($recent_days AS INTEGER)) AS win_recent_start,
       as_of - to_days(CAST($recent_days AS INTEGER) + CAST($baseline_days AS INTEGER))
           AS win_baseline_start
FROM (
    SELECT coalesce(
        CAST($as_of AS TIMESTAMPTZ),
        (SELECT max(taken_at) FROM posts_wide) + INTERVAL 1 SECOND
    ) AS as_of
);

WITH uses AS (
    SELECT owner_id, any_value(owner_username) AS username, count(*) AS tag_posts,
           round(avg(like_count), 1) AS avg_likes
    FROM posts_wide
    WHERE taken_at >= CAST($win_recent_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
      AND list_contains(tags, CAST($tag AS VARCHAR))
    GROUP BY owner_id
),
growth AS (
    SELECT profile_id,
           arg_min(followers, fetched_at) AS followers_first,
           arg_max(followers, fetched_at) AS followers_last,
           min(fetched_at) AS first_fetch,
           max(fetched_at) AS last_fetch
    FROM profile_snapshots
    WHERE profile_id IN (SELECT owner_id FROM uses)
      AND fetched_at >= CAST($win_baseline_start AS TIMESTAMPTZ)
    GROUP BY profile_id
)
SELECT u.username,
       u.tag_posts,
       round(u.tag_posts / sum(u.tag_posts) OVER (), 3) AS share_of_tag,
       u.avg_likes,
       g.followers_first,
       g.followers_last,
       g.followers_last - g.followers_first AS followers_gained,
       round(100.0 * (g.followers_last - g.followers_first) / nullif(g.followers_first, 0), 2)
           AS growth_pct,
       g.first_fetch,
       g.last_fetch
FROM uses AS u LEFT JOIN growth AS g ON g.profile_id = u.owner_id
ORDER BY u.tag_posts DESC, followers_gained DESC NULLS LAST, u.username
LIMIT CAST($limit AS INTEGER);
