--
-- Writes: INSERT, UPDATE and DELETE become the API's writes, one request
-- per row, with RETURNING from the API's answer.  The emulator validates
-- every body against the request schemas of Pipedrive's OpenAPI spec, so
-- each write that succeeds here sent a body the spec accepts.
--
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN
-- from a known state: other tests may have run before
SELECT emu('POST', '/__emulator/reset') \g /dev/null

-- INSERT an activity: a person goes in participants, as v2 wants
INSERT INTO activities (subject, type, due_date, due_time, duration, note,
                        deal_id, person_id, org_id, done)
VALUES ('Call Zoë about the renewal', 'call', '2026-12-01', '14:30', '00:45',
        'Ask about the "premium" plan', 7, 2, 18, false)
RETURNING id, subject, type, owner_id, deal_id, person_id, participants, due_date,
          due_time, duration, done, add_time > now() - interval '1 hour' AS just_added;
SELECT * FROM emu_requests();
-- read after write
SELECT id, subject, person_id, done FROM activities WHERE id = 1501;
SELECT count(*) FROM activities WHERE deal_id = 7 AND NOT done;
SELECT * FROM emu_requests();

-- INSERT a deal, with values of every kind; dates go out in ISO form
-- whatever the DateStyle, money as numbers, arrays and json as JSON
SHOW datestyle;
INSERT INTO deals (title, value, currency, person_id, org_id, stage_id,
                   expected_close_date, label_ids, custom_fields, probability)
VALUES ('Müller Großauftrag 2', 12500.50, 'EUR', 2, 18, 6, '2027-01-31', ARRAY[1, 3],
        '{"93f7b042a618535289a11a373ef947fdf30a8ce4": {"value": 9000.25, "currency": "EUR"}}',
        60)
RETURNING id, title, value, currency, status, pipeline_id, stage_id,
          expected_close_date, label_ids, custom_fields, probability;
SELECT * FROM emu_requests();

-- INSERT a note (v1): times go out as "YYYY-MM-DD HH:MM:SS" in UTC, flags as 0/1
INSERT INTO notes (content, deal_id, add_time, pinned_to_deal_flag)
VALUES ('<p>Signed!</p>', 1201, '2026-11-20 09:15:00-05', true)
RETURNING id, content, deal_id, add_time, pinned_to_deal_flag;
SELECT * FROM emu_requests();

-- several rows: one request each; and INSERT ... SELECT from a local table
INSERT INTO activities (subject, type, deal_id)
VALUES ('Follow-up 1', 'email', 1201), ('Follow-up 2', 'email', 1201),
       ('Follow-up 3', 'task', 1201)
RETURNING id, subject;
CREATE TABLE todo (subject text, deal_id bigint, due date);
INSERT INTO todo VALUES ('Send contract', 42, '2026-12-05'), ('Book demo', 42, '2026-12-09');
INSERT INTO activities (subject, type, deal_id, due_date)
SELECT subject, 'task', deal_id, due FROM todo;
SELECT * FROM emu_requests();
SELECT id, subject, type, due_date FROM activities WHERE deal_id = 42 ORDER BY id;
SELECT * FROM emu_requests();

-- UPDATE by key: one PATCH with only the columns set, and no read first;
-- RETURNING comes from the PATCH's answer
UPDATE deals SET stage_id = 3 WHERE id = 42;
SELECT * FROM emu_requests();
UPDATE deals SET status = 'won', value = 30000, lost_reason = NULL,
                 expected_close_date = '2026-12-24'
 WHERE id = 1201
RETURNING id, status, value, lost_reason, expected_close_date,
          won_time > now() - interval '1 hour' AS just_won;
SELECT * FROM emu_requests();
SELECT id, stage_id, pipeline_id, status FROM deals WHERE id IN (42, 1201) ORDER BY id;
SELECT * FROM emu_requests();

-- UPDATE by any condition: the matching ids are found first, with pushdown
UPDATE activities SET done = true, note = 'closed in bulk' WHERE deal_id = 1201 AND NOT done;
SELECT * FROM emu_requests();
SELECT count(*) FILTER (WHERE done) AS done, count(*) AS total
  FROM activities WHERE deal_id = 1201;

-- UPDATE a note (v1 uses PUT)
UPDATE notes SET content = '<p>Signed and paid.</p>' WHERE id = 301 RETURNING id, content;
SELECT * FROM emu_requests();

-- DELETE: by key, and by condition; RETURNING gives the row as it was read
DELETE FROM activities WHERE id = 1501 RETURNING id, subject, done;
DELETE FROM activities WHERE deal_id = 42 AND type = 'task';
SELECT * FROM emu_requests();
SELECT count(*) FROM activities WHERE id = 1501;
SELECT count(*) FROM activities WHERE deal_id = 42 AND type = 'task';
SELECT * FROM emu_requests();
-- ids that do not exist: one request each, answered 404, and no row
-- changed (the same as a read first would have found, for one request less)
DELETE FROM activities WHERE id = 999999;
UPDATE deals SET title = 'nobody' WHERE id = 11;
SELECT * FROM emu_requests();

-- EXPLAIN shows the write each row will cost
EXPLAIN (VERBOSE, COSTS OFF)
INSERT INTO activities (subject, type, person_id) VALUES ('x', 'call', 2);
EXPLAIN (VERBOSE, COSTS OFF) UPDATE deals SET stage_id = 3 WHERE id = 42;
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM notes WHERE deal_id = 7;
SELECT * FROM explain_analyze('UPDATE activities SET busy = true WHERE id IN (1502, 1503)');
SELECT * FROM emu_requests();

-- columns the API sets, and entities it does not let us write: caught
-- while planning, before any request
INSERT INTO deals (id, title) VALUES (5000, 'mine');
INSERT INTO activities (subject, add_time) VALUES ('x', now());
UPDATE deals SET update_time = now() WHERE id = 42;
UPDATE deals SET id = 43 WHERE id = 42;
UPDATE notes SET "user" = '{}' WHERE id = 1;
INSERT INTO stages (name, pipeline_id) VALUES ('Won back', 1);
UPDATE users SET name = 'Ada' WHERE id = 1;
DELETE FROM pipelines WHERE id = 3;
CREATE FOREIGN TABLE person_emails (id bigint, email text OPTIONS (field 'emails.0.value'))
  SERVER pd OPTIONS (entity 'activities');
UPDATE person_emails SET email = 'x@example.com' WHERE id = 2;
DROP FOREIGN TABLE person_emails;
CREATE FOREIGN TABLE keyless_deals (title text) SERVER pd OPTIONS (entity 'deals');
UPDATE keyless_deals SET title = 'x';
DROP FOREIGN TABLE keyless_deals;
SELECT * FROM emu_requests();

-- the API refuses: its message, and what was already written
INSERT INTO deals (title, stage_id) VALUES ('no such stage', 9999);
INSERT INTO deals (title, stage_id)
VALUES ('first', 1), ('second', 2), ('third', 9999), ('fourth', 1);
SELECT * FROM emu_requests();
SELECT id, title FROM deals WHERE id > 1201 ORDER BY id;
SELECT * FROM emu_requests();
-- a field the API does not know (strict_columns 'false' lets the table
-- declare it; Pipedrive refuses it)
CREATE FOREIGN TABLE deals_extra (id bigint, title text, mood text) SERVER pd
  OPTIONS (entity 'deals', strict_columns 'false');
INSERT INTO deals_extra (title, mood) VALUES ('x', 'happy');
DROP FOREIGN TABLE deals_extra;
SELECT * FROM emu_requests();

-- retries never duplicate data: a PATCH or POST answered 503 may have been
-- applied, so it is reported as of unknown outcome and not sent again
-- (write_outcomes tests the same for every provider)
SELECT emu('POST', '/__emulator/faults',
           '{"method":"PATCH","path":"^/api/v2/deals/42$","status":503,"times":1,"retry_after":0}') \g /dev/null
UPDATE deals SET title = 'Stark OÜ 36 pilot (renewed)' WHERE id = 42 RETURNING id, title;
SELECT * FROM emu_requests();
-- a DELETE whose answer was lost is retried; finding the item gone then
-- means the first attempt did it
SELECT emu('POST', '/__emulator/faults',
           '{"method":"DELETE","path":"^/api/v2/activities/1504$","kind":"close","after_processing":true,"times":1}') \g /dev/null
DELETE FROM activities WHERE id = 1504 RETURNING id, subject;
SELECT * FROM emu_requests();
-- an item gone by the time its write arrives (404) is left alone and not
-- counted, as a row deleted by a concurrent transaction would be
SELECT emu('POST', '/__emulator/faults',
           '{"method":"PATCH","path":"^/api/v2/activities/1503$","status":404,"times":1}') \g /dev/null
UPDATE activities SET busy = true WHERE id = 1503 RETURNING id;
SELECT * FROM emu_requests();
SELECT emu('POST', '/__emulator/faults',
           '{"method":"POST","path":"^/api/v2/deals$","status":503,"times":1}') \g /dev/null
INSERT INTO deals (title) VALUES ('not twice');
SELECT * FROM emu_requests();
CREATE SERVER pd_impatient FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url', request_timeout '0.5');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_impatient OPTIONS (api_token :'token');
CREATE FOREIGN TABLE activities_impatient (id bigint, subject text, type text)
  SERVER pd_impatient OPTIONS (entity 'activities');
SELECT emu('POST', '/__emulator/faults',
           '{"method":"POST","path":"^/api/v2/activities$","delay_ms":1500,"after_processing":true,"times":1}') \g /dev/null
INSERT INTO activities_impatient (subject, type) VALUES ('Maybe written', 'call');
SELECT pg_sleep(1.5);
-- the emulator acted on it once, and crm_fdw did not send it again (the
-- status logged depends on when the emulator noticed the client leave)
SELECT regexp_replace(r, ' -> \d+$', '') AS sent FROM emu_requests() r WHERE r LIKE 'POST%';
SELECT count(*) FROM activities WHERE subject = 'Maybe written';
SET client_min_messages = warning;
DROP SERVER pd_impatient CASCADE;
RESET client_min_messages;

-- DELETE on v1 notes (answered with "data": true)
DELETE FROM notes WHERE id = 301 RETURNING id, content;
SELECT * FROM emu_requests();

-- COPY FROM writes too, one POST a row; a read-only column is refused
COPY notes (content, deal_id) FROM stdin;
<p>copied one</p>	7
<p>copied two</p>	42
\.
SELECT id, content, deal_id FROM notes WHERE content LIKE '%copied%' ORDER BY id;
COPY notes (id, content, deal_id) FROM stdin;
5000	<p>with an id</p>	7
\.
SELECT * FROM emu_requests();

-- a statement that fails after writing, outside the write itself: the rows
-- it wrote are named in a WARNING, since no rollback can undo them
-- (caught, so that the WARNING and the error print in a stable order)
SELECT sqlstate_of('UPDATE activities SET busy = false WHERE id IN (1502, 1503) RETURNING 1 / (id - 1503)');
SELECT * FROM emu_requests();
BEGIN;
INSERT INTO activities (subject, type) VALUES ('kept despite the rollback', 'task');
ROLLBACK;
SELECT subject FROM activities WHERE subject = 'kept despite the rollback';
SELECT * FROM emu_requests();

-- UPDATE over start/limit pages that the UPDATE itself shifts: every
-- matching note is changed, because the pages are read before the writes
CREATE SERVER pd_pages FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url', page_size '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_pages OPTIONS (api_token :'token');
CREATE FOREIGN TABLE notes_paged (id bigint, user_id bigint, content text)
  SERVER pd_pages OPTIONS (entity 'notes');
SELECT count(*) AS notes_of_user_3 FROM notes WHERE user_id = 3;
SELECT * FROM emu_requests() \g /dev/null
UPDATE notes_paged SET user_id = 4 WHERE user_id = 3;
WITH sent AS (SELECT r FROM emu_requests() r)
SELECT r FROM sent WHERE r LIKE 'GET%'
UNION ALL
SELECT count(*) || ' PUTs' FROM sent WHERE r LIKE 'PUT%';
SELECT count(*) AS notes_of_user_3 FROM notes WHERE user_id = 3;
SET client_min_messages = warning;
DROP SERVER pd_pages CASCADE;
RESET client_min_messages;

DROP TABLE todo;
-- leave the emulator as the next test expects it
SELECT emu('POST', '/__emulator/reset') \g /dev/null
SELECT * FROM emu_requests();
