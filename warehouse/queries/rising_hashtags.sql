-- rising_hashtags: hashtags whose share of posts in a recent window outpaces their baseline.
--
-- Windows end at as_of: recent = [as_of - recent_days, as_of), baseline = the baseline_days
-- before that. Shares are used rather than raw counts so that tracking more profiles, or a
-- busy week, does not make every tag "rise". lift = smoothed recent share / smoothed baseline
-- share (add-one smoothing, so a tag absent from the baseline gets a finite, large lift).
-- A tag counts once per post however often the caption repeats it.
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
scoped AS (
    SELECT p.post_id, p.owner_id, p.hashtags, p.hashtags_norm,
           p.taken_at >= w.recent_start AS is_recent
    FROM posts_wide AS p, win AS w
    WHERE p.taken_at >= w.baseline_start AND p.taken_at < w.as_of
),
totals AS (
    SELECT count(*) FILTER (WHERE is_recent) AS recent_total,
           count(*) FILTER (WHERE NOT is_recent) AS baseline_total
    FROM scoped
),
uses AS (
    SELECT DISTINCT post_id, owner_id, is_recent,
           unnest(hashtags_norm) AS tag_norm, unnest(hashtags) AS tag
    FROM scoped
    WHERE len(hashtags_norm) > 0
),
per_tag AS (
    SELECT tag_norm,
           mode(tag) AS tag,
           count(DISTINCT post_id) FILTER (WHERE is_recent) AS recent_posts,
           count(DISTINCT post_id) FILTER (WHERE NOT is_recent) AS baseline_posts,
           count(DISTINCT owner_id) FILTER (WHERE is_recent) AS recent_profiles
    FROM uses
    GROUP BY tag_norm
)
SELECT t.tag,
       t.tag_norm,
       t.recent_posts,
       t.baseline_posts,
       t.recent_profiles,
       round(t.recent_posts / CAST($recent_days AS DOUBLE), 3) AS recent_per_day,
       round(t.baseline_posts / CAST($baseline_days AS DOUBLE), 3) AS baseline_per_day,
       round(
           ((t.recent_posts + 1.0) / (totals.recent_total + 1.0))
           / ((t.baseline_posts + 1.0) / (totals.baseline_total + 1.0)),
           3
       ) AS lift,
       w.as_of
FROM per_tag AS t, totals, win AS w
WHERE t.recent_posts >= CAST($min_recent AS INTEGER)
ORDER BY lift DESC, t.recent_posts DESC, t.tag_norm
LIMIT CAST($limit AS INTEGER);
