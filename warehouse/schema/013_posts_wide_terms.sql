-- posts_wide.caption_words and posts_wide.mentions_norm (schema/004 says what they hold):
-- added to a posts_wide made before them and filled once. A table built since has them from
-- posts_wide_source, and every row the refresh writes computes them, so the UPDATE finds
-- nothing to fill after its first run (caption_words is never null once computed).
ALTER TABLE posts_wide ADD COLUMN IF NOT EXISTS mentions_norm VARCHAR[];
ALTER TABLE posts_wide ADD COLUMN IF NOT EXISTS caption_words VARCHAR[];
UPDATE posts_wide
SET mentions_norm = mentions_norm_of(mentions), caption_words = caption_words_of(caption)
WHERE caption_words IS NULL;
