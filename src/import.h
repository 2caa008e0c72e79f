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
#include "utils/relcache.h"

#include "provider.h"

extern List *crm_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid);
extern char *crm_entity_comment(const CrmProvider *provider,
								const CrmEntity *entity);
extern void crm_comment_imported_table(Relation rel, const CrmProvider *provider,
									   const CrmEntity *entity);

#endif							/* CRM_IMPORT_H */
