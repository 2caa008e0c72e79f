--
-- What queries cost, shown: EXPLAIN (ANALYZE) reports requests, answers
-- served from the statement cache, pages, rows, retries, bytes and time
-- waiting on the API; crm_fdw_stats() keeps the session's totals per
-- server and agrees with the emulator's log.  Row estimates come from the
-- "rows" option or defaults, or from the API when use_remote_estimate
-- asks for it; no other request is sent while planning.
--
SELECT crm_fdw_stats_reset();
SELECT * FROM crm_fdw_stats();

SELECT * FROM explain_analyze('SELECT count(*) FROM deals');
SELECT * FROM explain_analyze('SELECT * FROM deals WHERE id = 42');
SELECT * FROM explain_analyze('SELECT id FROM deals WHERE id = ANY (ARRAY(SELECT generate_series(1, 250)))');

-- retries are counted, and show in the log as the requests they are
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN
CREATE SERVER pd_flaky FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_flaky OPTIONS (api_token :'token');
CREATE FOREIGN TABLE flaky_stages (id bigint, name text) SERVER pd_flaky OPTIONS (entity 'stages');
SELECT emu('POST', '/__emulator/faults',
           '{"method":"GET","path":"^/api/v2/stages$","status":503,"times":2,"retry_after":0}') \g /dev/null
SELECT * FROM explain_analyze('SELECT count(*) FROM flaky_stages');

-- the session's totals agree with the emulator's log
SELECT server, requests, cached, pages, rows, retries, bytes > 0 AS bytes,
       wait_ms >= 0 AS waited, wait_ms = round(wait_ms, 3) AS whole_microseconds
  FROM crm_fdw_stats() ORDER BY server;
SELECT emu_request_count() AS requests_in_emulator_log;
SELECT crm_fdw_stats_reset();
SELECT id FROM deals WHERE status = 'won' LIMIT 2;
SELECT (SELECT sum(requests) FROM crm_fdw_stats()) = emu_request_count() AS stats_agree;

-- planning sends nothing
EXPLAIN (COSTS OFF) SELECT * FROM deals WHERE owner_id = 1;
SELECT emu_request_count();

-- estimates: defaults per entity, the table's rows option, the API's own
SELECT plan_rows('SELECT * FROM deals') AS default_estimate;
SELECT plan_rows('SELECT * FROM deals WHERE id = 5') AS by_key;
ALTER FOREIGN TABLE deals OPTIONS (ADD rows '1170');
SELECT plan_rows('SELECT * FROM deals') AS with_rows_option;
ALTER FOREIGN TABLE deals OPTIONS (DROP rows);
ALTER FOREIGN TABLE deals OPTIONS (ADD use_remote_estimate 'true');
SELECT plan_rows('SELECT * FROM deals WHERE owner_id = 2 AND update_time >= ''2026-06-01''') AS remote_estimate;
SELECT count(*) FROM deals WHERE owner_id = 2 AND update_time >= '2026-06-01';
SELECT * FROM emu_requests();
ALTER FOREIGN TABLE deals OPTIONS (DROP use_remote_estimate);
ALTER FOREIGN TABLE deals OPTIONS (ADD rows 'many');

-- the planner weighs requests: a few lookups beat a long listing, and a
-- one-page listing beats a few lookups
CREATE TABLE few (id bigint);
INSERT INTO few VALUES (1), (2);
ANALYZE few;
EXPLAIN (COSTS OFF) SELECT * FROM few JOIN deals d ON d.id = few.id;
EXPLAIN (COSTS OFF) SELECT * FROM few JOIN pipelines p ON p.id = few.id;
DROP TABLE few;

SET client_min_messages = warning;
DROP SERVER pd_flaky CASCADE;
