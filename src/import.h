/*-------------------------------------------------------------------------
 *
 * import.h
 *		IMPORT FOREIGN SCHEMA for crm_fdw.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_IMPORT_H
#define CRM_IMPORT_H

#include "postgres.h"

#include "nodes/parsenodes.h"

extern List *crm_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid);

#endif							/* CRM_IMPORT_H */
