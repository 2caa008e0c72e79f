--
-- SalesMan CRM API v3 reads: every call a POST with its parameters in a
-- JSON body (EXPLAIN shows it), every answer HTTP 200, lists paged by page
-- index 200 rows at a time, times the account's wall clock (Europe/Moscow,
-- the server option timezone), and what the real server does where its
-- documents say otherwise.
--
\set VERBOSITY default
\getenv url CRM_EMULATOR_URL
\getenv sm_login CRM_TEST_SALESMAN_LOGIN
\getenv sm_key CRM_TEST_SALESMAN_API_KEY
SELECT emu('POST', '/__emulator/reset') \g /dev/null
SELECT * FROM emu_requests();

-- mistakes caught where they are made
CREATE SERVER sm_bad FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'salesman', url 'https://crm.example.com/developer/v3/history/list');
CREATE SERVER sm_bad FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'salesman', url 'https://crm.example.com', timezone 'Moscow');
CREATE SERVER sm_bad FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'salesman', url 'https://crm.example.com', timezone 'Europe/Moscow');
CREATE USER MAPPING FOR CURRENT_USER SERVER sm_bad OPTIONS (login 'admin@example.com');
CREATE USER MAPPING FOR CURRENT_USER SERVER sm_bad OPTIONS (api_token 'x');
DROP SERVER sm_bad;

CREATE SERVER sm FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'salesman', url :'url', timezone 'Europe/Moscow');
CREATE USER MAPPING FOR CURRENT_USER SERVER sm
  OPTIONS (login :'sm_login', api_key :'sm_key');
CREATE SCHEMA sm;
IMPORT FOREIGN SCHEMA salesman FROM SERVER sm INTO sm;
SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c WHERE c.relnamespace = 'sm'::regnamespace ORDER BY 1;
\d+ sm.activities

-- the seed's example: a client's history for a date range.  The range
-- becomes whole days of the account's zone; PostgreSQL rechecks the rest
SET TimeZone = 'Europe/Moscow';
SELECT cid, datum, content, tip, iduser, user_login, pid, did, dogovor
  FROM sm.activities
 WHERE clid = 1 AND datum >= '2026-03-01' AND datum < '2026-03-15 12:00'
 ORDER BY datum, cid;
SELECT * FROM emu_requests();
EXPLAIN (VERBOSE, COSTS OFF)
SELECT cid FROM sm.activities WHERE clid = 1 AND datum >= '2026-03-01' AND datum < '2026-03-15 12:00';
-- bounds in another zone are the same instants, in Moscow's days
SELECT count(*) FROM sm.activities
 WHERE clid = 1 AND datum >= '2026-02-28 22:00+00' AND datum < '2026-03-01 00:00+00';
SELECT * FROM emu_requests();

-- no date condition: a full range, never the server's default of today
SELECT count(*) AS rows_of_client_1 FROM sm.activities WHERE clid = 1;
SELECT * FROM emu_requests();
-- every record, against the emulator's own rows; the record the server
-- stored with the zero date (an invalid datum once written) reads NULL
SELECT count(*) AS records, count(datum) AS with_datum, min(cid), max(cid)
  FROM sm.activities;
SELECT jsonb_array_length(sm_dump('history')) AS records_in_emulator;
SELECT regexp_replace(r, '"offset":\d+', '"offset":N') AS request, count(*)
  FROM emu_requests() r GROUP BY 1;

-- one record by cid: history/info; what info gives only in part (the
-- contacts: the first of several) is completed from the day's listing of
-- its client and deal, when the query reads it
SELECT cid, datum, content, tip, clid, client FROM sm.activities WHERE cid = 42;
SELECT * FROM emu_requests();
SELECT cid, pid, contacts FROM sm.activities
 WHERE cid = (SELECT min((h->>'cid')::int) FROM jsonb_array_elements(sm_dump('history')) h
               WHERE h->>'pid' LIKE '%;%');
SELECT regexp_replace(r, '"(cid|clid|did)":\d+', '"\1":N', 'g') FROM emu_requests() r;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM sm.activities WHERE cid = 42;
-- a cid that is not there: "403 not found" inside a 200 is no rows
SELECT * FROM sm.activities WHERE cid = 999999;
SELECT * FROM emu_requests();

-- by user: the API filters by login, found once per statement in user/list
SELECT count(*) FROM sm.activities WHERE iduser = 3 AND datum >= '2026-06-01';
SELECT count(*) FROM sm.activities WHERE iduser IN (3, 4) AND datum >= '2026-06-01';
SELECT * FROM emu_requests();
-- a user the account does not have: no history request at all
SELECT count(*) FROM sm.activities WHERE iduser = 999;
SELECT * FROM emu_requests();
EXPLAIN (VERBOSE, COSTS OFF) SELECT cid FROM sm.activities WHERE iduser = 3;
-- by deal, and several clients (one call each)
SELECT count(*) FROM sm.activities WHERE did = 2;
SELECT count(*) FROM sm.activities WHERE clid IN (2, 3) AND datum < '2025-06-01';
SELECT * FROM emu_requests();

-- types and fields of activities, from the API itself
SELECT * FROM sm.activity_types ORDER BY title;
SELECT * FROM sm.activity_fields ORDER BY field;
SELECT * FROM emu_requests();

-- tasks: open and done ones are two lists on the real server
SELECT active, count(*) FROM sm.tasks GROUP BY active ORDER BY active;
SELECT * FROM emu_requests();
SELECT count(*) FROM sm.tasks WHERE active = 'yes' AND datum >= '2026-06-01';
SELECT * FROM emu_requests();
-- a list the listing cannot do without is sent even where a full listing
-- looks cheaper
ALTER FOREIGN TABLE sm.tasks OPTIONS (ADD rows '100');
SELECT count(*) FROM sm.tasks WHERE active IN ('yes', 'no');
ALTER FOREIGN TABLE sm.tasks OPTIONS (DROP rows);
SELECT * FROM emu_requests();
SELECT tid, datum, totime, title, des, tip, active, priority, speed, status,
       iduser, user_login, clid, client
  FROM sm.tasks WHERE tid = 1;
SELECT * FROM emu_requests();

-- deals: open and closed alike ("active":"all"); closed ones only, by the
-- close flag; stages by name
SELECT close, count(*) FROM sm.deals GROUP BY close ORDER BY close;
SELECT count(*) FROM sm.deals WHERE close = 'yes';
SELECT count(*) FROM sm.deals WHERE close = 'maybe';
SELECT step, count(*) FROM sm.deals WHERE step IN (60, 80) GROUP BY step ORDER BY step;
SELECT * FROM emu_requests();
SELECT count(*) FROM sm.deals WHERE datum_izm >= '2026-01-01';
SELECT count(*) FROM sm.deals WHERE clid = 1;
SELECT * FROM emu_requests();
-- a deal by did: deal/info when the query reads what it gives faithfully;
-- it has no dates and no client, so a query reading those lists instead
SELECT did, title, step, step_id, close, status_close, kol, kol_fact FROM sm.deals WHERE did = 1;
SELECT * FROM emu_requests();
SELECT did, title, datum, clid, client_title, step, step_title FROM sm.deals WHERE did = 1;
SELECT * FROM emu_requests();
EXPLAIN (VERBOSE, COSTS OFF) SELECT did, title FROM sm.deals WHERE did = 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT did, datum FROM sm.deals WHERE did = 1;
-- the deals' dictionaries
SELECT * FROM sm.stages ORDER BY title::int;
SELECT * FROM sm.deal_directions ORDER BY id;
SELECT * FROM sm.deal_types ORDER BY tid;
SELECT * FROM sm.deal_close_statuses ORDER BY sid;
SELECT s.title AS step, count(d.did)
  FROM sm.stages s LEFT JOIN sm.deals d ON d.step = s.title::int
 GROUP BY s.title ORDER BY s.title::int;
SELECT * FROM emu_requests();

-- clients (a list without "order" is a fatal error of the server), persons, users
SELECT clid, title, type, date_create, iduser, user_login, phone
  FROM sm.clients WHERE clid IN (1, 2) ORDER BY clid;
SELECT count(*) FROM sm.clients;
SELECT count(*) FROM sm.clients WHERE type = 'partner';
SELECT * FROM emu_requests();
SELECT clid, title, phone FROM sm.clients WHERE clid = 2;
SELECT * FROM emu_requests();
SELECT pid, person, ptitle, clid, client, iduser, user_login FROM sm.persons WHERE clid = 1 ORDER BY pid;
SELECT pid, person, iduser FROM sm.persons WHERE pid = 2;
SELECT count(*) FROM sm.persons;
SELECT * FROM emu_requests();
SELECT iduser, title, login, active FROM sm.users ORDER BY iduser;
SELECT * FROM emu_requests();

-- errors come inside HTTP 200: each class says what it is, with the
-- vendor's code and words; the key is never shown
CREATE FUNCTION sm_fault(body text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM emu('POST', '/__emulator/faults',
              format('{"path":"^/developer/v3/","status":200,"times":1,'
                     '"content_type":"application/json; charset=utf-8","body":%s}', body));
END $$;
SELECT sm_fault('{"result":"Error","error":{"code":402,"text":"Неизвестный метод"}}') \g /dev/null
SELECT count(*) FROM sm.users;
SELECT sm_fault('{"result":"Error","error":{"code":"405","text":"Отсутствуют параметры"}}') \g /dev/null
SELECT count(*) FROM sm.users;
SELECT sm_fault('{"result":"Error","error":{"code":403,"text":"Доступ запрещен"}}') \g /dev/null
SELECT count(*) FROM sm.users;
SELECT sm_fault('{"result":"Error","error":{"code":500,"text":"Ошибка базы данных"}}') \g /dev/null
SELECT count(*) FROM sm.users;
SELECT sm_fault(to_json(E'<br />\n<b>Fatal error</b>:  Uncaught mysqli_sql_exception: Unknown column ''datum'' in ''order clause'' in /var/www/inc/func.php:12'::text)::text) \g /dev/null
SELECT count(*) FROM sm.users;
SELECT sm_fault('""') \g /dev/null
SELECT count(*) FROM sm.users;
SELECT * FROM emu_requests();
-- reads are POSTs, yet reads: a 503 is retried (a write would not be),
-- and an identical request within a statement is answered once
SELECT emu('POST', '/__emulator/faults',
           '{"path":"^/developer/v3/user/list$","status":503,"times":1,"retry_after":0}') \g /dev/null
SELECT count(*) FROM sm.users;
SELECT (SELECT count(*) FROM sm.users) + (SELECT count(*) FROM sm.users) AS twice;
SELECT * FROM emu_requests();
CREATE SERVER sm_wrong_key FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'salesman', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER sm_wrong_key
  OPTIONS (login :'sm_login', api_key 'not-the-key');
CREATE FOREIGN TABLE sm_wrong_users (iduser bigint) SERVER sm_wrong_key OPTIONS (entity 'users');
SELECT count(*) FROM sm_wrong_users;
SET client_min_messages = warning;
DROP SERVER sm_wrong_key CASCADE;
RESET client_min_messages;
-- the headers went as the server needs them: login and apikey, JSON exactly
SELECT DISTINCT r->>'auth' AS auth, r->>'content_type' AS content_type, r->>'method' AS method
  FROM jsonb_array_elements((SELECT string_agg(l, E'\n')
                               FROM emu('GET', '/__emulator/requests?clear=1') l)::jsonb) r;
DROP FUNCTION sm_fault(text);
RESET TimeZone;
