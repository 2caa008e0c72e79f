--
-- Failures: HTTP and API errors become ERRORs in the FDW class (SQLSTATE
-- HV...), with the vendor's message in DETAIL and no secret anywhere; a
-- request in flight stops on statement_timeout.  After each error the
-- session keeps working.
--
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN

-- a wrong token: 401
CREATE SERVER pd_bad_token FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_bad_token
  OPTIONS (api_token 'not-the-right-token');
CREATE FOREIGN TABLE deals_401 (id bigint) SERVER pd_bad_token OPTIONS (entity 'deals');
SELECT * FROM deals_401;
SELECT 1 AS still_working;

-- servers whose every answer is a failure, from the emulator's fault prefixes
\set url404 :url/__fault/status/404
\set url500 :url/__fault/status/500
\set url503 :url/__fault/status/503
\set urlnotjson :url/__fault/notjson
\set urlhtml :url/__fault/html403
\set urlempty :url/__fault/empty
\set urlslow :url/__fault/delay/10000
CREATE SERVER pd404 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'url404');
CREATE SERVER pd500 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'url500');
CREATE SERVER pd503 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url503', max_retries '1');
CREATE SERVER pd_notjson FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'urlnotjson');
CREATE SERVER pd_html FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'urlhtml');
CREATE SERVER pd_empty FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'urlempty');
CREATE SERVER pd_slow FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'urlslow', request_timeout '0.5');
CREATE SERVER pd_slow_patient FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'urlslow');
CREATE SERVER pd_nowhere FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'http://127.0.0.1:1', connect_timeout '2');
DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT srvname FROM pg_foreign_server
            WHERE srvname IN ('pd404', 'pd500', 'pd503', 'pd_notjson', 'pd_html',
                              'pd_empty', 'pd_slow', 'pd_slow_patient', 'pd_nowhere')
  LOOP
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (api_token %L)',
                   s, current_setting('crm_test.token'));
    EXECUTE format('CREATE FOREIGN TABLE %I (id bigint, title text) SERVER %I OPTIONS (entity %L)',
                   'deals_' || s, s, 'deals');
  END LOOP;
END $$;
SELECT * FROM emu_requests();

SELECT * FROM deals_pd404;
SELECT 1 AS still_working;
-- an item that is not there is no error: no rows
SELECT * FROM deals_pd404 WHERE id = 5;
SELECT * FROM deals_pd500;
SELECT 1 AS still_working;
-- 503 is transient: retried max_retries times, then reported
SELECT * FROM emu_requests() \g /dev/null
SELECT * FROM deals_pd503;
SELECT * FROM emu_requests();
SELECT * FROM deals_pd_notjson;
SELECT * FROM deals_pd_html;
SELECT * FROM deals_pd_empty;
SELECT 1 AS still_working;

-- a request that takes too long: request_timeout, the server's limit
SELECT * FROM deals_pd_slow;
-- ... or statement_timeout, the session's: the request stops within a second
SET statement_timeout = '300ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM deals_pd_slow_patient;
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '3 seconds' AS stopped_quickly;
SELECT 1 AS still_working;
-- and the connection is still good for the next request
SELECT id FROM deals WHERE id = 1;

-- nothing listens there
\set VERBOSITY terse
SELECT * FROM deals_pd_nowhere;
\set VERBOSITY default

-- no error ever carries the token: its message, detail, hint and context
CREATE FUNCTION error_mentions_token(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE m text; d text; h text; c text; st text;
BEGIN
  EXECUTE query;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
                          h = PG_EXCEPTION_HINT, c = PG_EXCEPTION_CONTEXT,
                          st = RETURNED_SQLSTATE;
  RETURN st || CASE WHEN concat_ws(' ', m, d, h, c) LIKE '%' || current_setting('crm_test.token') || '%'
                    THEN ' with the token' ELSE ' without the token' END;
END $$;
SELECT q, error_mentions_token(q) FROM (VALUES
  ('SELECT * FROM deals_401'), ('SELECT * FROM deals_pd404'),
  ('SELECT * FROM deals_pd500'), ('SELECT * FROM deals_pd_notjson'),
  ('SELECT * FROM deals_pd_html'), ('SELECT * FROM deals_pd_nowhere')) v(q);

-- a vendor message quoting the token is redacted
SELECT emu('POST', '/__emulator/faults',
  '{"method":"GET","path":"^/api/v2/deals$","status":400,"times":1,"body":"{\"success\":false,\"error\":\"token ' ||
  current_setting('crm_test.token') || ' is not valid here\"}"}') \g /dev/null
SELECT * FROM deals;
-- (requests cut off by the client's timeouts show as 499, whenever the emulator notices)
SELECT * FROM emu_requests() r WHERE r NOT LIKE '%-> 499';

SET client_min_messages = warning;
DROP SERVER pd_bad_token, pd404, pd500, pd503, pd_notjson, pd_html, pd_empty,
  pd_slow, pd_slow_patient, pd_nowhere CASCADE;
DROP FUNCTION error_mentions_token(text);
