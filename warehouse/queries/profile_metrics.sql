-- profile_metrics: each profile's followers, posts and likes at every fetch, with the change since its first fetch shown.
--
-- One row per profile and fetch (profile_snapshots), oldest first. likes = the likes of the
-- profile's posts as that fetch saw them (post_metrics: only posts the fetch returned, so
-- it is a sum over a profile's latest posts, not its whole history; posts_measured says how
-- many). followers_gained and growth_pct compare with the profile's first fetch at or after
-- since. usernames: a comma-separated list (default: every profile).
--
-- @param usernames str = null  Only these profiles, comma-separated.
-- @param since timestamptz = null  Only fetches at or after this instant.
WITH wanted AS (
    SELECT list(DISTINCT lower(trim(u))) AS names
    FROM unnest(string_split(coalesce(CAST($usernames AS VARCHAR), ''), ',')) AS t(u)
    WHERE trim(u) <> ''
),
snaps AS (
    SELECT s.*
    FROM profile_snapshots AS s, wanted AS w
    WHERE (w.names IS NULL OR list_contains(w.names, lower(s.username)))
      AND (CAST($since AS TIMESTAMPTZ) IS NULL OR s.fetched_at >= CAST($since AS TIMESTAMPTZ))
),
likes AS (
    SELECT p.owner_id, m.fetched_at,
           CAST(sum(m.like_count) AS BIGINT) AS likes,
           CAST(sum(m.comment_count) AS BIGINT) AS comments, count(*) AS posts_measured
    FROM post_metrics AS m
    JOIN posts AS p ON p.post_id = m.post_id
    WHERE p.owner_id IN (SELECT profile_id FROM snaps)
      AND (CAST($since AS TIMESTAMPTZ) IS NULL OR m.fetched_at >= CAST($since AS TIMESTAMPTZ))
    GROUP BY ALL
)
SELECT s.username,
       s.fetched_at,
       s.followers,
       s.following,
       s.post_count,
       l.likes,
       l.comments,
       l.posts_measured,
       s.followers - first_value(s.followers) OVER w AS followers_gained,
       round(100.0 * (s.followers - first_value(s.followers) OVER w)
             / nullif(first_value(s.followers) OVER w, 0), 2) AS growth_pct
FROM snaps AS s
LEFT JOIN likes AS l ON l.owner_id = s.profile_id AND l.fetched_at = s.fetched_at
WINDOW w AS (PARTITION BY s.profile_id ORDER BY s.fetched_at)
ORDER BY s.username, s.fetched_at;
