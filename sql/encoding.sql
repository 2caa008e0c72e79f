--
-- APIs speak UTF-8; a database in another encoding gets its text converted
-- both ways, and a character it cannot hold is an ERROR, never dropped.
--
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN
CREATE DATABASE crm_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c crm_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION crm_fdw;
CREATE SERVER pd FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd OPTIONS (api_token :'token');
IMPORT FOREIGN SCHEMA pipedrive LIMIT TO (deals, activities) FROM SERVER pd INTO public;

-- Latin-1 text reads right; Cyrillic cannot be stored, and says so
SELECT id, title FROM deals WHERE id = 3;
SELECT id, title FROM deals WHERE id = 2;
SELECT 'the session still works' AS ok;

-- and goes out as UTF-8: pushed values and written ones
SELECT count(*) FROM activities WHERE lead_id = 'Müller';
INSERT INTO activities (subject, type) VALUES ('Grüße an Zoë', 'call') RETURNING subject;
\c contrib_regression
SELECT * FROM emu_requests();
SELECT emu('POST', '/__emulator/reset') \g /dev/null
DROP DATABASE crm_latin1;
