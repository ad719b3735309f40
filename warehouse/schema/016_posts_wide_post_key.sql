-- Held an ART index on posts_wide's post key, as schema/014 did for the other post tables.
-- Dropped again by schema/017, which says why.
SELECT 1;
