-- The seed's SalesMan scenario, run by test/salesman_live_check.sh against
-- a real server.  Stops at the first error.
\set ECHO all
\pset footer off
\getenv url SM_URL
\getenv zone SM_ZONE
\getenv login SM_LOGIN
\getenv key SM_KEY
\set QUIET on
CREATE EXTENSION crm_fdw;
CREATE SERVER salesman FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'salesman', url :'url', timezone :'zone');
CREATE USER MAPPING FOR CURRENT_USER SERVER salesman OPTIONS (login :'login', api_key :'key');
CREATE SCHEMA sm;
IMPORT FOREIGN SCHEMA salesman FROM SERVER salesman INTO sm;
\set QUIET off
SET TimeZone = :'zone';
SET crm_fdw.log_requests = on;

-- every entity answers
SELECT (SELECT count(*) FROM sm.users) AS users,
       (SELECT count(*) FROM sm.stages) AS stages,
       (SELECT count(*) FROM sm.activity_types) AS activity_types,
       (SELECT count(*) FROM sm.activity_fields) AS activity_fields,
       (SELECT count(*) FROM sm.deal_directions) AS directions,
       (SELECT count(*) FROM sm.deal_types) AS deal_types,
       (SELECT count(*) FROM sm.deal_close_statuses) AS close_statuses,
       (SELECT count(*) FROM sm.clients) AS clients,
       (SELECT count(*) FROM sm.persons) AS persons,
       (SELECT count(*) FROM sm.deals) AS deals,
       (SELECT count(*) FROM sm.tasks) AS tasks,
       (SELECT count(*) FROM sm.activities) AS activities;

-- a client, a contact and a deal of our own, to write history on
INSERT INTO sm.clients (title, phone) VALUES ('crm_fdw live check ' || to_char(now(), 'YYYYMMDDHH24MISS'), '+7 495 000-00-00')
RETURNING clid, title \gset
INSERT INTO sm.persons (person, clid, ptitle, mail) VALUES ('Live Check Person', :clid, 'Tester', 'live@example.com')
RETURNING pid \gset
INSERT INTO sm.deals (title, clid, kol) VALUES ('Live check deal', :clid, 1000)
RETURNING did, step \gset

-- add one record, RETURNING its cid (history/add)
INSERT INTO sm.activities (datum, content, tip, clid, pid, did, iduser)
VALUES (now() - interval '1 hour', 'Live check: one record', 'Звонок', :clid, ARRAY[:pid]::bigint[], :did,
        (SELECT iduser FROM sm.users WHERE login = :'login'))
RETURNING cid, datum, content, tip, user_login, pid, contacts \gset one_
-- a list of records (one history/add.list)
INSERT INTO sm.activities (datum, content, clid)
VALUES (now() - interval '50 minutes', 'Live check: list 1', :clid),
       (now() - interval '40 minutes', 'Live check: list 2', :clid),
       (now() - interval '30 minutes', 'Live check: list 3', :clid);
-- the client's history for a date range (history/list)
SELECT cid, datum, content, tip, user_login, pid, did FROM sm.activities
 WHERE clid = :clid AND datum >= now() - interval '2 days' AND datum < now() + interval '1 day'
 ORDER BY datum;
-- one by cid (history/info, completed from the day's listing)
SELECT cid, datum, content, tip, clid, client, pid, contacts FROM sm.activities WHERE cid = :one_cid;
-- delete one (history/delete), and it is gone
DELETE FROM sm.activities WHERE cid = :one_cid RETURNING cid, content;
SELECT count(*) AS still_there FROM sm.activities WHERE cid = :one_cid;
DELETE FROM sm.activities WHERE cid = :one_cid;

-- the deal to another stage (deal/change.step), again (no error), and back
SELECT title AS next_step FROM sm.stages WHERE title::int > :step ORDER BY title::int LIMIT 1 \gset
UPDATE sm.deals SET step = :next_step WHERE did = :did;
UPDATE sm.deals SET step = :next_step WHERE did = :did;
SELECT did, title, step, step_id FROM sm.deals WHERE did = :did;
UPDATE sm.deals SET kol = 2500 WHERE did = :did RETURNING did, title, kol, step;

-- a task, and the contact changed without losing its other fields
INSERT INTO sm.tasks (title, datum, totime, clid) VALUES ('Live check task', current_date + 1, '10:00', :clid)
RETURNING tid, title, datum, totime, active;
UPDATE sm.persons SET mob = '+7 900 000-00-00' WHERE pid = :pid RETURNING pid, person, ptitle, mail, mob;

-- values the server would mangle are refused before sending
\set ON_ERROR_STOP off
INSERT INTO sm.activities (content, clid) VALUES ('emoji 👍', :clid);
\set ON_ERROR_STOP on
SELECT server, requests, cached, retries FROM crm_fdw_stats();
