--
-- Options: where each one belongs, what values it takes, and what a user
-- sees when one is wrong.  Every error leaves the session usable.
--
\getenv url CRM_EMULATOR_URL
\getenv token CRM_TEST_TOKEN
\getenv oauth_token CRM_TEST_OAUTH_TOKEN

-- servers need a provider and a URL
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (url 'https://acme.pipedrive.com');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'hubspot', url 'https://x');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw;

-- unknown and misplaced options name the valid ones
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', timeout '5');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', entity 'deals');
-- a secret on a server is refused: servers are readable by everyone
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', api_token 'not-a-real-token');

-- URLs: the base of the account, without credentials, query or fragment
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url 'ftp://acme.pipedrive.com');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url 'https://');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url 'https://me:pw@acme.pipedrive.com');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com/?api_token=x');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com/a b');

-- numbers
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', connect_timeout '0');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', request_timeout 'soon');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', page_size '501');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', max_retries '-1');
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com', batch_size '0');

-- a good one; ALTER is validated the same way
CREATE SERVER s1 FOREIGN DATA WRAPPER crm_fdw
  OPTIONS (provider 'pipedrive', url 'https://acme.pipedrive.com/', connect_timeout '2.5',
           request_timeout '20', page_size '100', max_retries '0');
ALTER SERVER s1 OPTIONS (SET page_size '1000');
ALTER SERVER s1 OPTIONS (DROP provider);
ALTER SERVER s1 OPTIONS (ADD api_key 'x');
ALTER SERVER s1 OPTIONS (SET page_size '500');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 's1';

-- user mappings hold the credentials
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (token 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (url 'https://x');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (api_token '');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (api_token E'abc\r\nX-Injected: 1');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (api_token 'fine');

-- foreign tables and columns
CREATE FOREIGN TABLE t1 (id bigint) SERVER s1 OPTIONS (entity '');
CREATE FOREIGN TABLE t1 (id bigint) SERVER s1 OPTIONS (endpoint '/deals');
CREATE FOREIGN TABLE t1 (id bigint OPTIONS (field '')) SERVER s1;
CREATE FOREIGN TABLE t1 (id bigint OPTIONS (field 'a..b')) SERVER s1;
CREATE FOREIGN TABLE t1 (id bigint OPTIONS (json_path 'a')) SERVER s1;
CREATE FOREIGN TABLE t1 (id bigint OPTIONS (field 'id')) SERVER s1 OPTIONS (entity 'deals');
ALTER FOREIGN TABLE t1 ALTER COLUMN id OPTIONS (SET field '.id');

-- an entity the provider does not have is an error of the statement that
-- names it (by name or option), at CREATE and ALTER alike
CREATE FOREIGN TABLE leads (id bigint) SERVER pd;
CREATE FOREIGN TABLE leads (id bigint) SERVER pd OPTIONS (entity 'lead');
CREATE FOREIGN TABLE leads (id bigint) SERVER pd OPTIONS (entity 'deals');
ALTER FOREIGN TABLE leads OPTIONS (SET entity 'deal');
ALTER FOREIGN TABLE leads OPTIONS (DROP entity);
ALTER FOREIGN TABLE leads RENAME TO lead_deals;
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'lead_deals'::regclass;
DROP FOREIGN TABLE lead_deals;

-- credentials are checked when a user mapping is created or altered (the
-- extension's event trigger knows the server's provider), and never echoed
CREATE SERVER pd_both FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_both
  OPTIONS (api_token :'token', access_token :'oauth_token');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_both OPTIONS (api_token :'token');
CREATE FOREIGN TABLE both_users (id bigint) SERVER pd_both OPTIONS (entity 'users');
SELECT count(*) FROM both_users;
ALTER USER MAPPING FOR CURRENT_USER SERVER pd_both OPTIONS (DROP api_token);
ALTER USER MAPPING FOR CURRENT_USER SERVER pd_both OPTIONS (ADD api_key 'x');
-- the mapping is as it was
SELECT count(*) FROM both_users;
DROP USER MAPPING FOR CURRENT_USER SERVER pd_both;
SELECT sqlstate_of('SELECT count(*) FROM both_users');

-- an OAuth access token goes in an Authorization: Bearer header, an API
-- token in x-api-token; neither ever in the URL
CREATE USER MAPPING FOR CURRENT_USER SERVER pd_both OPTIONS (access_token :'oauth_token');
SELECT * FROM emu_requests();
SELECT count(*) FROM both_users;
SELECT count(*) FROM users;
SELECT r->>'method' AS method, r->>'path' AS path, r->>'query' AS query, r->>'auth' AS auth
  FROM jsonb_array_elements((SELECT string_agg(l, E'\n')
                               FROM emu('GET', '/__emulator/requests?clear=1') l)::jsonb) r;

-- ALTER takes effect in the same session: the cached connection is rebuilt
ALTER USER MAPPING FOR CURRENT_USER SERVER pd_both OPTIONS (SET access_token 'wrong');
\set VERBOSITY terse
SELECT count(*) FROM both_users;
\set VERBOSITY default
ALTER USER MAPPING FOR CURRENT_USER SERVER pd_both OPTIONS (SET access_token :'oauth_token');
SELECT count(*) FROM both_users;

SET client_min_messages = warning;
DROP SERVER s1 CASCADE;
DROP SERVER pd_both CASCADE;
RESET client_min_messages;
SELECT * FROM emu_requests();
