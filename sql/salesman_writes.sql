--
-- SalesMan writes: history/add for one row (or any row with RETURNING),
-- history/add.list for batches, history/delete, a deal's stage through
-- deal/change.step and its other fields through deal/update, tasks,
-- clients and persons; values the server would mangle refused before
-- sending.  The tables are salesman_read's import.
--
\set VERBOSITY default
\getenv url CRM_EMULATOR_URL
\getenv sm_login CRM_TEST_SALESMAN_LOGIN
\getenv sm_key CRM_TEST_SALESMAN_API_KEY
SELECT emu('POST', '/__emulator/reset') \g /dev/null
SELECT * FROM emu_requests();
SET TimeZone = 'Europe/Moscow';
-- the emulator's history records of a content
CREATE FUNCTION sm_history(content text) RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT h - 'fid' FROM jsonb_array_elements(sm_dump('history')) h
   WHERE h->>'des' = content ORDER BY (h->>'cid')::int
$$;

-- the seed's examples: add one record, RETURNING its new cid; the user
-- goes by login, the contacts as a comma list, the time as the account's
-- wall clock
INSERT INTO sm.activities (datum, content, tip, clid, pid, did, iduser)
VALUES ('2026-07-01 10:30+03', 'Sent the offer', 'Отправка КП', 1, '{1,2}', 1, 3)
RETURNING cid > 1959 AS new_cid, datum, content, tip, clid, pid, did, iduser;
SELECT * FROM emu_requests();
SELECT h - 'cid' FROM sm_history('Sent the offer') h;
-- RETURNING only the new cid: the answer has it, nothing is read back
INSERT INTO sm.activities (content, clid) VALUES ('Only the cid', 1)
RETURNING cid > 1959 AS new_cid;
SELECT * FROM emu_requests();
-- columns neither the values nor the answer hold are read back: the record
-- by cid, completed from its day's listing (info gives one contact)
INSERT INTO sm.activities (datum, content, clid, pid)
VALUES ('2026-07-01 11:00+03', 'Met both', 1, '{1,2}')
RETURNING content, user_login, client, pid, contacts;
SELECT regexp_replace(r, '"cid":\d+', '"cid":N') FROM emu_requests() r;

-- a list of records: one add.list; INSERT ... SELECT and COPY alike
INSERT INTO sm.activities (datum, content, tip, clid)
VALUES ('2026-07-02 09:00+03', 'Batch one', 'Звонок', 1),
       ('2026-07-02 09:30+03', 'Batch two', 'Звонок', 1);
SELECT * FROM emu_requests();
INSERT INTO sm.activities (datum, content, clid)
SELECT timestamptz '2026-07-03 09:00+03' + g * interval '1 minute', 'Bulk ' || g, 2
  FROM generate_series(1, 120) g;
SELECT regexp_replace(r, '\{"list":.*\}$', '') AS request,
       jsonb_array_length((regexp_match(r, '(\{"list":.*\})$'))[1]::jsonb->'list') AS items
  FROM emu_requests() r;
SELECT count(*) FROM sm.activities WHERE clid = 2 AND content LIKE 'Bulk %';
SELECT * FROM emu_requests();
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO sm.activities (content, clid) VALUES ('x', 1), ('y', 1);
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO sm.activities (content, clid) VALUES ('x', 1) RETURNING cid;
ALTER FOREIGN TABLE sm.activities OPTIONS (ADD batch_size '2');
COPY sm.activities (datum, content, clid) FROM stdin;
2026-07-04 10:00:00+03	Copied one	3
2026-07-04 10:05:00+03	Copied two	3
2026-07-04 10:10:00+03	Copied three	3
\.
SELECT * FROM emu_requests();
ALTER FOREIGN TABLE sm.activities OPTIONS (DROP batch_size);

-- a batch with a failing item: each item is judged by its own "result"
-- (the server leaves the previous item's id on a failed one, and an
-- earlier error on a good one); the error says what was written
INSERT INTO sm.activities (datum, content, clid)
VALUES ('2026-07-05 10:00+03', 'Good one', 4), ('2026-07-05 10:05+03', '', 4),
       ('2026-07-05 10:10+03', 'Good two', 4);
SELECT * FROM emu_requests();
SELECT h->>'des' AS content FROM jsonb_array_elements(sm_dump('history')) h
 WHERE (h->>'clid')::int = 4 AND h->>'datum' LIKE '2026-07-05%' ORDER BY (h->>'cid')::int;

-- read one, delete one; deleting it again deletes nothing and is no error
SELECT cid, content FROM sm.activities WHERE cid = 1960;
DELETE FROM sm.activities WHERE cid = 1960 RETURNING cid;
SELECT row_count('DELETE FROM sm.activities WHERE cid = 1960') AS deleted_again;
SELECT * FROM emu_requests();
-- by condition: the matching records are listed, then deleted one by one
SELECT row_count($$DELETE FROM sm.activities WHERE clid = 3 AND content LIKE 'Copied %'$$) AS deleted;
SELECT regexp_replace(r, '"cid":\d+', '"cid":N') FROM emu_requests() r;
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM sm.activities WHERE cid = 1961;

-- a deal's stage: deal/change.step by the stage's name, no read first
UPDATE sm.deals SET step = 60 WHERE did = 5;
SELECT * FROM emu_requests();
-- moving it to the stage it is at is no error ("identical data")
SELECT row_count('UPDATE sm.deals SET step = 60 WHERE did = 5') AS updated;
SELECT * FROM emu_requests();
-- the stage and the amount: two calls; deal/update counts an amount as a
-- change only with the title, which goes along as the deal has it
UPDATE sm.deals SET step = 80, kol = 125000.50 WHERE did = 5
RETURNING did, title, step, kol;
SELECT * FROM emu_requests();
SELECT (d->>'kol')::numeric AS kol, d->>'title' AS title FROM jsonb_array_elements(sm_dump('deals')) d
 WHERE (d->>'did')::int = 5;
-- two calls for one row: one row written
SELECT * FROM explain_analyze('UPDATE sm.deals SET step = 90, kol = 125001 WHERE did = 5');
SELECT * FROM emu_requests();
-- a condition on what deal/info leaves out (the client) is checked on the
-- listed row, not on the item's NULL
SELECT row_count('UPDATE sm.deals SET kol = 778 WHERE did = 5 AND clid IS NULL') AS updated_none,
       row_count('UPDATE sm.deals SET kol = 779 WHERE did = 5 AND clid = 5') AS updated_one;
SELECT regexp_replace(r, '"offset":\d+', '"offset":N') FROM emu_requests() r;
EXPLAIN (VERBOSE, COSTS OFF) UPDATE sm.deals SET step = 60 WHERE did = 5;
EXPLAIN (VERBOSE, COSTS OFF) UPDATE sm.deals SET kol = 1 WHERE did = 5;
-- deals of a client moved on together
SELECT row_count('UPDATE sm.deals SET step = 90 WHERE clid = 1 AND close = ''no''') AS updated;
SELECT regexp_replace(r, '"did":\d+', '"did":N') FROM emu_requests() r;
-- a new deal
INSERT INTO sm.deals (title, clid, kol, step) VALUES ('Wartungsvertrag', 2, 9900, 20)
RETURNING did > 200 AS new_did, title, clid, kol, step;
SELECT regexp_replace(r, '"did":\d+', '"did":N') FROM emu_requests() r;
-- SalesMan's API deletes a deal's history with it: refused while planning
DELETE FROM sm.deals WHERE did = 5;

-- a task for a user, by login
INSERT INTO sm.tasks (title, des, datum, totime, tip, clid, did, iduser, priority)
VALUES ('Call back about the offer', 'Ask for the decision', '2026-07-10', '11:30',
        'Звонок', 1, 1, 2, 1)
RETURNING tid > 150 AS new_tid, title, datum, totime, active, iduser, user_login, client;
SELECT regexp_replace(r, '"id":\d+', '"id":N') FROM emu_requests() r;
DELETE FROM sm.tasks WHERE tid = 2;
SELECT * FROM emu_requests();

-- clients: add, add.list, update with only the changed fields
INSERT INTO sm.clients (title, phone, iduser, type) VALUES ('ООО «Вектор Плюс»', '+7 495 000-00-01', 1, 'client')
RETURNING clid > 60 AS new_clid, title, phone, type;
INSERT INTO sm.clients (title, iduser) VALUES ('Nordwind GmbH', 2), ('Südwind AG', 2);
SELECT regexp_replace(r, '"clid":\d+', '"clid":N') FROM emu_requests() r;
UPDATE sm.clients SET phone = '+7 495 111-22-33', des = 'Key account' WHERE clid = 2
RETURNING clid, title, phone, des;
SELECT * FROM emu_requests();
-- a client with that title exists already: refused, and said so
INSERT INTO sm.clients (title) VALUES ('Nordwind GmbH');

-- persons: person/update empties every field it is not sent, so each goes
-- as the row has it; nothing else of the contact changes
INSERT INTO sm.persons (person, ptitle, clid, mail) VALUES ('Zoë Åberg', 'CFO', 2, 'zoe@example.com')
RETURNING pid > 150 AS new_pid, person, ptitle, clid, mail;
INSERT INTO sm.persons (person, clid) VALUES ('Jörg Bäcker', 2), ('Олег Петров', 2);
SELECT regexp_replace(r, '"pid":\d+', '"pid":N') FROM emu_requests() r;
SELECT p - 'date_edit' - 'editor' AS before FROM jsonb_array_elements(sm_dump('persons')) p WHERE (p->>'pid')::int = 2;
UPDATE sm.persons SET mob = '+49 170 1234567' WHERE pid = 2;
SELECT * FROM emu_requests();
SELECT p - 'date_edit' - 'editor' AS after FROM jsonb_array_elements(sm_dump('persons')) p WHERE (p->>'pid')::int = 2;
EXPLAIN (VERBOSE, COSTS OFF) UPDATE sm.persons SET mob = '1' WHERE pid = 2;
-- a table without all of the contact's fields cannot update it
CREATE FOREIGN TABLE sm_few_persons (pid bigint, person text, mob text)
  SERVER sm OPTIONS (entity 'persons');
UPDATE sm_few_persons SET mob = '1' WHERE pid = 2;
DROP FOREIGN TABLE sm_few_persons;

-- values the server would mangle are refused before anything is sent
INSERT INTO sm.activities (content, clid) VALUES ('Great call 👍', 1);
INSERT INTO sm.activities (datum, content, clid) VALUES ('0999-12-31 12:00+03', 'Too early', 1);
INSERT INTO sm.activities (datum, content, clid) VALUES ('infinity', 'Never', 1);
INSERT INTO sm.activities (content, clid, iduser) VALUES ('Nobody', 1, 999);
SELECT * FROM emu_requests();

-- an account west of UTC: the real server cannot write history there
-- (it sets its database zone to "+-5:00"); nothing is written, and the
-- hint says why.  Other writes make their change, then fail the history
-- record: their outcome is reported as unknown, with the same reason
SELECT emu('POST', '/__emulator/config', '{"salesman_timezone": "America/New_York"}') \g /dev/null
ALTER SERVER sm OPTIONS (SET timezone 'America/New_York');
SET TimeZone = 'America/New_York';
INSERT INTO sm.activities (datum, content, clid) VALUES ('2026-07-06 09:00', 'From New York', 1);
UPDATE sm.deals SET step = 40 WHERE did = 5;
SELECT * FROM emu_requests();
SELECT count(*) AS written FROM sm_history('From New York');
SELECT (d->>'idcategory')::int AS step_id FROM jsonb_array_elements(sm_dump('deals')) d
 WHERE (d->>'did')::int = 5;
-- a batch of clients: each stored, then its history record failed; each
-- row's outcome is unknown, never "refused"
INSERT INTO sm.clients (title) VALUES ('West One'), ('West Two');
SELECT count(*) AS stored FROM jsonb_array_elements(sm_dump('clients')) c
 WHERE c->>'title' IN ('West One', 'West Two');
-- dates are that zone's days; times its wall clock
SELECT cid, datum FROM sm.activities WHERE cid = 42;
SELECT count(*) FROM sm.activities WHERE clid = 1 AND datum >= '2026-03-01' AND datum < '2026-03-02';
SELECT * FROM emu_requests();
SELECT emu('POST', '/__emulator/config', '{"salesman_timezone": null}') \g /dev/null
ALTER SERVER sm OPTIONS (SET timezone 'Europe/Moscow');
RESET TimeZone;
DROP FUNCTION sm_history(text);
