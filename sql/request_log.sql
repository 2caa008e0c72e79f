--
-- crm_fdw.log_requests: every request as a NOTICE (and a server log line)
-- with method, path, query, body, HTTP status, retries and whether the
-- statement cache answered it; DETAIL (hidden here by VERBOSITY terse,
-- since it varies) has the bytes and milliseconds.  The NOTICEs list
-- exactly what the emulator logged, and never a credential.
--
\set VERBOSITY terse
SELECT * FROM emu_requests();
-- the setting exists once the library is loaded (by a first query, or LOAD)
LOAD 'crm_fdw';
SHOW crm_fdw.log_requests;
SET crm_fdw.log_requests = on;
SHOW crm_fdw.log_requests;

-- a lookup by key, a list filter, a full listing of a small entity
SELECT id, title FROM deals WHERE id = 7;
SELECT count(*) FROM deals WHERE id IN (1, 2, 3) AND status = 'open';
SELECT count(*) FROM stages;
SELECT * FROM emu_requests();

-- the statement cache answers a repeated request: logged as such, not sent
SELECT s.id, d.title
  FROM (VALUES (3), (5), (3)) s(id)
  JOIN LATERAL (SELECT title FROM deals WHERE id = s.id OFFSET 0) d ON true;
SELECT * FROM emu_requests();

-- retries, and a failure, are logged before the error
SELECT emu('POST', '/__emulator/faults',
           '{"method":"GET","path":"^/api/v2/pipelines$","status":503,"times":1,"retry_after":0}') \g /dev/null
SELECT count(*) FROM pipelines;
SELECT emu('POST', '/__emulator/faults',
           '{"method":"GET","path":"^/api/v2/pipelines$","status":400,"times":1}') \g /dev/null
SELECT count(*) FROM pipelines;
SELECT * FROM emu_requests();

-- a write shows its body
INSERT INTO notes (content, deal_id) VALUES ('Logged note', 4) RETURNING content;
DELETE FROM notes WHERE content = 'Logged note' AND deal_id = 4;
SELECT * FROM emu_requests();

-- the session's totals count the cache's answers, in milliseconds rounded
-- to microseconds
SELECT crm_fdw_stats_reset();
SELECT s.id FROM (VALUES (9), (9)) s(id)
  JOIN LATERAL (SELECT id FROM deals WHERE id = s.id OFFSET 0) d ON true;
SELECT server, requests, cached, pages, rows, retries, pg_typeof(wait_ms),
       wait_ms = round(wait_ms, 3) AS rounded
  FROM crm_fdw_stats();

-- off again: silent
RESET crm_fdw.log_requests;
SELECT id FROM deals WHERE id = 7;
SELECT * FROM emu_requests();
-- the setting is the session's own: any user may set it
SELECT context FROM pg_settings WHERE name = 'crm_fdw.log_requests';
