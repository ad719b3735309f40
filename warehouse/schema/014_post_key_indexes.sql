-- Held ART indexes on the post key of posts, post_hashtags and hashtag_daily_posts, so that
-- an update found its posts' rows by key lookups. They are dropped again by schema/017, which
-- says why; the statements are gone from here so that a later migration does not build them
-- only for 017 to drop them.
SELECT 1;
