/* crm_fdw--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION crm_fdw UPDATE TO '1.1'" to load this file. \quit

-- crm_fdw_stats() gains the statement cache's hits, and gives milliseconds
-- as an exact number of three decimals; its row type changes, so it is
-- made anew
DROP FUNCTION crm_fdw_stats();

CREATE FUNCTION crm_fdw_stats(
    OUT server text,
    OUT requests bigint,
    OUT cached bigint,
    OUT pages bigint,
    OUT rows bigint,
    OUT bytes bigint,
    OUT retries bigint,
    OUT wait_ms numeric)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'crm_fdw_stats_1_1'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION crm_fdw_stats() IS
  'API requests, answers from the statement cache, pages, rows, bytes, retries and wait time spent by this session, per server';

-- a foreign table's entity is checked when the table is created or
-- altered, and IMPORT FOREIGN SCHEMA's tables get comments
CREATE FUNCTION crm_fdw_ddl_command_end()
RETURNS event_trigger
AS 'MODULE_PATHNAME'
LANGUAGE C;

CREATE EVENT TRIGGER crm_fdw_ddl_command_end ON ddl_command_end
  WHEN TAG IN ('CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'IMPORT FOREIGN SCHEMA',
               'CREATE USER MAPPING', 'ALTER USER MAPPING')
  EXECUTE FUNCTION crm_fdw_ddl_command_end();
