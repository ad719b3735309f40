-- top_hashtags_weekly: the most used hashtags of each ISO week (Monday start, UTC).
--
-- Reads hashtag_daily (the hashtag_daily asset), so it is cheap over years.
--
-- @param start date = null  First day included; default: 12 weeks before the last day with data.
-- @param end date = null  Last day included; default: the last day with data.
-- @param top int = 10  Hashtags per week.
WITH bounds AS (
    SELECT coalesce(CAST($end AS DATE), (SELECT max(day) FROM hashtag_daily)) AS last_day
),
span AS (
    SELECT coalesce(CAST($start AS DATE), CAST(last_day - INTERVAL 83 DAY AS DATE)) AS first_day,
           last_day
    FROM bounds
),
weekly AS (
    SELECT CAST(date_trunc('week', h.day) AS DATE) AS week,
           h.tag_norm,
           CAST(sum(h.posts) AS BIGINT) AS posts,
           CAST(sum(h.uses) AS BIGINT) AS uses
    FROM hashtag_daily AS h, span AS s
    WHERE h.day BETWEEN s.first_day AND s.last_day
    GROUP BY ALL
)
SELECT week,
       rank() OVER (PARTITION BY week ORDER BY posts DESC, uses DESC) AS rank,
       tag_norm,
       posts,
       uses
FROM weekly
QUALIFY rank <= CAST($top AS INTEGER)
ORDER BY week, rank, tag_norm;
