--
-- Paging: v2 follows cursors, v1 start/limit, to the end and no further;
-- pages are fetched lazily, only when the executor needs their rows.
--
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN
SELECT * FROM emu_requests();

-- v2 cursors: 1170 deals in pages of 500
SELECT count(*) FROM deals;
SELECT regexp_replace(r, 'cursor=[A-Za-z0-9_-]+', 'cursor=...') FROM emu_requests() r;

-- the same with page_size 100: twelve requests
CREATE SERVER pd_small FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url :'url', page_size '100');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_small OPTIONS (api_token :'token');
CREATE FOREIGN TABLE deals_small (id bigint, title text) SERVER pd_small
  OPTIONS (entity 'deals');
SELECT count(*), count(DISTINCT id) FROM deals_small;
SELECT emu_request_count();

-- v1 start/limit: 300 notes in pages of 100
CREATE FOREIGN TABLE notes_small (id bigint, content text) SERVER pd_small
  OPTIONS (entity 'notes');
SELECT count(*), min(id), max(id) FROM notes_small;
SELECT * FROM emu_requests();

-- files are capped at 100 a page by the API, even with a larger page_size
SELECT count(*) FROM files;
SELECT * FROM emu_requests();

-- LIMIT: one request, asking for only the rows needed
SELECT id, title FROM deals LIMIT 5;
SELECT * FROM emu_requests();
SELECT count(*) FROM (SELECT id FROM deals LIMIT 600) s;
SELECT regexp_replace(r, 'cursor=[A-Za-z0-9_-]+', 'cursor=...') FROM emu_requests() r;

-- a condition PostgreSQL must check itself: full pages, but only as many
-- as it takes to find the rows
SELECT id FROM deals WHERE title LIKE '%Müller%' LIMIT 2;
SELECT regexp_replace(r, 'cursor=[A-Za-z0-9_-]+', 'cursor=...') FROM emu_requests() r;

-- lazily: a cursor that stops early sends no more requests
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM deals_small;
FETCH 3 FROM c;
SELECT emu_request_count();
FETCH 150 FROM c \g /dev/null
SELECT emu_request_count();
CLOSE c;
COMMIT;
SELECT emu_request_count();

SET client_min_messages = warning;
DROP SERVER pd_small CASCADE;
