-- Profiles: one row per profile (its latest known state) and one row per fetch.
-- Keys are enforced by the loader (delete + insert by key inside one transaction), not by
-- PRIMARY KEY constraints: DuckDB's ART indexes cost memory and slow bulk loads, and
-- warehouse.checks verifies uniqueness after every build.

CREATE TABLE IF NOT EXISTS profiles (
    id                  VARCHAR,      -- key (Instagram's numeric id, as text)
    username            VARCHAR,
    full_name           VARCHAR,
    biography           VARCHAR,
    followers           BIGINT,
    following           BIGINT,
    post_count          BIGINT,
    is_private          BOOLEAN,
    is_verified         BOOLEAN,
    is_business_account BOOLEAN,
    category_name       VARCHAR,
    external_url        VARCHAR,
    profile_pic_url     VARCHAR,
    fetched_at          TIMESTAMPTZ,  -- the fetch this state comes from
    first_seen_at       TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS profile_snapshots (
    profile_id  VARCHAR,              -- key (profile_id, fetched_at)
    username    VARCHAR,
    fetched_at  TIMESTAMPTZ,
    followers   BIGINT,
    following   BIGINT,
    post_count  BIGINT,
    is_private  BOOLEAN,
    is_verified BOOLEAN
);
