--
-- Upgrades: a database made with version 1.0 keeps working with the new
-- library, and ALTER EXTENSION crm_fdw UPDATE brings it to exactly what a
-- fresh CREATE EXTENSION makes.
-- It runs in a database of its own, beside the suite's.
--
CREATE DATABASE crm_upgrade;
\c crm_upgrade
CREATE EXTENSION crm_fdw VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'crm_fdw';
-- 1.0's crm_fdw_stats() keeps its own row type on the new library
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN
CREATE SERVER pd10 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd10 OPTIONS (api_token :'token');
CREATE FOREIGN TABLE stages10 (id bigint, name text) SERVER pd10 OPTIONS (entity 'stages');
SELECT count(*) FROM stages10;
SELECT server, requests, pages, rows, retries, pg_typeof(wait_ms) FROM crm_fdw_stats();

-- what the extension consists of, and the shape of its functions
CREATE FUNCTION extension_objects() RETURNS TABLE (object text, shape text)
LANGUAGE sql AS $$
  SELECT pg_describe_object(d.classid, d.objid, d.objsubid),
         CASE WHEN d.classid = 'pg_proc'::regclass
              THEN pg_get_function_identity_arguments(d.objid) || ' -> ' ||
                   pg_get_function_result(d.objid) END
    FROM pg_depend d
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_fdw')
$$;
ALTER EXTENSION crm_fdw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'crm_fdw';
CREATE TABLE updated AS SELECT * FROM extension_objects();
SELECT * FROM updated ORDER BY object;
SELECT evtname, evtevent, evttags FROM pg_event_trigger;

-- the 1.0 objects work on
SELECT count(*) FROM stages10;
SELECT server, requests, cached, pages, rows, retries, pg_typeof(wait_ms) FROM crm_fdw_stats();

SET client_min_messages = warning;
DROP EXTENSION crm_fdw CASCADE;
RESET client_min_messages;
CREATE EXTENSION crm_fdw;
-- a fresh install and an updated one are the same
(SELECT * FROM extension_objects() EXCEPT SELECT * FROM updated)
UNION ALL
(SELECT * FROM updated EXCEPT SELECT * FROM extension_objects());
\c contrib_regression
DROP DATABASE crm_upgrade;
-- what the old and the updated objects asked of the API
SELECT * FROM emu_requests();
