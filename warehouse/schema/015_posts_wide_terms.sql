-- posts_wide.caption_words and posts_wide.mentions_norm (schema/004 says what they hold):
-- added to a posts_wide made before them and filled once. A table built since has them from
-- posts_wide_source, and every row the refresh writes computes them, so the UPDATE finds
-- nothing to fill after its first run (caption_words is never null once computed).
ALTER TABLE posts_wide ADD COLUMN IF NOT EXISTS mentions_norm VARCHAR[];
ALTER TABLE posts_wide ADD COLUMN IF NOT EXISTS caption_words VARCHAR[];
UPDATE posts_wide
SET mentions_norm = mentions_norm_of(mentions), caption_words = caption_words_of(caption)
WHERE caption_words IS NULL;

-- term_daily: posts per caption word or mention (kind 'keyword' or 'mention', the term as
-- in caption_words / mentions_norm) and UTC day, the sum of posts_wide's lists: what
-- trending_terms reads for the whole days of its windows, as rising_hashtags reads
-- hashtag_daily. warehouse.load.terms keeps it with posts_wide (rebuilt with it, and by
-- differences on its row refresh); filled here from a posts_wide made before it.
CREATE TABLE IF NOT EXISTS term_daily (
    kind  VARCHAR,
    term  VARCHAR,
    day   DATE,
    posts BIGINT
);

-- post_terms(rel): the terms of the posts in the relation named rel (posts_wide, or rows
-- shaped like it: taken_day, mentions_norm, caption_words), one row per (kind, term, day)
-- and post: the rows term_daily sums.
CREATE OR REPLACE MACRO post_terms(rel) AS TABLE
SELECT kind, term, day FROM (
    SELECT 'mention' AS kind, unnest(mentions_norm) AS term, taken_day AS day
    FROM query_table(rel) WHERE taken_day IS NOT NULL
    UNION ALL
    SELECT 'keyword', unnest(caption_words), taken_day
    FROM query_table(rel) WHERE taken_day IS NOT NULL
);

INSERT INTO term_daily
SELECT kind, term, day, count(*) FROM post_terms('posts_wide')
WHERE NOT EXISTS (SELECT 1 FROM term_daily)
GROUP BY ALL;
