--
-- IMPORT FOREIGN SCHEMA: tables that document themselves.  Each table's
-- comment says what the entity is, where it is read from, which
-- conditions the API applies and whether it is writable; each column's
-- comment is the vendor's description; the key is NOT NULL.  \dE+ and \d+
-- show them.
--
CREATE SCHEMA doc;
IMPORT FOREIGN SCHEMA pipedrive LIMIT TO (deals, stages, deal_flow, users)
  FROM SERVER pd INTO doc;
SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c WHERE c.relnamespace = 'doc'::regnamespace ORDER BY 1;
\d+ doc.stages
\d doc.deal_flow

-- setup imported every entity: every column has its description
SELECT c.relname, count(*) AS columns,
       count(*) FILTER (WHERE col_description(c.oid, a.attnum) IS NULL) AS without_comment
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'f'
 GROUP BY c.relname ORDER BY c.relname;

-- a table made by hand is the user's to comment; crm_fdw leaves it alone
CREATE FOREIGN TABLE doc.my_deals (id bigint, title text) SERVER pd OPTIONS (entity 'deals');
SELECT obj_description('doc.my_deals'::regclass, 'pg_class') AS table_comment,
       col_description('doc.my_deals'::regclass, 1) AS id_comment;

-- importing into a schema that already has a table of that name fails as
-- PostgreSQL's import does, and leaves nothing half made
IMPORT FOREIGN SCHEMA pipedrive LIMIT TO (stages) FROM SERVER pd INTO doc;
SELECT count(*) FROM pg_class WHERE relnamespace = 'doc'::regnamespace;

-- imported tables work
SELECT id, name FROM doc.stages WHERE id = 2;
SELECT * FROM emu_requests();
DROP SCHEMA doc CASCADE;
