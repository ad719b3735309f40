-- fetch_log.route, ip_log.route: the egress route (a modem service and the proxy through its
-- modem, INTREND_ROUTES) a request went out on, and whose modem had the IP. Rows from before
-- routes existed came through the one modem a deployment had, which the code location names
-- 'modem' when no routes are configured: they get that name, so a sighting loaded again from
-- that modem matches its old row (ip_log's key is ip, seen_at, route).
ALTER TABLE fetch_log ADD COLUMN IF NOT EXISTS route VARCHAR;
UPDATE fetch_log SET route = 'modem' WHERE route IS NULL;
ALTER TABLE ip_log ADD COLUMN IF NOT EXISTS route VARCHAR;
UPDATE ip_log SET route = 'modem' WHERE route IS NULL;
