-- ip_ranges: the carrier's public IPv4 ranges the modem has been given, at /16 and /24.
--
-- The field notes show the interesting differences live at /24 (209.29.168.x common,
-- 209.29.99.x rare, both in 209.29.0.0/16), so both levels are reported. Plain SQL on the
-- octets: DuckDB's inet extension is not available offline. IPv6 sightings are left out.
-- returning_ips = addresses of the block seen at more than one distinct time.
--
-- @param since timestamptz = null  Only sightings at or after this instant.
-- @param min_sightings int = 1  Hide blocks seen fewer times.
WITH v4 AS (
    SELECT ip, seen_at,
           CAST(split_part(ip, '.', 1) AS INTEGER) AS o1,
           CAST(split_part(ip, '.', 2) AS INTEGER) AS o2,
           CAST(split_part(ip, '.', 3) AS INTEGER) AS o3
    FROM ip_log
    WHERE regexp_full_match(trim(ip), '\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}')
      AND (CAST($since AS TIMESTAMPTZ) IS NULL OR seen_at >= CAST($since AS TIMESTAMPTZ))
),
blocks AS (
    SELECT 16 AS prefix_len, o1 || '.' || o2 || '.0.0/16' AS cidr, ip, seen_at,
           o1, o2, 0 AS o3
    FROM v4
    UNION ALL
    SELECT 24, o1 || '.' || o2 || '.' || o3 || '.0/24', ip, seen_at, o1, o2, o3
    FROM v4
),
per_ip AS (
    SELECT prefix_len, cidr, o1, o2, o3, ip, count(DISTINCT seen_at) AS times_seen,
           min(seen_at) AS first_seen, max(seen_at) AS last_seen
    FROM blocks GROUP BY ALL
)
SELECT prefix_len,
       cidr,
       CAST(sum(times_seen) AS BIGINT) AS sightings,
       count(*) AS distinct_ips,
       count(*) FILTER (WHERE times_seen > 1) AS returning_ips,
       round(sum(times_seen) / sum(sum(times_seen)) OVER (PARTITION BY prefix_len), 4) AS share,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM per_ip
GROUP BY prefix_len, cidr, o1, o2, o3
HAVING sum(times_seen) >= CAST($min_sightings AS INTEGER)
ORDER BY prefix_len, sightings DESC, o1, o2, o3;
