-- hashtag_cooccurrence: pairs of hashtags used on the same post, with how often.
--
-- Each post counts once per pair (repeats in a caption do not inflate). With tag set, only
-- the pairs containing it (normalised before comparing). jaccard = together / (either).
--
-- @param tag hashtag = null  Only pairs with this hashtag (any case, with or without '#').
-- @param since timestamptz = null  Only posts taken at or after this instant.
-- @param min_count int = 2  Minimum posts sharing the pair.
-- @param limit int = 50  Rows returned.
WITH wanted AS (
    SELECT CAST($tag AS VARCHAR) AS tag_norm  -- normalised by run_query (NFC + casefold)
),
tags AS (
    SELECT DISTINCT h.post_id, h.tag_norm
    FROM post_hashtags AS h JOIN posts AS p ON p.post_id = h.post_id
    WHERE CAST($since AS TIMESTAMPTZ) IS NULL OR p.taken_at >= CAST($since AS TIMESTAMPTZ)
),
singles AS (
    SELECT tag_norm, count(*) AS posts FROM tags GROUP BY tag_norm
),
pairs AS (
    SELECT a.tag_norm AS tag_a, b.tag_norm AS tag_b, count(*) AS together
    FROM tags AS a JOIN tags AS b ON a.post_id = b.post_id AND a.tag_norm < b.tag_norm
    GROUP BY ALL
)
SELECT p.tag_a,
       p.tag_b,
       p.together,
       sa.posts AS posts_a,
       sb.posts AS posts_b,
       round(p.together / (sa.posts + sb.posts - p.together), 4) AS jaccard
FROM pairs AS p
JOIN singles AS sa ON sa.tag_norm = p.tag_a
JOIN singles AS sb ON sb.tag_norm = p.tag_b,
     wanted AS w
WHERE p.together >= CAST($min_count AS INTEGER)
  AND (w.tag_norm IS NULL OR w.tag_norm IN (p.tag_a, p.tag_b))
ORDER BY p.together DESC, jaccard DESC, p.tag_a, p.tag_b
LIMIT CAST($limit AS INTEGER);
