/*-------------------------------------------------------------------------
 *
 * ddl.h
 *		crm_fdw's event trigger on CREATE / ALTER FOREIGN TABLE and IMPORT.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_DDL_H
#define CRM_DDL_H

#include "postgres.h"

#include "fmgr.h"

/* crm_fdw.c: the handler, which identifies crm_fdw's wrappers */
extern Datum crm_fdw_handler(PG_FUNCTION_ARGS);
extern Datum crm_fdw_ddl_command_end(PG_FUNCTION_ARGS);

#endif							/* CRM_DDL_H */
