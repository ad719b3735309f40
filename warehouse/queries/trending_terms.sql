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
-- posting a tag again and again is not a trend. kind: 'hashtag' (normalised tags, the
-- column tags), 'mention' (@usernames, lower-cased: mentions_norm) or 'keyword' (caption
-- words: split at spaces and punctuation, lower-cased, 4 or more characters, hashtags,
-- mentions and links left out: caption_words; scripts written without spaces give runs,
-- not words). All three are lists posts_wide computes once per post (schema/004). Terms
-- are counted from their daily sums for the whole days inside the windows (hashtag_daily
-- for hashtags, as rising_hashtags counts them; term_daily for mentions and keywords) and
-- from posts_wide only for the partial days at their edges (the first and last day, and the
-- day the recent window starts in when it starts inside one). Window bounds are computed
-- first and bound as constants (warehouse/queries.py), as timestamps for posts_wide and as
-- DATEs for the daily tables (a DATE comparison, not a time zone conversion of every row).
--
-- @param kind str = hashtag  What to rank: hashtag, mention or keyword.
-- @param as_of timestamptz = null  End of the recent window (exclusive); default: just after the newest post.
-- @param recent_days int = 7  Length of the recent window, days.
-- @param baseline_days int = 28  Length of the baseline window before it, days.
-- @param min_recent int = 3  Minimum posts using the term in the recent window.
-- @param min_profiles int = 3  Minimum distinct profiles using it in the recent window.
-- @param min_lift_low float = 1.0  Only terms whose lift_low exceeds this (1: rising, with 95 % confidence).
-- @param limit int = 20  Rows returned.
SELECT as_of AS win_as_of, recent_start AS win_recent_start,
       baseline_start AS win_baseline_start, kind AS win_kind,
       -- [baseline_start, head_end) and [tail_start, as_of): partial days read from
       -- posts_wide; whole days in between from the daily sums.
       head_end AS win_head_end, tail_start AS win_tail_start,
       CAST(timezone('UTC', head_end) AS DATE) AS win_first_day,
       CAST(timezone('UTC', tail_start) AS DATE) AS win_end_day,
       -- The day the recent window starts in, when it starts inside it and that day lies
       -- between head and tail: read from posts_wide, split at recent_start.
       CASE WHEN recent_start > split_start AND split_start >= head_end
                 AND split_start + INTERVAL 1 DAY <= tail_start
            THEN split_start ELSE head_end END AS win_split_start,
       CASE WHEN recent_start > split_start AND split_start >= head_end
                 AND split_start + INTERVAL 1 DAY <= tail_start
            THEN split_start + INTERVAL 1 DAY ELSE head_end END AS win_split_end,
       -- The same bounds as days, for the daily sums: the first day whose midnight (in the
       -- session's time zone, as CAST(day AS TIMESTAMPTZ) has it) is at or after the bound.
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
                   AS baseline_start,
               CASE WHEN CAST($kind AS VARCHAR) IN ('hashtag', 'mention', 'keyword')
                    THEN CAST($kind AS VARCHAR)
                    ELSE error('kind must be hashtag, mention or keyword, not '
                               || CAST($kind AS VARCHAR))
               END AS kind
        FROM (
            SELECT coalesce(
                CAST($as_of AS TIMESTAMPTZ),
                (SELECT max(taken_at) FROM posts_wide) + INTERVAL 1 SECOND
            ) AS as_of
        )
    )
);

WITH windowed AS NOT MATERIALIZED (
    SELECT taken_at, owner_id,
           CASE CAST($win_kind AS VARCHAR)
               WHEN 'hashtag' THEN tags
               WHEN 'mention' THEN mentions_norm
               ELSE caption_words
           END AS terms
    FROM posts_wide
),
totals AS (
    SELECT count(*) FILTER (WHERE taken_at >= CAST($win_recent_start AS TIMESTAMPTZ))
               AS recent_total,
           count(*) FILTER (WHERE taken_at < CAST($win_recent_start AS TIMESTAMPTZ))
               AS baseline_total
    FROM posts_wide
    WHERE taken_at >= CAST($win_baseline_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
),
edges AS (
    -- The partial days, post by post: head, the split day, tail (each a scan of its own, so
    -- each skips the row groups outside it).
    SELECT taken_at >= CAST($win_recent_start AS TIMESTAMPTZ) AS is_recent,
           unnest(terms) AS term, 1 AS posts
    FROM windowed
    WHERE taken_at >= CAST($win_baseline_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_head_end AS TIMESTAMPTZ)
    UNION ALL
    SELECT taken_at >= CAST($win_recent_start AS TIMESTAMPTZ), unnest(terms), 1
    FROM windowed
    WHERE taken_at >= CAST($win_split_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_split_end AS TIMESTAMPTZ)
    UNION ALL
    SELECT taken_at >= CAST($win_recent_start AS TIMESTAMPTZ), unnest(terms), 1
    FROM windowed
    WHERE taken_at >= CAST($win_tail_start AS TIMESTAMPTZ)
      AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
),
days AS (
    -- The whole days, from the daily sums (the split day is counted above): one of the two
    -- scans, the other's constant false filter leaves it out of the plan.
    SELECT day >= CAST($win_recent_day AS DATE) AS is_recent, term, posts
    FROM term_daily
    WHERE kind = CAST($win_kind AS VARCHAR)
      AND day >= CAST($win_first_day AS DATE) AND day < CAST($win_end_day AS DATE)
      AND NOT (day >= CAST($win_split_day AS DATE) AND day < CAST($win_split_end_day AS DATE))
    UNION ALL
    SELECT day >= CAST($win_recent_day AS DATE), tag_norm, posts
    FROM hashtag_daily
    WHERE CAST($win_kind AS VARCHAR) = 'hashtag'
      AND day >= CAST($win_first_day AS DATE) AND day < CAST($win_end_day AS DATE)
      AND NOT (day >= CAST($win_split_day AS DATE) AND day < CAST($win_split_end_day AS DATE))
),
per_term AS (
    SELECT term,
           CAST(coalesce(sum(posts) FILTER (WHERE is_recent), 0) AS BIGINT) AS recent_posts,
           CAST(coalesce(sum(posts) FILTER (WHERE NOT is_recent), 0) AS BIGINT)
               AS baseline_posts
    FROM (FROM edges UNION ALL FROM days)
    GROUP BY term
    HAVING recent_posts >= CAST($min_recent AS INTEGER)
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
    -- One scan of the recent window for the candidates: their distinct profiles and, for
    -- hashtags, the spelling most used (hashtags_norm and hashtags side by side, a tag
    -- repeated in a caption counting once per use). Mentions and words are shown as counted:
    -- their branch has no spelling to weigh (whichever branch's constant filter is false
    -- is left out of the plan).
    SELECT u.term, count(DISTINCT u.owner_id) AS recent_profiles, mode(u.spelt) AS shown
    FROM (
        SELECT owner_id, unnest(hashtags_norm) AS term, unnest(hashtags) AS spelt
        FROM posts_wide
        WHERE CAST($win_kind AS VARCHAR) = 'hashtag'
          AND taken_at >= CAST($win_recent_start AS TIMESTAMPTZ)
          AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
    ) AS u
    JOIN candidates AS c ON c.term = u.term
    GROUP BY u.term
    UNION ALL
    SELECT u.term, count(DISTINCT u.owner_id), NULL
    FROM (
        SELECT owner_id, unnest(terms) AS term FROM windowed
        WHERE CAST($win_kind AS VARCHAR) <> 'hashtag'
          AND taken_at >= CAST($win_recent_start AS TIMESTAMPTZ)
          AND taken_at < CAST($win_as_of AS TIMESTAMPTZ)
    ) AS u
    WHERE u.term IN (SELECT term FROM candidates)
    GROUP BY u.term
),
top AS (
    SELECT c.*, p.recent_profiles, p.shown
    FROM candidates AS c JOIN profiles AS p ON p.term = c.term
    WHERE p.recent_profiles >= CAST($min_profiles AS INTEGER)
    ORDER BY c.lift_low DESC, c.recent_posts DESC, c.term
    LIMIT CAST($limit AS INTEGER)
)
SELECT coalesce(t.shown, t.term) AS tag,
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
FROM top AS t
ORDER BY t.lift_low DESC, t.recent_posts DESC, t.term;
