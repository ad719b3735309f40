-- ip_ranges: the carriers' public IPv4 ranges the modems have been given, at /16 and /24.
--
-- Across routes (route null: every modem's sightings together) and, when the log holds more
-- than one route (INTREND_ROUTES), per route as well: each route's modem may sit on another
-- carrier, and "does this block recur" is a question about one modem's carrier.
--
-- The field notes show the interesting differences live at /24 (209.29.168.x common,
-- 209.29.99.x rare, both in 209.29.0.0/16), so both levels are reported. Plain SQL on the
-- octets: DuckDB's inet extension is not available offline. IPv6 sightings are left out.
--
-- "Does an IP come back?" counts only what the modem labels returned (ip_log.seen_as): an
-- IP kept through a failed rotation, or found again at a service start, is the modem
-- holding on to its address, not the carrier handing it out again, and is counted apart.
--   distinct_ips           addresses of the block
--   sightings              times the modem was seen with one of them
--   kept_through_rotation  sightings labelled kept (a rotation that kept the IP)
--   seen_after_restart     sightings labelled restart (the IP found again at a start)
--   returns                sightings labelled returned (other IPs came in between)
--   returning_ips          addresses with at least one return
--   carrier_changes        sightings the service did not cause (source carrier or check)
--   unlabelled             sightings with no seen_as (loaded before the label existed):
--                          never counted as a return, so returns is a lower bound while > 0
--
-- @param since timestamptz = null  Only sightings at or after this instant.
-- @param min_sightings int = 1  Hide blocks seen fewer times.
WITH v4 AS (
    SELECT ip, seen_at, source, seen_as, route,
           CAST(split_part(ip, '.', 1) AS INTEGER) AS o1,
           CAST(split_part(ip, '.', 2) AS INTEGER) AS o2,
           CAST(split_part(ip, '.', 3) AS INTEGER) AS o3
    FROM ip_log
    WHERE regexp_full_match(trim(ip), '\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}')
      AND (CAST($since AS TIMESTAMPTZ) IS NULL OR seen_at >= CAST($since AS TIMESTAMPTZ))
),
blocks AS (
    SELECT 16 AS prefix_len, o1 || '.' || o2 || '.0.0/16' AS cidr, ip, seen_at, source,
           seen_as, route, o1, o2, 0 AS o3
    FROM v4
    UNION ALL
    SELECT 24, o1 || '.' || o2 || '.' || o3 || '.0/24', ip, seen_at, source, seen_as,
           route, o1, o2, o3
    FROM v4
),
grouped AS (
SELECT CASE WHEN grouping(route) = 0 THEN route END AS route,
       grouping(route) AS across,
       prefix_len,
       cidr,
       count(DISTINCT ip) AS distinct_ips,
       count(*) AS sightings,
       count(*) FILTER (WHERE seen_as = 'kept') AS kept_through_rotation,
       count(*) FILTER (WHERE seen_as = 'restart') AS seen_after_restart,
       count(*) FILTER (WHERE seen_as = 'returned') AS returns,
       count(DISTINCT ip) FILTER (WHERE seen_as = 'returned') AS returning_ips,
       count(*) FILTER (WHERE source IN ('carrier', 'check')) AS carrier_changes,
       count(*) FILTER (WHERE seen_as IS NULL) AS unlabelled,
       round(
           count(*) / sum(count(*)) OVER (PARTITION BY grouping(route), route, prefix_len), 4
       ) AS share,
       min(seen_at) AS first_seen,
       max(seen_at) AS last_seen,
       o1, o2, o3
FROM blocks
GROUP BY GROUPING SETS ((prefix_len, cidr, o1, o2, o3), (route, prefix_len, cidr, o1, o2, o3))
HAVING count(*) >= CAST($min_sightings AS INTEGER)
)
SELECT * EXCLUDE (across, o1, o2, o3)
FROM grouped
WHERE across = 1 OR (SELECT count(DISTINCT route) FROM v4) > 1
ORDER BY across DESC, route, prefix_len, sightings DESC, o1, o2, o3;
