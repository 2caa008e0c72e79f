--
-- Honest outcomes, for every provider: a write the API applied and then
-- answered with 502, with garbage, with an empty body, with a "success"
-- that says it failed, or that a cancel (here statement_timeout) cut off
-- after it was sent, is reported as "outcome unknown" (SQLSTATE 08007),
-- never as "not written", with the row's values in CONTEXT and no hint to
-- write it again; and it is sent exactly once.  The emulator's own rows
-- show that each was written.
--
\set VERBOSITY default
SELECT emu('POST', '/__emulator/reset') \g /dev/null
SELECT emu('POST', '/__emulator/config', '{"amocrm_rate_limit": false}') \g /dev/null
SELECT * FROM emu_requests();

-- one fault: the emulator applies the write, then answers as spec says
CREATE FUNCTION fault(method text, path text, spec text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM emu('POST', '/__emulator/faults',
              format('{"method":%s,"path":%s,"after_processing":true,"times":1,%s}',
                     to_json(method), to_json(path), spec));
END
$$;
-- the emulator's rows whose field has this value
CREATE FUNCTION pd_rows(entity text, field text, wanted text) RETURNS bigint
LANGUAGE sql AS $$
  SELECT count(*) FROM jsonb_array_elements(emu_dump(entity)) r WHERE r->>field = wanted
$$;
CREATE FUNCTION amo_rows(entity text, field text, wanted text) RETURNS bigint
LANGUAGE sql AS $$
  SELECT count(*) FROM jsonb_array_elements(amo_dump(entity)) r WHERE r->>field = wanted
$$;

-- Pipedrive: a POST applied, then 502
SELECT fault('POST', '^/api/v2/deals$', '"status":502') \g /dev/null
INSERT INTO deals (title, value) VALUES ('after a 502', 100);
SELECT * FROM emu_requests();
SELECT pd_rows('deals', 'title', 'after a 502') AS written;
-- applied, then an answer that is not JSON
SELECT fault('POST', '^/api/v2/deals$', '"kind":"notjson"') \g /dev/null
INSERT INTO deals (title) VALUES ('after garbage');
SELECT * FROM emu_requests();
SELECT pd_rows('deals', 'title', 'after garbage') AS written;
-- applied, then an empty body
SELECT fault('POST', '^/api/v2/deals$', '"kind":"empty"') \g /dev/null
INSERT INTO deals (title) VALUES ('after nothing');
SELECT * FROM emu_requests();
SELECT pd_rows('deals', 'title', 'after nothing') AS written;
-- applied, then "success": false, and then an answer without the item
SELECT fault('POST', '^/api/v2/deals$', '"status":200,"body":{"success":false,"error":"Something went wrong"}') \g /dev/null
INSERT INTO deals (title) VALUES ('after a false failure');
SELECT fault('POST', '^/api/v2/deals$', '"status":200,"body":{"success":true}') \g /dev/null
INSERT INTO deals (title) VALUES ('after a bare success');
SELECT * FROM emu_requests();
SELECT pd_rows('deals', 'title', 'after a false failure') AS written,
       pd_rows('deals', 'title', 'after a bare success') AS written_too;
-- a PATCH by key applied, then 502: not sent again
SELECT fault('PATCH', '^/api/v2/deals/5$', '"status":502') \g /dev/null
UPDATE deals SET title = 'patched once' WHERE id = 5;
SELECT * FROM emu_requests();
SELECT pd_rows('deals', 'title', 'patched once') AS written;
-- cancelled (statement_timeout) while the POST was out
SELECT fault('POST', '^/api/v2/activities$', '"delay_ms":1500') \g /dev/null
SET statement_timeout = '400ms';
INSERT INTO activities (subject, type) VALUES ('cut off', 'call');
RESET statement_timeout;
SELECT pg_sleep(1.3);
SELECT regexp_replace(r, ' -> \d+$', '') AS sent FROM emu_requests() r;
SELECT pd_rows('activities', 'subject', 'cut off') AS written;
-- a DELETE cut off the same way: idempotent, yet its outcome is as unknown
SELECT fault('DELETE', '^/api/v2/activities/\d+$', '"delay_ms":1500') \g /dev/null
SET statement_timeout = '400ms';
DELETE FROM activities WHERE id = (SELECT max(id) FROM activities WHERE subject = 'cut off');
RESET statement_timeout;
SELECT pg_sleep(1.3);
SELECT regexp_replace(r, ' -> \d+$', '') AS sent FROM emu_requests() r WHERE r LIKE 'DELETE%';
SELECT r->>'is_deleted' AS deleted FROM jsonb_array_elements(emu_dump('activities')) r
 WHERE r->>'subject' = 'cut off';
-- a refusal (4xx) is certain: not written, and said so
SELECT emu('POST', '/__emulator/faults', '{"method":"POST","path":"^/api/v2/deals$","status":400}') \g /dev/null
INSERT INTO deals (title) VALUES ('refused');
SELECT * FROM emu_requests();
SELECT pd_rows('deals', 'title', 'refused') AS written;

-- amoCRM: a batch POST applied, then 502: both rows' outcome unknown
SELECT fault('POST', '^/api/v4/leads$', '"status":502') \g /dev/null
INSERT INTO amo.deals (name, price) VALUES ('amo after a 502', 1), ('amo after a 502', 2);
SELECT * FROM emu_requests();
SELECT amo_rows('leads', 'name', 'amo after a 502') AS written;
SELECT fault('POST', '^/api/v4/leads$', '"kind":"notjson"') \g /dev/null
INSERT INTO amo.deals (name) VALUES ('amo after garbage');
SELECT fault('POST', '^/api/v4/leads$', '"kind":"empty"') \g /dev/null
INSERT INTO amo.deals (name) VALUES ('amo after nothing');
SELECT * FROM emu_requests();
SELECT amo_rows('leads', 'name', 'amo after garbage') AS written,
       amo_rows('leads', 'name', 'amo after nothing') AS written_too;
-- a PATCH by key, applied, then 502
SELECT fault('PATCH', '^/api/v4/leads$', '"status":502') \g /dev/null
UPDATE amo.deals SET name = 'amo patched once' WHERE id = 1000009;
SELECT * FROM emu_requests();
SELECT amo_rows('leads', 'name', 'amo patched once') AS written;
-- cancelled while a task's POST was out
SELECT fault('POST', '^/api/v4/tasks$', '"delay_ms":1500') \g /dev/null
SET statement_timeout = '400ms';
INSERT INTO amo.tasks (text, complete_till) VALUES ('amo cut off', '2027-01-15 10:00+00');
RESET statement_timeout;
SELECT pg_sleep(1.3);
SELECT regexp_replace(r, ' -> \d+$', '') AS sent FROM emu_requests() r;
SELECT amo_rows('tasks', 'text', 'amo cut off') AS written;

-- SalesMan: every answer is HTTP 200, so an answer that is not its
-- envelope is the failure: a history/add applied, then a 502 from a proxy,
-- a PHP error page, nothing at all, or a cancel
CREATE FUNCTION sm_rows(wanted text) RETURNS bigint
LANGUAGE sql AS $$
  SELECT count(*) FROM jsonb_array_elements(sm_dump('history')) r WHERE r->>'des' = wanted
$$;
SELECT fault('POST', '^/developer/v3/history/add$', '"status":502') \g /dev/null
INSERT INTO sm.activities (content, clid) VALUES ('sm after a 502', 1);
SELECT fault('POST', '^/developer/v3/history/add$', '"status":200,"content_type":"application/json; charset=utf-8","body":"<br />\\n<b>Fatal error</b>:  Uncaught Error: Call to a member function on null"') \g /dev/null
INSERT INTO sm.activities (content, clid) VALUES ('sm after a fatal error', 1);
SELECT fault('POST', '^/developer/v3/history/add$', '"kind":"empty"') \g /dev/null
INSERT INTO sm.activities (content, clid) VALUES ('sm after nothing', 1);
SELECT * FROM emu_requests();
SELECT sm_rows('sm after a 502') AS written, sm_rows('sm after a fatal error') AS written_too,
       sm_rows('sm after nothing') AS written_three;
-- a batch: each of its rows is of unknown outcome
SELECT fault('POST', '^/developer/v3/history/add.list$', '"status":502') \g /dev/null
INSERT INTO sm.activities (content, clid) VALUES ('sm batch 1', 1), ('sm batch 2', 1);
SELECT * FROM emu_requests();
SELECT sm_rows('sm batch 1') + sm_rows('sm batch 2') AS written;
-- a stage change applied, then 502
SELECT fault('POST', '^/developer/v3/deal/change.step$', '"status":502') \g /dev/null
UPDATE sm.deals SET step = 20 WHERE did = 9;
SELECT * FROM emu_requests();
SELECT (d->>'idcategory')::int = 2 AS moved_to_20 FROM jsonb_array_elements(sm_dump('deals')) d
 WHERE (d->>'did')::int = 9;
-- cancelled while the add was out
SELECT fault('POST', '^/developer/v3/history/add$', '"delay_ms":1500') \g /dev/null
SET statement_timeout = '400ms';
INSERT INTO sm.activities (content, clid) VALUES ('sm cut off', 1);
RESET statement_timeout;
SELECT pg_sleep(1.3);
SELECT regexp_replace(r, ' -> \d+$', '') AS sent FROM emu_requests() r;
SELECT sm_rows('sm cut off') AS written;
DROP FUNCTION sm_rows(text);

-- the SQLSTATE says the same: 08007, transaction_resolution_unknown
SELECT fault('POST', '^/api/v2/deals$', '"status":502') \g /dev/null
SELECT sqlstate_of($$INSERT INTO deals (title) VALUES ('its state')$$);

-- the session keeps working
SELECT 1 AS still_working;
DROP FUNCTION fault(text, text, text);
