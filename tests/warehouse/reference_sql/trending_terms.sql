-- trending_terms: hashtags, @mentions or caption words rising in a recent window, ranked by how sure the rise is.
--
-- Windows end at as_of: recent = [as_of - recent_days, as_of), baseline = the baseline_days
-- before it. A term counts once per post. With r and b the posts using the term in the
-- recent and baseline windows and R and B all posts in them:
--   lift       = ((r + 1) / (R + 1)) / ((b + 1) / (B + 1)), the smoothed ratio of the term's
--                share of posts (the same lift as rising_hashtags: add-one smoothing, so a
--                term absent from the baseline gets a finite, large lift);
--   lift_low   = lift * exp(-1.645 * sqrt(1/(r + 1) + 1/(b + 1))), the one-sided 95 % lower
--                bound of the lift (log rate ratio, Poisson counts): what the rise is at least;
--   z          = (r - e) / sqrt(e), e = R * (b + 1) / (B + 1) the recent posts the baseline
--                share predicts: a Poisson z-score;
--   the score  = lift_low: a term with 3 posts cannot outrank one with 300 on the same lift.
-- A term needs min_recent recent posts from min_profiles distinct profiles: one account
-- posting a tag again and again is not a trend. kind: 'hashtag' (normalised tags),
-- 'mention' (@usernames, lower-cased) or 'keyword' (caption words: split at spaces and
-- punctuation, lower-cased, 4 or more characters, hashtags, mentions and links left out;
-- scripts written without spaces give runs, not words). Keywords split every caption of
-- the windows, which costs ~10x the hashtags' precomputed lists (see the README). Window bounds are computed first and bound as constants (warehouse/queries.py).
--
-- @param kind str = hashtag  What to rank: hashtag, mention or keyword.
-- @param as_of timestamptz = null  End of the recent window (exclusive); default: just after the newest post.
-- @param recent_days int = 7  Length of the recent window, days.
-- @param baseline_days int = 28  Length of the baseline window before it, days.
-- @param min_recent int = 3  Minimum posts using the term in the recent window.
-- @param min_profiles int = 3  Minimum distinct profiles using it in the recent window.
-- @param min_lift_low float = 1.0  Only terms whose lift_low exceeds this (1: rising, with 95 % confidence).
-- @param limit int = 20  Rows returned.
SELECT as_of AS win_as_of,
       as_of - to_days(CAST($recent_days AS INTEGER)) AS win_recent_start,
       as_of - to_days(CAST($recent_days AS INTEGER) + CAST($baseline_days AS INTEGER))
           AS win_baseline_start,
       CASE WHEN CAST($kind AS VARCHAR) IN ('hashtag', 'mention', 'keyword')
            THEN CAST($kind AS VARCHAR)
            ELSE error('kind must be hashtag, mention or keyword, not ' || CAST($kind AS VARCHAR))
       END AS win_kind
FROM (
    SELECT coalesce(
        CAST($as_of AS TIMESTAMPTZ),
        (SELECT max(taken_at) FROM posts_wide) + INTERVAL 1 SECOND
    ) AS as_of
);

WITH windowed AS NOT MATERIALIZED (
    SELECT taken_at >= CAST($win_recent_start AS TIMESTAMPTZ) AS is_recent,
           owner_id,
           CASE CAST($win_kind AS VARCHAR)
               WHEN 'hashtag' THEN tags
               WHEN 'mention' THEN list_distinct(mentions)
               ELSE list_distinct(string_split_regex(
                   lower(coalesce(caption, '')), '[\s.,;:!?"()\[\]…。、！？「」]+'))
           END AS terms
    FROM posts_wide
    WHERE taken_at >= CAST($win_baseline_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
),
totals AS (
    SELECT count(*) FILTER (WHERE is_recent) AS recent_total,
           count(*) FILTER (WHERE NOT is_recent) AS baseline_total
    FROM windowed
),
uses AS NOT MATERIALIZED (
    -- Mentions are lower-cased and caption words filtered after unnesting: a scalar
    -- function on one column costs less than a lambda over every post's list.
    SELECT is_recent, owner_id,
           CASE WHEN CAST($win_kind AS VARCHAR) = 'mention' THEN lower(raw) ELSE raw END AS term
    FROM (SELECT is_recent, owner_id, unnest(terms) AS raw FROM windowed)
    WHERE CAST($win_kind AS VARCHAR) <> 'keyword'
       OR (length(raw) >= 4 AND NOT starts_with(raw, '#') AND NOT starts_with(raw, '＃')
           AND NOT starts_with(raw, '@') AND NOT starts_with(raw, 'http'))
),
per_term AS (
    SELECT term,
           count(*) FILTER (WHERE is_recent) AS recent_posts,
           count(*) FILTER (WHERE NOT is_recent) AS baseline_posts
    FROM uses
    GROUP BY term
    HAVING count(*) FILTER (WHERE is_recent) >= CAST($min_recent AS INTEGER)
),
candidates AS (
    -- The best lift_low first; distinct profiles are counted for these only (counting them
    -- for every term cost more than the rest of the query), so at most 10 x limit terms
    -- are weighed against min_profiles.
    SELECT t.term, t.recent_posts, t.baseline_posts,
           ((t.recent_posts + 1.0) / (x.recent_total + 1.0))
           / ((t.baseline_posts + 1.0) / (x.baseline_total + 1.0)) AS lift,
           sqrt(1.0 / (t.recent_posts + 1.0) + 1.0 / (t.baseline_posts + 1.0)) AS log_se,
           x.recent_total * (t.baseline_posts + 1.0) / (x.baseline_total + 1.0) AS expected,
           lift * exp(-1.645 * log_se) AS lift_low
    FROM per_term AS t, totals AS x
    WHERE lift_low > CAST($min_lift_low AS DOUBLE)
    ORDER BY lift_low DESC, t.recent_posts DESC, t.term
    LIMIT 10 * CAST($limit AS INTEGER)
),
profiles AS (
    SELECT u.term, count(DISTINCT u.owner_id) AS recent_profiles
    FROM uses AS u
    WHERE u.is_recent AND u.term IN (SELECT term FROM candidates)
    GROUP BY u.term
),
top AS (
    SELECT c.*, p.recent_profiles
    FROM candidates AS c JOIN profiles AS p ON p.term = c.term
    WHERE p.recent_profiles >= CAST($min_profiles AS INTEGER)
    ORDER BY c.lift_low DESC, c.recent_posts DESC, c.term
    LIMIT CAST($limit AS INTEGER)
),
spelling AS (
    -- The spelling most used, for hashtags (mentions and words are shown as counted).
    SELECT u.tag_norm AS term, mode(u.tag) AS shown
    FROM (
        SELECT unnest(hashtags_norm) AS tag_norm, unnest(hashtags) AS tag
        FROM posts_wide
        WHERE CAST($win_kind AS VARCHAR) = 'hashtag'
          AND taken_at >= CAST($win_recent_start AS TIMESTAMPTZ)
          AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
    ) AS u
    WHERE u.tag_norm IN (SELECT term FROM top)
    GROUP BY u.tag_norm
)
SELECT coalesce(s.shown, t.term) AS tag,
       t.term AS tag_norm,
       t.recent_posts,
       t.baseline_posts,
       t.recent_profiles,
       round(t.recent_posts / CAST($recent_days AS DOUBLE), 3) AS recent_per_day,
       round(t.baseline_posts / CAST($baseline_days AS DOUBLE), 3) AS baseline_per_day,
       round(t.lift, 3) AS lift,
       round(t.lift_low, 3) AS lift_low,
       round((t.recent_posts - t.expected) / sqrt(t.expected), 2) AS z,
       CAST($win_as_of AS TIMESTAMPTZ) AS as_of
FROM top AS t LEFT JOIN spelling AS s ON s.term = t.term
ORDER BY t.lift_low DESC, t.recent_posts DESC, t.term;
