-- crm_fdw showcase: Pipedrive, amoCRM and SalesMan (the bundled emulator,
-- its data ending today) as foreign tables.
-- (ECHO all shows statements as written: :'token' stays unexpanded)
\set ECHO all
\pset footer off
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TOKEN
\getenv amo_token CRM_AMO_TOKEN
\getenv sm_login CRM_SM_LOGIN
\getenv sm_key CRM_SM_KEY

CREATE EXTENSION crm_fdw;
CREATE SERVER pipedrive FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pipedrive OPTIONS (api_token :'token');
CREATE SCHEMA crm;
IMPORT FOREIGN SCHEMA pipedrive FROM SERVER pipedrive INTO crm;

-- one deal by id: one request, GET /api/v2/deals/7
SELECT id, title, value, currency, status, update_time FROM crm.deals WHERE id = 7;

-- a date window becomes updated_since; EXPLAIN shows the request
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, title, value FROM crm.deals WHERE update_time >= now() - interval '7 days';
-- the open deals changed this week, by stage
SELECT s.name AS stage, count(*) AS deals, sum(d.value) AS value
  FROM crm.deals d JOIN crm.stages s ON s.id = d.stage_id
 WHERE d.update_time >= now() - interval '7 days' AND d.status = 'open'
 GROUP BY s.name, s.order_nr ORDER BY s.order_nr;

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

-- amoCRM: deals with their stage and pipeline names, a lead's notes
CREATE SERVER amocrm FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'amocrm', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER amocrm OPTIONS (access_token :'amo_token');
CREATE SCHEMA amo;
IMPORT FOREIGN SCHEMA amocrm FROM SERVER amocrm INTO amo;
SELECT s.pipeline_name, s.name AS stage, count(*) AS deals, sum(d.price) AS budget
  FROM amo.deals d
  JOIN amo.stages s ON s.id = d.status_id AND s.pipeline_id = d.pipeline_id
 WHERE d.updated_at >= now() - interval '30 days'
 GROUP BY s.pipeline_name, s.pipeline_sort, s.name, s.sort
 ORDER BY s.pipeline_sort, s.sort;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT note_type, text FROM amo.notes WHERE entity_type = 'leads' AND entity_id = 1000001;
SELECT note_type, text FROM amo.notes WHERE entity_type = 'leads' AND entity_id = 1000001;

-- writes, each request shown: a deal moved to another stage and then won
-- (one PATCH each, no read first), a task and a note added
SET crm_fdw.log_requests = on;
UPDATE amo.deals SET pipeline_id = 7001, status_id = 700103 WHERE id = 1000009;
UPDATE amo.deals SET status_id = 142 WHERE id = 1000009 RETURNING id, name, closed_at;
INSERT INTO amo.tasks (text, complete_till, entity_type, entity_id, responsible_user_id)
VALUES ('Send the contract', now() + interval '1 day', 'leads', 1000009, 1002);
INSERT INTO amo.notes (entity_type, entity_id, note_type, text)
VALUES ('leads', 1000009, 'common', 'Won after the second call.');
RESET crm_fdw.log_requests;

-- SalesMan: a client's history of the last 30 days, in the account's zone;
-- one record added, RETURNING its cid
CREATE SERVER salesman FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'salesman', url :'url', timezone 'Europe/Moscow');
CREATE USER MAPPING FOR CURRENT_USER SERVER salesman
  OPTIONS (login :'sm_login', api_key :'sm_key');
CREATE SCHEMA sm;
IMPORT FOREIGN SCHEMA salesman FROM SERVER salesman INTO sm;
SELECT datum, tip, user_login, left(content, 50) AS content FROM sm.activities
 WHERE clid = 1 AND datum >= now() - interval '30 days' ORDER BY datum DESC LIMIT 5;
SET crm_fdw.log_requests = on;
INSERT INTO sm.activities (content, tip, clid, iduser) VALUES ('Called from the demo', 'Звонок', 1, 2)
RETURNING cid, datum, user_login, client;
UPDATE sm.deals SET step = 60 WHERE did = 1;
RESET crm_fdw.log_requests;

-- what it cost: requests, pages and rows per scan, and for the session
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM crm.deals WHERE status IN ('won', 'lost');
SELECT * FROM crm_fdw_stats();
