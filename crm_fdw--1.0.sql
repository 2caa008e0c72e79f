/* crm_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION crm_fdw" to load this file. \quit

CREATE FUNCTION crm_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION crm_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER crm_fdw
  HANDLER crm_fdw_handler
  VALIDATOR crm_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER crm_fdw IS 'CRM APIs (Pipedrive) as foreign tables';

CREATE FUNCTION crm_fdw_stats(
    OUT server text,
    OUT requests bigint,
    OUT pages bigint,
    OUT rows bigint,
    OUT bytes bigint,
    OUT retries bigint,
    OUT wait_ms double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION crm_fdw_stats() IS
  'API requests, pages, rows, bytes, retries and wait time spent by this session, per server';

CREATE FUNCTION crm_fdw_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;
