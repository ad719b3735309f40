-- rising_hashtags: hashtags whose share of posts in a recent window outpaces their baseline.
--
-- Windows end at as_of: recent = [as_of - recent_days, as_of), baseline = the baseline_days
-- before that. Shares are used rather than raw counts so that tracking more profiles, or a
-- busy week, does not make every tag "rise". lift = smoothed recent share / smoothed baseline
-- share (add-one smoothing, so a tag absent from the baseline gets a finite, large lift).
-- A tag counts once per post however often the caption repeats it. The spelling shown (tag)
-- and the distinct profiles are computed for the returned rows only (a hash semi-join with
-- the top rows: a per-row list_has_any against a subquery's list costs more than the join).
-- The window bounds are computed first (the statement before the main one) and bound as
-- constants, so each scan skips the row groups outside the window instead of comparing every
-- row with a subquery's value. Per-tag counts come from hashtag_daily (distinct posts per tag
-- and UTC day) for the whole days inside the windows, and from posts_wide only for the
-- partial days at their edges (the first and last day, and the day the recent window starts
-- in when it starts inside one): on a tracker's recent data that is a few days of posts to
-- unnest instead of all 35.
--
-- @param as_of timestamptz = null  End of the recent window (exclusive); default: just after the newest post.
-- @param recent_days int = 7  Length of the recent window, days.
-- @param baseline_days int = 28  Length of the baseline window before it, days.
-- @param min_recent int = 3  Minimum distinct posts using the tag in the recent window.
-- @param limit int = 20  Rows returned.
SELECT as_of AS win_as_of, recent_start AS win_recent_start,
       baseline_start AS win_baseline_start,
       head_end AS win_head_end, tail_start AS win_tail_start,
       CAST(timezone('UTC', head_end) AS DATE) AS win_first_day,
       CAST(timezone('UTC', tail_start) AS DATE) AS win_end_day,
       -- The day the recent window starts in, when it starts inside it and that day lies
       -- between head and tail: counted from posts_wide, split at recent_start.
       CASE WHEN recent_start > split_start AND split_start >= head_end
                 AND split_start + INTERVAL 1 DAY <= tail_start
            THEN split_start ELSE head_end END AS win_split_start,
       CASE WHEN recent_start > split_start AND split_start >= head_end
                 AND split_start + INTERVAL 1 DAY <= tail_start
            THEN split_start + INTERVAL 1 DAY ELSE head_end END AS win_split_end,
       -- The same bounds as days, for hashtag_daily: the first day whose midnight (in the
       -- session's time zone, as CAST(day AS TIMESTAMPTZ) has it) is at or after the bound.
       -- Comparing DATEs there instead of casting every row's day to TIMESTAMPTZ (a time
       -- zone conversion a row) cuts that scan's cost by about 4x.
       CAST(recent_start AS DATE)
           + CAST(CAST(CAST(recent_start AS DATE) AS TIMESTAMPTZ) < recent_start AS INTEGER)
           AS win_recent_day,
       CAST(win_split_start AS DATE)
           + CAST(CAST(CAST(win_split_start AS DATE) AS TIMESTAMPTZ) < win_split_start
                  AS INTEGER) AS win_split_day,
       CAST(win_split_end AS DATE)
           + CAST(CAST(CAST(win_split_end AS DATE) AS TIMESTAMPTZ) < win_split_end AS INTEGER)
           AS win_split_end_day
FROM (
    SELECT *,
           -- [baseline_start, head_end): the partial first day; [tail_start, as_of): the
           -- partial last day; whole days in between.
           least(CASE WHEN date_trunc('day', baseline_start) = baseline_start
                      THEN baseline_start
                      ELSE date_trunc('day', baseline_start) + INTERVAL 1 DAY END,
                 as_of) AS head_end,
           greatest(date_trunc('day', as_of),
                    least(CASE WHEN date_trunc('day', baseline_start) = baseline_start
                               THEN baseline_start
                               ELSE date_trunc('day', baseline_start) + INTERVAL 1 DAY END,
                          as_of)) AS tail_start,
           date_trunc('day', recent_start) AS split_start
    FROM (
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
    )
);

WITH totals AS (
    SELECT count(*) FILTER (WHERE taken_at >= CAST($win_recent_start AS TIMESTAMPTZ))
               AS recent_total,
           count(*) FILTER (WHERE taken_at < CAST($win_recent_start AS TIMESTAMPTZ))
               AS baseline_total
    FROM posts_wide
    WHERE taken_at >= CAST($win_baseline_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
),
edge_tags AS (
    -- The partial days, post by post: head, the split day, tail.
    SELECT taken_at >= CAST($win_recent_start AS TIMESTAMPTZ) AS is_recent,
           unnest(tags) AS tag_norm, 1 AS posts
    FROM posts_wide
    WHERE taken_at >= CAST($win_baseline_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_head_end AS TIMESTAMPTZ)
    UNION ALL
    SELECT taken_at >= CAST($win_recent_start AS TIMESTAMPTZ), unnest(tags), 1
    FROM posts_wide
    WHERE taken_at >= CAST($win_split_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_split_end AS TIMESTAMPTZ)
    UNION ALL
    SELECT taken_at >= CAST($win_recent_start AS TIMESTAMPTZ), unnest(tags), 1
    FROM posts_wide
    WHERE taken_at >= CAST($win_tail_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
),
day_tags AS (
    -- The whole days, from the daily counts (the split day is counted above).
    SELECT day >= CAST($win_recent_day AS DATE) AS is_recent, tag_norm, posts
    FROM hashtag_daily
    WHERE day >= CAST($win_first_day AS DATE) AND day < CAST($win_end_day AS DATE)
      AND NOT (day >= CAST($win_split_day AS DATE) AND day < CAST($win_split_end_day AS DATE))
),
per_tag AS (
    SELECT tag_norm,
           CAST(coalesce(sum(posts) FILTER (WHERE is_recent), 0) AS BIGINT) AS recent_posts,
           CAST(coalesce(sum(posts) FILTER (WHERE NOT is_recent), 0) AS BIGINT)
               AS baseline_posts
    FROM (FROM edge_tags UNION ALL FROM day_tags)
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
        WHERE taken_at >= CAST($win_recent_start AS TIMESTAMPTZ)
          AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
    ) AS u
    WHERE u.tag_norm IN (SELECT tag_norm FROM top)
    GROUP BY u.tag_norm
)
SELECT d.tag, t.tag_norm, t.recent_posts, t.baseline_posts, d.recent_profiles,
       round(t.recent_posts / CAST($recent_days AS DOUBLE), 3) AS recent_per_day,
       round(t.baseline_posts / CAST($baseline_days AS DOUBLE), 3) AS baseline_per_day,
       round(t.lift, 3) AS lift,
       CAST($win_as_of AS TIMESTAMPTZ) AS as_of
FROM top AS t JOIN detail AS d ON d.tag_norm = t.tag_norm
ORDER BY t.lift DESC, t.recent_posts DESC, t.tag_norm;
