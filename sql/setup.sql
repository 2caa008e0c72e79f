--
-- Shared setup: the extension, a Pipedrive server on the bundled emulator,
-- its foreign tables, and helpers that read the emulator's request log.
-- The emulator's URL and the API token come from the environment, so no
-- port and no secret appears in any expected output.
--
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN

-- the suite's database is UTF-8 under a UTF-8 locale, whatever the locale
-- of the shell that started it (test/lib.sh sees to that)
SELECT current_setting('server_encoding') AS server_encoding,
       datctype ~* '\.utf-?8$' AS utf8_ctype, datcollate ~* '\.utf-?8$' AS utf8_collate
  FROM pg_database WHERE datname = current_database();

CREATE EXTENSION crm_fdw;
SELECT fdwname, fdwhandler::regproc, fdwvalidator::regproc
  FROM pg_foreign_data_wrapper WHERE fdwname = 'crm_fdw';

-- later sessions find the emulator, and the token to look for in errors,
-- through these settings
ALTER DATABASE contrib_regression SET crm_test.url = :'url';
ALTER DATABASE contrib_regression SET crm_test.token = :'token';
SET crm_test.url = :'url';
SET crm_test.token = :'token';

-- quotes a string for the shell that COPY ... FROM PROGRAM runs
CREATE FUNCTION sh_quote(s text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT '''' || replace(s, '''', '''\''''') || '''' $$;

-- one HTTP call to the emulator's test-support API; returns the answer's lines
CREATE FUNCTION emu(method text, path text, body text DEFAULT NULL)
RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('pg_temp.emu_answer') IS NULL THEN
    CREATE TEMP TABLE emu_answer (n serial, line text);
  END IF;
  TRUNCATE emu_answer;
  EXECUTE format(
    $f$COPY emu_answer (line) FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02', ENCODING 'UTF8')$f$,
    'curl -sS -X ' || method
      || CASE WHEN body IS NULL THEN '' ELSE ' --data-binary ' || sh_quote(body) END
      || ' ' || sh_quote(current_setting('crm_test.url') || path));
  RETURN QUERY SELECT line FROM emu_answer ORDER BY n;
END $$;

-- the API requests the emulator received since the last call, one per line
CREATE FUNCTION emu_requests() RETURNS SETOF text
LANGUAGE sql AS $$ SELECT emu('GET', '/__emulator/requests?format=text&clear=1') $$;

-- how many API requests since the last call
CREATE FUNCTION emu_request_count() RETURNS bigint
LANGUAGE sql AS $$ SELECT count(*) FROM emu_requests() $$;

CREATE SERVER pd FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd OPTIONS (api_token :'token');

-- every Pipedrive entity, with the columns its API documents
IMPORT FOREIGN SCHEMA pipedrive FROM SERVER pd INTO public;
SELECT c.relname, ftoptions
  FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
 ORDER BY 1;
\d deals
\d deal_flow

-- importing asks nothing of the API
SELECT * FROM emu_requests();

-- the SQLSTATE and message of a failing statement, for outputs that must
-- not depend on who runs the tests
CREATE FUNCTION sqlstate_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; m text;
BEGIN
  EXECUTE query;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
  RETURN st || ': ' || replace(m, current_user, 'CURRENT_USER');
END $$;

-- Runs a query over the foreign tables (schema remote), then the same text
-- over the local copies (schema copies; search_path decides), and reports
-- the row count, whether the two agree as multisets, and the requests the
-- foreign run sent.
CREATE FUNCTION same_rows(query text, remote text DEFAULT 'public', copies text DEFAULT 'local')
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  differing bigint;
  requests text[];
BEGIN
  PERFORM emu_requests();
  PERFORM set_config('search_path', remote || ', public', true);
  EXECUTE 'CREATE TEMP TABLE same_rows_fdw AS ' || query;
  requests := ARRAY(SELECT emu_requests());
  PERFORM set_config('search_path', copies || ', public', true);
  EXECUTE 'CREATE TEMP TABLE same_rows_local AS ' || query;
  PERFORM set_config('search_path', 'public', true);
  SELECT count(*) INTO n FROM same_rows_fdw;
  SELECT count(*) INTO differing FROM (
    (TABLE same_rows_fdw EXCEPT ALL TABLE same_rows_local)
    UNION ALL
    (TABLE same_rows_local EXCEPT ALL TABLE same_rows_fdw)) d;
  DROP TABLE same_rows_fdw, same_rows_local;
  RETURN NEXT n || ' rows, ' ||
    CASE WHEN differing = 0 THEN 'same as the local copy'
         ELSE differing || ' rows DIFFER from the local copy' END;
  RETURN QUERY SELECT '  ' || r FROM unnest(requests) r;
END $$;

-- EXPLAIN ANALYZE without what varies from run to run: times and byte counts
CREATE FUNCTION explain_analyze(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query
  LOOP
    RETURN NEXT regexp_replace(line, 'bytes=\d+ wait=[0-9.]+ ms', 'bytes=... wait=... ms');
  END LOOP;
END $$;

-- the planner's row estimate for a query's top plan node
CREATE FUNCTION plan_rows(query text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
END $$;

-- a local copy of an entity from the emulator's own dump, through
-- PostgreSQL's JSON functions rather than crm_fdw's conversion
CREATE FUNCTION emu_dump(entity text) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT string_agg(l, E'\n')::jsonb FROM emu('GET', '/__emulator/dump/pipedrive/' || entity) l
$$;

-- the same for amoCRM's rows
CREATE FUNCTION amo_dump(entity text) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT string_agg(l, E'\n')::jsonb FROM emu('GET', '/__emulator/dump/amocrm/' || entity) l
$$;

-- and SalesMan's, as its database stores them
CREATE FUNCTION sm_dump(entity text) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT string_agg(l, E'\n')::jsonb FROM emu('GET', '/__emulator/dump/salesman/' || entity) l
$$;

-- the command tag's count of a statement run through EXECUTE
CREATE FUNCTION row_count(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE query;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
