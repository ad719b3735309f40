-- posts_wide: the denormalized table analysts query. Its definition is the view
-- posts_wide_source (every post) over the macro posts_wide_rows (some posts);
-- warehouse.load rebuilds the table from the view (CREATE OR REPLACE, sorted by taken_at so
-- time-window scans skip row groups) or upserts a subset of posts from the macro.

-- The terms trending_terms ranks besides hashtags, computed once per post here rather than
-- at every query (splitting 35 days of captions cost ~10x the query itself):
-- caption_words_of(caption): the caption's words, each once (order not kept): split at
-- spaces and punctuation, lower-cased, 4 or more characters, hashtags, mentions and links
-- left out (scripts written without spaces give runs, not words).
CREATE OR REPLACE MACRO caption_words_of(caption) AS
list_distinct(list_filter(
    string_split_regex(lower(coalesce(caption, '')), '[\s.,;:!?"()\[\]…。、！？「」]+'),
    lambda w: length(w) >= 4 AND NOT starts_with(w, '#') AND NOT starts_with(w, '＃')
              AND NOT starts_with(w, '@') AND NOT starts_with(w, 'http')
));

-- mentions_norm_of(mentions): the @usernames mentioned, lower-cased (Instagram's usernames
-- are case-insensitive), each once.
CREATE OR REPLACE MACRO mentions_norm_of(mentions) AS
list_distinct(list_transform(coalesce(mentions, CAST([] AS VARCHAR[])), lambda m: lower(m)));

-- posts_wide_rows(row_ids): the rows of the posts at these rowids of posts (all posts when
-- row_ids is null). The incremental refresh finds the rowids of the posts it rewrites in one
-- scan of posts' post ids, in its own transaction; DuckDB then fetches those rows alone,
-- wherever they sit (a join with a table of ids is not pushed below the profile join, and
-- would decode every post).
CREATE OR REPLACE MACRO posts_wide_rows(row_ids) AS TABLE
SELECT
    p.post_id,
    p.post_num,
    p.shortcode,
    p.owner_id,
    p.owner_username,
    p.taken_at,
    CAST(timezone('UTC', p.taken_at) AS DATE)  AS taken_day,
    p.caption,
    p.hashtags,
    p.hashtags_norm,
    -- Each normalised tag once (set semantics, order not kept): what per-post counts unnest.
    list_distinct(p.hashtags_norm)              AS tags,
    len(p.hashtags)                             AS hashtag_count,
    p.mentions,
    mentions_norm_of(p.mentions)                AS mentions_norm,
    caption_words_of(p.caption)                 AS caption_words,
    p.media_type,
    p.is_video,
    p.child_count,
    p.is_pinned,
    p.location_name,
    p.like_count,
    p.comment_count,
    p.video_view_count,
    CASE WHEN pr.followers > 0
         THEN (coalesce(p.like_count, 0) + coalesce(p.comment_count, 0)) / pr.followers
    END                                         AS engagement_rate,
    p.display_url,
    p.display_url_expires_at,
    p.fetched_at                                AS metrics_fetched_at,
    p.first_seen_at,
    pr.full_name                                AS owner_full_name,
    pr.followers                                AS owner_followers,
    pr.following                                AS owner_following,
    pr.post_count                               AS owner_post_count,
    pr.is_verified                              AS owner_is_verified,
    pr.is_private                               AS owner_is_private,
    pr.is_business_account                      AS owner_is_business,
    pr.category_name                            AS owner_category
FROM posts AS p
LEFT JOIN profiles AS pr ON pr.id = p.owner_id
WHERE row_ids IS NULL OR p.rowid IN (SELECT unnest(row_ids));

CREATE OR REPLACE VIEW posts_wide_source AS SELECT * FROM posts_wide_rows(NULL);

CREATE TABLE IF NOT EXISTS posts_wide AS SELECT * FROM posts_wide_source LIMIT 0;

-- posts_wide.post_num: posts.post_num (schema/002), added to a posts_wide made before it.
ALTER TABLE posts_wide ADD COLUMN IF NOT EXISTS post_num BIGINT;
UPDATE posts_wide SET post_num = post_num_of(post_id)
WHERE post_num IS NULL AND post_num_of(post_id) IS NOT NULL;
