-- rising_hashtags: hashtags whose share of posts in a recent window outpaces their baseline.
--
-- Windows end at as_of: recent = [as_of - recent_days, as_of), baseline = the baseline_days
-- before that. Shares are used rather than raw counts so that tracking more profiles, or a
-- busy week, does not make every tag "rise". lift = smoothed recent share / smoothed baseline
-- share (add-one smoothing, so a tag absent from the baseline gets a finite, large lift).
-- A tag counts once per post however often the caption repeats it. The spelling shown (tag)
-- and the distinct profiles are computed for the returned rows only, which keeps the query
-- under a second on 10M posts.
--
-- @param as_of timestamptz = null  End of the recent window (exclusive); default: just after the newest post.
-- @param recent_days int = 7  Length of the recent window, days.
-- @param baseline_days int = 28  Length of the baseline window before it, days.
-- @param min_recent int = 3  Minimum distinct posts using the tag in the recent window.
-- @param limit int = 20  Rows returned.
WITH win AS (
    SELECT as_of,
           as_of - to_days(CAST($recent_days AS INTEGER)) AS recent_start,
           as_of - to_days(CAST($recent_days AS INTEGER) + CAST($baseline_days AS INTEGER))
               AS baseline_start
    FROM (
        SELECT coalesce(
            CAST($as_of AS TIMESTAMPTZ),
            (SELECT max(taken_at) FROM posts_wide) + INTERVAL 1 SECOND
        ) AS as_of
    )
),
totals AS (
    SELECT count(*) FILTER (WHERE taken_at >= (SELECT recent_start FROM win)) AS recent_total,
           count(*) FILTER (WHERE taken_at < (SELECT recent_start FROM win)) AS baseline_total
    FROM posts_wide
    WHERE taken_at >= (SELECT baseline_start FROM win) AND taken_at < (SELECT as_of FROM win)
),
per_tag AS (
    SELECT tag_norm,
           count(*) FILTER (WHERE is_recent) AS recent_posts,
           count(*) FILTER (WHERE NOT is_recent) AS baseline_posts
    FROM (
        SELECT taken_at >= (SELECT recent_start FROM win) AS is_recent,
               unnest(tags) AS tag_norm
        FROM posts_wide
        WHERE taken_at >= (SELECT baseline_start FROM win)
          AND taken_at < (SELECT as_of FROM win)
    )
    GROUP BY tag_norm
),
top AS (
    SELECT t.tag_norm, t.recent_posts, t.baseline_posts,
           ((t.recent_posts + 1.0) / (totals.recent_total + 1.0))
           / ((t.baseline_posts + 1.0) / (totals.baseline_total + 1.0)) AS lift
    FROM per_tag AS t, totals
    WHERE t.recent_posts >= CAST($min_recent AS INTEGER)
    ORDER BY lift DESC, t.recent_posts DESC, t.tag_norm
    LIMIT CAST($limit AS INTEGER)
),
detail AS (
    SELECT u.tag_norm, mode(u.tag) AS tag, count(DISTINCT u.owner_id) AS recent_profiles
    FROM (
        SELECT owner_id, unnest(hashtags_norm) AS tag_norm, unnest(hashtags) AS tag
        FROM posts_wide
        WHERE taken_at >= (SELECT recent_start FROM win)
          AND taken_at < (SELECT as_of FROM win)
          AND list_has_any(tags, (SELECT list(tag_norm) FROM top))
    ) AS u
    WHERE u.tag_norm IN (SELECT tag_norm FROM top)
    GROUP BY u.tag_norm
)
SELECT d.tag, t.tag_norm, t.recent_posts, t.baseline_posts, d.recent_profiles,
       round(t.recent_posts / CAST($recent_days AS DOUBLE), 3) AS recent_per_day,
       round(t.baseline_posts / CAST($baseline_days AS DOUBLE), 3) AS baseline_per_day,
       round(t.lift, 3) AS lift,
       (SELECT as_of FROM win) AS as_of
FROM top AS t JOIN detail AS d ON d.tag_norm = t.tag_norm
ORDER BY t.lift DESC, t.recent_posts DESC, t.tag_norm;
