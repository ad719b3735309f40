-- hashtag_series: posts per UTC day using each of the given hashtags, over the baseline and recent windows.
--
-- One row per tag and day of [as_of - recent_days - baseline_days, as_of), days without a
-- post included as 0, so lines over it have no gaps. period says which window the day is
-- in (the windows of trending_terms and rising_hashtags: days are cut at as_of's time of
-- day, so the first and last days may be partial). share = the tag's posts / all posts
-- that day. tags: normalised tags (the tag_norm column of the trend queries), separated by
-- commas. Counts come from hashtag_daily (refreshed by the hashtag_counts asset), the day
-- totals from posts_wide. Window bounds and the list of tags are computed first and bound
-- as constants (warehouse/queries.py).
--
-- @param tags str = null  Normalised hashtags, comma-separated (e.g. newwave,sunset).
-- @param as_of timestamptz = null  End of the recent window (exclusive); default: just after the newest post.
-- @param recent_days int = 7  Length of the recent window, days.
-- @param baseline_days int = 28  Length of the baseline window before it, days.
SELECT as_of AS win_as_of,
       as_of - to_days(CAST($recent_days AS INTEGER)) AS win_recent_start,
       as_of - to_days(CAST($recent_days AS INTEGER) + CAST($baseline_days AS INTEGER))
           AS win_baseline_start,
       (SELECT coalesce(list(DISTINCT trim(t)) FILTER (WHERE trim(t) <> ''), [])
        FROM unnest(string_split(coalesce(CAST($tags AS VARCHAR), ''), ',')) AS u(t))
           AS win_tags
FROM (
    SELECT coalesce(
        CAST($as_of AS TIMESTAMPTZ),
        (SELECT max(taken_at) FROM posts_wide) + INTERVAL 1 SECOND
    ) AS as_of
);

WITH wanted AS (
    SELECT unnest(CAST($win_tags AS VARCHAR[])) AS tag_norm
),
first_and_last AS (
    SELECT CAST(timezone('UTC', CAST($win_baseline_start AS TIMESTAMPTZ)) AS DATE) AS first_day,
           CAST(timezone('UTC', CAST($win_as_of AS TIMESTAMPTZ)) AS DATE) AS last_day
),
day_totals AS (
    SELECT taken_day AS day, count(*) AS all_posts
    FROM posts_wide
    WHERE taken_at >= CAST($win_baseline_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
    GROUP BY ALL
),
counts AS (
    -- hashtag_daily holds posts per tag and UTC day: no list of posts_wide is unnested.
    SELECT h.day, h.tag_norm, h.posts
    FROM hashtag_daily AS h, first_and_last AS b
    WHERE h.day BETWEEN b.first_day AND b.last_day
      AND list_contains(CAST($win_tags AS VARCHAR[]), h.tag_norm)
),
days AS (
    SELECT CAST(r.d AS DATE) AS day
    FROM first_and_last AS b, range(b.first_day, b.last_day + 1, INTERVAL 1 DAY) AS r(d)
)
SELECT d.day,
       w.tag_norm,
       coalesce(c.posts, 0) AS posts,
       coalesce(t.all_posts, 0) AS all_posts,
       round(coalesce(c.posts, 0) / nullif(t.all_posts, 0), 4) AS share,
       CASE WHEN d.day >= CAST(timezone('UTC', CAST($win_recent_start AS TIMESTAMPTZ)) AS DATE)
            THEN 'recent' ELSE 'baseline' END AS period
FROM days AS d
CROSS JOIN wanted AS w
LEFT JOIN counts AS c ON c.day = d.day AND c.tag_norm = w.tag_norm
LEFT JOIN day_totals AS t ON t.day = d.day
WHERE d.day < CAST(timezone('UTC', CAST($win_as_of AS TIMESTAMPTZ)) AS DATE)
   OR CAST($win_as_of AS TIMESTAMPTZ) > CAST(timezone('UTC', CAST($win_as_of AS TIMESTAMPTZ)) AS DATE)
ORDER BY w.tag_norm, d.day;
