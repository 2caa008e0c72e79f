/*-------------------------------------------------------------------------
 *
 * import.c
 *		IMPORT FOREIGN SCHEMA: one foreign table per entity of the server's
 *		provider, with the columns and types its API documents, and the
 *		comments that explain them.
 *
 * PostgreSQL accepts only CREATE FOREIGN TABLE statements from an FDW's
 * import, so the comments are written afterwards, by crm_fdw's event
 * trigger (ddl.c), through crm_comment_imported_table().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "catalog/pg_class.h"
#include "commands/comment.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "import.h"
#include "option.h"
#include "write.h"

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

/* LIMIT TO (deal) or EXCEPT (deal) names nothing: a mistake, not a filter. */
static void
check_listed_entities(ImportForeignSchemaStmt *stmt, const CrmProvider *provider)
{
	ListCell   *lc;

	foreach(lc, stmt->table_list)
	{
		const char *name = ((RangeVar *) lfirst(lc))->relname;

		if (crm_find_entity(provider, name) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("%s has no entity \"%s\"", provider->display_name, name),
					 errdetail("IMPORT FOREIGN SCHEMA ... %s names it.",
							   stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ?
							   "LIMIT TO" : "EXCEPT"),
					 errhint("Valid entities are: %s.", crm_entity_names(provider))));
	}
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
	check_listed_entities(stmt, provider);

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
			/* every row has its key */
			if (e->key && strcmp(c->name, e->key) == 0)
				appendStringInfoString(&sql, " NOT NULL");
		}
		appendStringInfo(&sql, "\n) SERVER %s OPTIONS (entity %s)",
						 quote_identifier(server->servername),
						 quote_literal_cstr(e->name));
		commands = lappend(commands, sql.data);
	}
	return commands;
}

static void
append_ops(StringInfo buf, uint32 ops)
{
	const char *sep = "";

	appendStringInfoString(buf, " (");
	if (ops & CRM_OP_EQ)
	{
		appendStringInfoString(buf, "=");
		sep = ", ";
	}
	if (ops & CRM_OP_IN)
	{
		appendStringInfo(buf, "%sIN", sep);
		sep = ", ";
	}
	if (ops & CRM_OP_BOOL)
	{
		appendStringInfo(buf, "%strue/false", sep);
		sep = ", ";
	}
	if (ops & CRM_OP_LOWER)
	{
		appendStringInfo(buf, "%s>, >=", sep);
		sep = ", ";
	}
	if (ops & CRM_OP_UPPER)
		appendStringInfo(buf, "%s<, <=", sep);
	appendStringInfoChar(buf, ')');
}

/*
 * What \dE+ shows for an imported table: what the entity is, where it is
 * read from, which conditions the API applies, and what can be written.
 */
char *
crm_entity_comment(const CrmProvider *provider, const CrmEntity *entity)
{
	StringInfoData buf;
	const char *sep = "";
	uint32		writes = crm_entity_writes(entity);

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s %s", provider->display_name, entity->name);
	if (entity->description)
		appendStringInfo(&buf, ": %s", entity->description);
	else
		appendStringInfoChar(&buf, '.');
	if (entity->constant_rows)
	{
		appendStringInfo(&buf, " Rows %s documents: no request reads them. Read-only.",
						 provider->display_name);
		return buf.data;
	}
	appendStringInfo(&buf, " Read from %s %s",
					 provider->default_method ? provider->default_method : "GET",
					 entity->list_path);
	if (entity->item_path)
		appendStringInfo(&buf, ", one by one from %s %s",
						 provider->default_method ? provider->default_method : "GET",
						 entity->item_path);
	appendStringInfoString(&buf, ".");

	if (entity->key && entity->item_path)
	{
		appendStringInfo(&buf, " Conditions the API applies: %s (=, IN)", entity->key);
		sep = ", ";
	}
	for (const CrmFilter *f = entity->filters; f && f->column; f++)
	{
		if (sep[0] == '\0')
			appendStringInfoString(&buf, " Conditions the API applies: ");
		else if (entity->key && strcmp(f->column, entity->key) == 0 &&
				 entity->item_path)
			continue;
		appendStringInfo(&buf, "%s%s", sep, crm_column_name_of(entity, f->column));
		append_ops(&buf, f->ops);
		if (f->pair_column)
			appendStringInfo(&buf, " with %s", crm_column_name_of(entity, f->pair_column));
		if (f->domain && (f->in_path || f->fan_out))
			appendStringInfoString(&buf, " (else each in turn)");
		else if (f->required)
			appendStringInfoString(&buf, " required");
		if (f->account_feature)
			appendStringInfoString(&buf, " where the account filters");
		sep = ", ";
	}
	if (sep[0] != '\0')
		appendStringInfoString(&buf, "; PostgreSQL checks the rest.");
	else
		appendStringInfoString(&buf, " The API applies no conditions; PostgreSQL checks them all.");

	if (writes)
		appendStringInfo(&buf, " Writable: %s%s%s.",
						 (writes & CRM_WRITE_INSERT) ? "INSERT" : "",
						 (writes & CRM_WRITE_UPDATE) ?
						 ((writes & CRM_WRITE_INSERT) ? ", UPDATE" : "UPDATE") : "",
						 (writes & CRM_WRITE_DELETE) ?
						 ((writes & (CRM_WRITE_INSERT | CRM_WRITE_UPDATE)) ?
						  ", DELETE" : "DELETE") : "");
	else
		appendStringInfoString(&buf, " Read-only.");
	return buf.data;
}

/*
 * Comments on a table IMPORT FOREIGN SCHEMA created: the entity's, and
 * each column's own, where the column is still the one it declared.
 */
void
crm_comment_imported_table(Relation rel, const CrmProvider *provider,
						   const CrmEntity *entity)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			relid = RelationGetRelid(rel);

	CreateComments(relid, RelationRelationId, 0,
				   crm_entity_comment(provider, entity));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		const CrmColumn *column;

		if (attr->attisdropped)
			continue;
		column = crm_find_column(entity, NameStr(attr->attname));
		if (column && column->description)
			CreateComments(relid, RelationRelationId, attr->attnum,
						   column->description);
	}
}
