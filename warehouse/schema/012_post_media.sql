-- post_media: one row per medium the media stage looked at (warehouse.contract
-- POST_MEDIA_SCHEMA): a post's thumbnail, display image, video, sidecar slide (position 1..),
-- or a profile's picture (post_id is then the profile's id). status 'archived' rows name the
-- file by sha256 (raw store folder, media/objects/<sha256[:2]>/); other statuses (expired,
-- refused, failed) say why not in reason. Keyed (post_id, kind, position): the latest wins.
CREATE TABLE IF NOT EXISTS post_media (
    post_id        VARCHAR,
    username       VARCHAR,
    kind           VARCHAR,       -- thumbnail, display, video, child, child_video, profile_pic
    position       INTEGER,       -- a slide's place in its sidecar; 0 otherwise
    status         VARCHAR,
    sha256         VARCHAR,
    bytes          BIGINT,
    width          INTEGER,
    height         INTEGER,
    content_type   VARCHAR,
    fetched_at     TIMESTAMPTZ,
    url_expires_at TIMESTAMPTZ,   -- the oe= of the address last tried
    reason         VARCHAR
);

-- How many of each post's media are archived (its picture, slides, and in full mode the
-- full-size image and videos; profile pictures are the profile's, not a post's).
CREATE OR REPLACE VIEW post_media_counts AS
SELECT post_id, CAST(count(*) FILTER (WHERE status = 'archived') AS INTEGER) AS archived
FROM post_media
WHERE kind <> 'profile_pic'
GROUP BY post_id;

-- posts_wide.media_archived: post_media_counts.archived, kept by the post_media load and by
-- posts_wide's rebuild and row refresh (warehouse.load.wide).
ALTER TABLE posts_wide ADD COLUMN IF NOT EXISTS media_archived INTEGER DEFAULT 0;
