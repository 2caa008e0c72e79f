--
-- amoCRM writes: PATCH and POST take arrays, so rows go in batches (50 by
-- default, 250 at most); a write by id sends no read first; RETURNING comes
-- from the answer, the values sent, and a read back for the rest.  The
-- tables are amocrm_read's import.
--
\set VERBOSITY default
SELECT emu('POST', '/__emulator/reset') \g /dev/null
SELECT emu('POST', '/__emulator/config', '{"amocrm_rate_limit": false}') \g /dev/null
SELECT * FROM emu_requests();
-- a request log line with a long array body, as "[N items]"
CREATE FUNCTION emu_requests_brief() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT CASE WHEN length(r) > 160 AND r ~ '^\S+ \S+ \['
              THEN regexp_replace(r, '^(\S+ \S+) (\[.*\])( -> \d+)?$', '\1') || ' [' ||
                   jsonb_array_length(regexp_replace(r, '^\S+ \S+ (\[.*\])( -> \d+)?$', '\1')::jsonb) ||
                   ' items]' || coalesce(substring(r from ' -> \d+$'), '')
              ELSE r END
    FROM emu_requests() r
$$;

-- a stage change by id: one PATCH, no GET; RETURNING from its answer and
-- the values sent, the rest read back in one request
UPDATE amo.deals SET status_id = 700103, pipeline_id = 7001 WHERE id = 1000009
RETURNING id, name, status_id, pipeline_id, updated_at > now() - interval '1 hour' AS just_now;
SELECT * FROM emu_requests();
-- marked won (142): amoCRM closes it
UPDATE amo.deals SET status_id = 142 WHERE id = 1000009
RETURNING id, status_id, closed_at IS NOT NULL AS closed;
SELECT * FROM emu_requests();
-- the price, the name and the owner, by id
UPDATE amo.deals SET price = 10 WHERE id = 1000007;
SELECT * FROM emu_requests();
UPDATE amo.deals SET name = 'Renamed "deal"', responsible_user_id = 1002,
                     loss_reason_id = NULL
 WHERE id IN (1000007, 1000008)
RETURNING id, name, price, responsible_user_id;
SELECT * FROM emu_requests();
EXPLAIN (VERBOSE, COSTS OFF) UPDATE amo.deals SET price = 10 WHERE id = 1000007;
-- a condition on a column read only on request (with=contacts) is checked
-- on the row read with it
SELECT row_count('UPDATE amo.deals SET price = 11 WHERE id = 1000007 AND contact_ids IS NULL') AS updated_none,
       row_count('UPDATE amo.deals SET price = 11 WHERE id = 1000007 AND contact_ids IS NOT NULL') AS updated_one;
SELECT * FROM emu_requests();

-- lost (143) over every deal of two stages: the listing, then 3 PATCHes of
-- at most 50 items
SELECT count(*) AS matching FROM amo.deals
 WHERE pipeline_id = 7002 AND status_id IN (700202, 700203);
SELECT * FROM emu_requests_brief();
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE amo.deals SET status_id = 143 WHERE pipeline_id = 7002 AND status_id IN (700202, 700203);
SELECT row_count($$UPDATE amo.deals SET status_id = 143
                    WHERE pipeline_id = 7002 AND status_id IN (700202, 700203)$$) AS updated;
SELECT * FROM emu_requests_brief();
SELECT count(*) AS lost_now FROM jsonb_array_elements(amo_dump('leads')) l
 WHERE (l->>'pipeline_id')::int = 7002 AND (l->>'status_id')::int = 143;
-- a condition the API cannot apply is checked here, on the rows read:
-- under direct modify it could not be, so this UPDATE reads first
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE amo.deals SET price = price + 1 WHERE id = 1000010 AND name LIKE '%x%';

-- INSERT: POSTs of up to 50 rows; with RETURNING, one a row
INSERT INTO amo.deals (name, price, pipeline_id, status_id, responsible_user_id)
VALUES ('Sofortauftrag', 4200, 7002, 700201, 1003)
RETURNING id > 1000000 AS new_id, name, price, status_id, pipeline_id,
          responsible_user_id, created_at > now() - interval '1 hour' AS just_now;
SELECT * FROM emu_requests();
INSERT INTO amo.deals (name, price)
SELECT 'Bulk deal ' || g, g * 100 FROM generate_series(1, 120) g;
SELECT * FROM emu_requests_brief();
SELECT count(*) FROM amo.deals WHERE name LIKE 'Bulk deal %';
SELECT * FROM emu_requests_brief();
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO amo.deals (name) VALUES ('x');
-- batch_size: a table option beats the server's; at most amoCRM's 250
ALTER FOREIGN TABLE amo.contacts OPTIONS (ADD batch_size '2');
INSERT INTO amo.contacts (first_name, last_name, responsible_user_id)
VALUES ('Anna', 'Šimková', 1001), ('Jörg', 'Bäcker', 1002), ('Олег', 'Петров', 1003);
SELECT * FROM emu_requests();
ALTER FOREIGN TABLE amo.contacts OPTIONS (SET batch_size '251');
ALTER FOREIGN TABLE amo.contacts OPTIONS (DROP batch_size);
-- Pipedrive writes a row a request: the option has nothing to set there
ALTER FOREIGN TABLE deals OPTIONS (ADD batch_size '10');
-- contacts and companies with RETURNING: one POST a row, the rest read back
INSERT INTO amo.contacts (name, first_name, last_name, responsible_user_id)
VALUES ('Zoë Åberg', 'Zoë', 'Åberg', 1004)
RETURNING id > 0 AS new_id, name, first_name, last_name, responsible_user_id,
          created_by, is_deleted;
INSERT INTO amo.companies (name) VALUES ('Åberg & Söner AB')
RETURNING id > 0 AS new_id, name, responsible_user_id IS NOT NULL AS has_owner;
UPDATE amo.contacts SET last_name = 'Åberg-Lind', responsible_user_id = 1005
 WHERE id = 2000001 RETURNING id, last_name, responsible_user_id;
UPDATE amo.companies SET name = 'Renamed AB' WHERE id = 3000002 RETURNING id, name;
SELECT * FROM emu_requests();
-- COPY goes in batches too, flushed at the end
COPY amo.companies (name, responsible_user_id) FROM stdin;
Copy One GmbH	1001
Copy Two OÜ	1002
\.
SELECT * FROM emu_requests();
SELECT name, responsible_user_id FROM amo.companies WHERE name LIKE 'Copy %' ORDER BY name;
SELECT * FROM emu_requests();

-- tasks: added to a deal, then completed with a result
INSERT INTO amo.tasks (text, complete_till, entity_type, entity_id, responsible_user_id, task_type_id)
VALUES ('Call back about the "final" offer', '2027-01-15 10:00+00', 'leads', 1000009, 1002, 1)
RETURNING id > 0 AS new_id, text, complete_till, entity_type, entity_id, is_completed;
SELECT * FROM emu_requests();
UPDATE amo.tasks SET is_completed = true, result_text = 'Called: they sign on Monday'
 WHERE text = 'Call back about the "final" offer'
RETURNING text, is_completed, result_text;
SELECT * FROM emu_requests();

-- notes: each goes to its entity type's path, rows of one type together
INSERT INTO amo.notes (entity_type, entity_id, note_type, text) VALUES
  ('leads', 1000009, 'common', 'Won after the second call.'),
  ('contacts', 2000001, 'common', 'Prefers e-mail.'),
  ('leads', 1000007, 'common', 'Price cut to 10.');
SELECT * FROM emu_requests();
SELECT entity_type, entity_id, text FROM amo.notes
 WHERE entity_type IN ('leads', 'contacts') AND entity_id IN (1000009, 2000001, 1000007)
   AND note_type = 'common' AND created_at > now() - interval '1 hour'
 ORDER BY 1, 2;
SELECT * FROM emu_requests();
INSERT INTO amo.notes (entity_type, entity_id, note_type, text)
VALUES ('companies', 3000002, 'common', 'Renamed this week.')
RETURNING id > 0 AS new_id, entity_type, entity_id, note_type, text,
          created_at > now() - interval '1 hour' AS just_now;
SELECT * FROM emu_requests();
INSERT INTO amo.notes (entity_type, entity_id, note_type, text)
VALUES ('pipelines', 7001, 'common', 'nowhere');

-- a batch with one bad item: amoCRM refuses it whole and names the item
INSERT INTO amo.deals (name, pipeline_id, status_id)
VALUES ('good one', 7001, 700102), ('bad one', 7001, 700201), ('good two', 7001, 700102);
SELECT * FROM emu_requests();
SELECT count(*) AS written FROM amo.deals WHERE name IN ('good one', 'good two');
SELECT * FROM emu_requests();

-- an id that is gone from a batch UPDATE: the rest are written, the gone
-- one is left alone and not counted, as a row deleted meanwhile would be
SELECT row_count($$UPDATE amo.deals SET price = 77 WHERE id IN (1000011, 1000012, 999)$$) AS updated;
SELECT * FROM emu_requests();
SELECT id, price FROM amo.deals WHERE id IN (1000011, 1000012) ORDER BY id;
SELECT * FROM emu_requests();

-- amoCRM has no DELETE for these: refused while planning, with a hint
DELETE FROM amo.deals WHERE id = 1000009;
DELETE FROM amo.tasks WHERE id = 1;
-- and columns it sets itself
UPDATE amo.deals SET created_at = now() WHERE id = 1000009;
SELECT * FROM emu_requests();
DROP FUNCTION emu_requests_brief();
