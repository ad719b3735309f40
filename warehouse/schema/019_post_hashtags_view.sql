-- post_hashtags: the hashtags of every post, one row per occurrence, as a view of posts.
--
-- It was a table the load kept beside posts, holding the same lists again one row per tag
-- (posts.hashtags and hashtags_norm are what the load wrote it from). Replacing a post then
-- meant finding its rows there: a scan of the post ids of a table about four times longer
-- than posts (760,000 rows at 4,000 profiles), the largest cost of an update that grew with
-- the warehouse (13 ms more at 4,000 profiles than at 1,000 on one core, benchmarks/
-- incremental.py), besides the rows written and stored twice. Read as a view it costs an
-- unnest of the lists, which its readers (the full check, the co-occurrence query) pay
-- instead of reading the table; hashtag_daily is counted from posts' lists directly.
--
-- A warehouse made before this file still holds the table: warehouse.db drops it before
-- the schema is applied (SQL cannot drop an object only when it is a table, and a DROP TABLE
-- of the view would fail every later apply).
CREATE OR REPLACE VIEW post_hashtags AS
SELECT post_id,
       CAST(unnest(generate_series(1, len(hashtags))) AS INTEGER) AS position,  -- 1-based
       unnest(hashtags) AS tag,                                          -- as written
       unnest(hashtags_norm) AS tag_norm                                 -- NFC + casefold
FROM posts
WHERE len(hashtags) > 0;
