--
-- Mistakes are caught by the statement that makes them, each with a HINT:
-- a wrong entity at CREATE / ALTER FOREIGN TABLE, a misspelt column at
-- planning, an API path or a stray space in a server's options at CREATE
-- SERVER, an unknown entity in IMPORT's LIMIT TO, writes to an entity
-- crm_fdw cannot write.  Nothing reaches the API before they are fixed.
--
\getenv url CRM_EMULATOR_URL
SELECT * FROM emu_requests();

-- a server url that already names an API path
CREATE SERVER m1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com/api/v2');
CREATE SERVER m1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com/api/v1/deals/');
-- the check knows every provider's API paths
CREATE SERVER m1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.amocrm.ru/api/v4');
CREATE SERVER m1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://crm.example.com/developer/v3/');
-- a path that merely looks alike is a base URL
CREATE SERVER m1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://proxy.example.com/api/v20');
-- and ALTER SERVER is checked the same way
ALTER SERVER m1 OPTIONS (SET url 'https://acme.pipedrive.com/api/v2/');
DROP SERVER m1;

-- ports out of range
CREATE SERVER m2 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'http://127.0.0.1:70000');
CREATE SERVER m2 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'http://127.0.0.1:0/');
CREATE SERVER m2 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'http://127.0.0.1:/');
CREATE SERVER m2 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'http://[::1]:65536');
CREATE SERVER m2 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'http://[::1]:8080');
DROP SERVER m2;

-- values with stray white space, whatever the option
CREATE SERVER m3 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive ', url 'https://acme.pipedrive.com');
CREATE SERVER m3 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url ' https://acme.pipedrive.com');
CREATE SERVER m3 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', page_size ' 100');
CREATE SERVER m3 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com');
-- a credential's value is never repeated, even in this message
CREATE USER MAPPING FOR CURRENT_USER SERVER m3 OPTIONS (api_token 'abc123 ');
CREATE FOREIGN TABLE m3_deals (id bigint) SERVER m3 OPTIONS (entity 'deals ');
CREATE FOREIGN TABLE m3_deals (id bigint OPTIONS (field ' id')) SERVER m3
  OPTIONS (entity 'deals');
-- options of another provider's kind are named
CREATE USER MAPPING FOR CURRENT_USER SERVER m3 OPTIONS (api_key 'x');
DROP SERVER m3;

-- an entity the provider does not have: at CREATE and at ALTER
CREATE FOREIGN TABLE leads (id bigint, title text) SERVER pd;
CREATE FOREIGN TABLE my_deals (id bigint, title text) SERVER pd OPTIONS (entity 'deal');
CREATE FOREIGN TABLE my_deals (id bigint, title text) SERVER pd OPTIONS (entity 'deals');
ALTER FOREIGN TABLE my_deals OPTIONS (SET entity 'Deals');
-- the table's name stands for the entity when the option is dropped
ALTER FOREIGN TABLE my_deals OPTIONS (DROP entity);
-- and renaming a table whose name is its entity
CREATE SCHEMA m5;
CREATE FOREIGN TABLE m5.stages (id bigint, name text) SERVER pd;
ALTER FOREIGN TABLE m5.stages RENAME TO stage_list;
DROP SCHEMA m5 CASCADE;
-- a table of another wrapper is none of crm_fdw's business
CREATE FOREIGN DATA WRAPPER other_fdw;
CREATE SERVER other FOREIGN DATA WRAPPER other_fdw;
CREATE FOREIGN TABLE leads (id bigint) SERVER other;
DROP FOREIGN DATA WRAPPER other_fdw CASCADE;

-- a column that is no field of the entity: an error at planning, naming
-- the closest field; nothing is sent
ALTER FOREIGN TABLE my_deals ADD COLUMN titel text;
SELECT id, title FROM my_deals WHERE id = 1;
EXPLAIN (COSTS OFF) SELECT id FROM my_deals;
INSERT INTO my_deals (title) VALUES ('x');
ALTER FOREIGN TABLE my_deals DROP COLUMN titel;
ALTER FOREIGN TABLE my_deals ADD COLUMN zzzzzz text;
SELECT id FROM my_deals WHERE id = 1;
-- mapped with "field", or under strict_columns 'false', any name reads
ALTER FOREIGN TABLE my_deals ALTER COLUMN zzzzzz OPTIONS (ADD field 'title');
SELECT id, zzzzzz FROM my_deals WHERE id = 1;
ALTER FOREIGN TABLE my_deals ADD COLUMN mood text;
SELECT id FROM my_deals WHERE id = 1;
ALTER FOREIGN TABLE my_deals OPTIONS (ADD strict_columns 'false');
SELECT id, zzzzzz, mood FROM my_deals WHERE id = 1;
ALTER FOREIGN TABLE my_deals OPTIONS (SET strict_columns 'maybe');
SELECT * FROM emu_requests();
DROP FOREIGN TABLE my_deals;

-- IMPORT names only entities the provider has
CREATE SCHEMA m4;
IMPORT FOREIGN SCHEMA pipedrive LIMIT TO (deal, stage) FROM SERVER pd INTO m4;
IMPORT FOREIGN SCHEMA pipedrive LIMIT TO (deals, stage) FROM SERVER pd INTO m4;
IMPORT FOREIGN SCHEMA pipedrive EXCEPT (deals, leads) FROM SERVER pd INTO m4;
IMPORT FOREIGN SCHEMA pipedrive LIMIT TO (deals, stages) FROM SERVER pd INTO m4;
SELECT relname FROM pg_class WHERE relnamespace = 'm4'::regnamespace ORDER BY 1;
DROP SCHEMA m4 CASCADE;

-- writes crm_fdw cannot make read as PostgreSQL's own refusals
INSERT INTO stages (name, pipeline_id) VALUES ('Won back', 1);
UPDATE users SET name = 'x' WHERE id = 1;
DELETE FROM pipelines WHERE id = 3;
SELECT * FROM emu_requests();
