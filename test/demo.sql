-- crm_fdw showcase: Pipedrive (the bundled emulator) as foreign tables.
-- (ECHO all shows statements as written: :'token' stays unexpanded)
\set ECHO all
\pset footer off
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TOKEN

CREATE EXTENSION crm_fdw;
CREATE SERVER pipedrive FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pipedrive OPTIONS (api_token :'token');
CREATE SCHEMA crm;
IMPORT FOREIGN SCHEMA pipedrive FROM SERVER pipedrive INTO crm;

-- one deal by id: one request, GET /api/v2/deals/7
SELECT id, title, value, currency, status, update_time FROM crm.deals WHERE id = 7;

-- a date window becomes updated_since / updated_until; EXPLAIN shows the request
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, title, value FROM crm.deals
 WHERE update_time >= '2026-03-01' AND update_time < '2026-03-08';
SELECT id, title, value, status, update_time FROM crm.deals
 WHERE update_time >= '2026-03-01' AND update_time < '2026-03-08'
 ORDER BY update_time LIMIT 10;

-- join CRM data with a local table: sales targets per pipeline
CREATE TABLE targets (pipeline_id bigint PRIMARY KEY, target numeric);
INSERT INTO targets SELECT id, 10000000 + 2500000 * id FROM crm.pipelines;
SELECT p.name AS pipeline, count(*) AS won_deals, sum(d.value) AS won_value, t.target,
       round(100 * sum(d.value) / t.target, 1) AS pct_of_target
  FROM crm.deals d
  JOIN crm.pipelines p ON p.id = d.pipeline_id
  JOIN targets t ON t.pipeline_id = d.pipeline_id
 WHERE d.status = 'won'
 GROUP BY p.name, t.target ORDER BY p.name;

-- what it cost: requests, pages and rows per scan, and for the session
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM crm.deals WHERE status IN ('won', 'lost');
SELECT * FROM crm_fdw_stats();
