-- posting_times: when posts are published, by UTC weekday x hour, with mean engagement.
--
-- Hours are UTC (the warehouse's session zone), not the poster's local time: compare
-- profiles of one region, or shift the hours by hand.
--
-- @param since timestamptz = null  Only posts taken at or after this instant.
-- @param username str = null  Only this profile's posts.
SELECT isodow(taken_at) AS weekday,          -- 1 = Monday … 7 = Sunday
       dayname(taken_at) AS weekday_name,
       hour(taken_at) AS hour_utc,
       count(*) AS posts,
       round(avg(like_count), 1) AS avg_likes,
       round(avg(comment_count), 1) AS avg_comments
FROM posts_wide
WHERE taken_at IS NOT NULL
  AND (CAST($since AS TIMESTAMPTZ) IS NULL OR taken_at >= CAST($since AS TIMESTAMPTZ))
  AND (CAST($username AS VARCHAR) IS NULL OR owner_username = CAST($username AS VARCHAR))
GROUP BY ALL
ORDER BY weekday, hour_utc;
