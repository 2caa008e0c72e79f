/*-------------------------------------------------------------------------
 *
 * import.c
 *		IMPORT FOREIGN SCHEMA: one foreign table per entity of the server's
 *		provider, with the columns and types its API documents.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "import.h"
#include "option.h"

static bool
entity_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;
	bool		listed = false;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
		if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
			listed = true;
	return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ? listed : !listed;
}

List *
crm_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	CrmServerOptions options;
	const CrmProvider *provider;
	List	   *commands = NIL;

	crm_server_options(server, &options);
	provider = options.provider;
	if (strcmp(stmt->remote_schema, provider->name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("%s has no schema \"%s\"", provider->display_name,
						stmt->remote_schema),
				 errhint("Import schema \"%s\": IMPORT FOREIGN SCHEMA %s FROM SERVER %s INTO ...",
						 provider->name, provider->name,
						 quote_identifier(server->servername))));

	for (const CrmEntity *e = provider->entities; e->name; e++)
	{
		StringInfoData sql;

		if (!entity_wanted(stmt, e->name))
			continue;
		initStringInfo(&sql);
		appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (", quote_identifier(e->name));
		for (const CrmColumn *c = e->columns; c->name; c++)
		{
			appendStringInfo(&sql, "%s\n  %s %s", c == e->columns ? "" : ",",
							 quote_identifier(c->name), c->type);
			if (c->field)
				appendStringInfo(&sql, " OPTIONS (field %s)",
								 quote_literal_cstr(c->field));
		}
		appendStringInfo(&sql, "\n) SERVER %s OPTIONS (entity %s)",
						 quote_identifier(server->servername),
						 quote_literal_cstr(e->name));
		commands = lappend(commands, sql.data);
	}
	return commands;
}
