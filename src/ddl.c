/*-------------------------------------------------------------------------
 *
 * ddl.c
 *		crm_fdw's event trigger: checks a foreign table's entity when the
 *		table is created or altered, and comments the tables IMPORT FOREIGN
 *		SCHEMA made.
 *
 * The option validator sees neither the server nor the table's name, so a
 * misspelt entity (or a table named after none) would surface only at the
 * first query.  At ddl_command_end both are known: the mistake becomes an
 * ERROR of the statement that made it, and the statement rolls back.
 *
 * Touches only foreign tables of crm_fdw servers; never sends a request.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "connection.h"
#include "ddl.h"
#include "import.h"
#include "option.h"

/* Whether a server belongs to this FDW, whatever the wrapper is named. */
static bool
is_crm_server(Oid serverid)
{
	ForeignServer *server = GetForeignServer(serverid);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	FmgrInfo	handler;

	if (!OidIsValid(fdw->fdwhandler))
		return false;
	fmgr_info(fdw->fdwhandler, &handler);
	return handler.fn_addr == crm_fdw_handler;
}

/*
 * A table's own batch_size must be one its entity's writes can use: a
 * number above what the API takes in one request, or for an entity written
 * a row at a time, would be silently ignored.  (A server's batch_size spans
 * entities, and is capped for each when it is used.)
 */
static void
check_batch_size(ForeignTable *table, const CrmServerOptions *server,
				 const CrmEntity *entity)
{
	ListCell   *lc;
	int			most = 0;

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		int			value;

		if (strcmp(def->defname, "batch_size") != 0)
			continue;
		value = atoi(defGetString(def));
		if (entity->insert && entity->insert->batch_size > most)
			most = entity->insert->batch_size;
		if (entity->insert_batch && entity->insert_batch->batch_size > most)
			most = entity->insert_batch->batch_size;
		for (const CrmWriteRoute *r = entity->update; r && r->method; r++)
			most = Max(most, r->batch_size);
		if (most == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"batch_size\" does not apply to entity \"%s\"",
							entity->name),
					 errdetail("%s writes %s one row a request.",
							   server->provider->display_name, entity->name),
					 errhint("Leave batch_size out of this table's options.")));
		if (value > most)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("batch_size %d is more than %s takes in one request",
							value, server->provider->display_name),
					 errdetail("%s takes at most %d %s a request.",
							   server->provider->display_name, most, entity->name),
					 errhint("Set batch_size to %d or less.", most)));
	}
}

static void
check_table(Oid relid, bool imported)
{
	ForeignTable *table;
	CrmServerOptions server;
	CrmTableOptions options;
	Relation	rel;

	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		return;
	table = GetForeignTable(relid);
	if (!is_crm_server(table->serverid))
		return;

	crm_server_options(GetForeignServer(table->serverid), &server);
	/* an entity the provider does not have is an ERROR here */
	crm_table_options(table, &server, false, &options);

	check_batch_size(table, &server, options.entity);

	if (imported)
	{
		rel = table_open(relid, AccessShareLock);
		crm_comment_imported_table(rel, server.provider, options.entity);
		table_close(rel, AccessShareLock);
	}
}

/*
 * A user mapping must hold its server's provider's credentials, whole: the
 * option validator sees neither the server nor the provider, so a SalesMan
 * login without its api_key, or a credential of another provider, would
 * otherwise surface only at the first query.
 */
static void
check_user_mapping(Oid umid)
{
	HeapTuple	tuple = SearchSysCache1(USERMAPPINGOID, ObjectIdGetDatum(umid));
	Form_pg_user_mapping form;
	Datum		datum;
	bool		isnull;
	List	   *options = NIL;
	CrmServerOptions server;
	Oid			serverid;

	if (!HeapTupleIsValid(tuple))
		return;
	form = (Form_pg_user_mapping) GETSTRUCT(tuple);
	serverid = form->umserver;
	if (!is_crm_server(serverid))
	{
		ReleaseSysCache(tuple);
		return;
	}
	datum = SysCacheGetAttr(USERMAPPINGOID, tuple, Anum_pg_user_mapping_umoptions,
							&isnull);
	if (!isnull)
		options = untransformRelOptions(datum);
	ReleaseSysCache(tuple);

	crm_server_options(GetForeignServer(serverid), &server);
	list_free_deep(crm_check_credentials(options, server.provider));
}

PG_FUNCTION_INFO_V1(crm_fdw_ddl_command_end);

Datum
crm_fdw_ddl_command_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	bool		imported;
	MemoryContext caller = CurrentMemoryContext;
	List	   *relids = NIL;
	List	   *mappings = NIL;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_fdw_ddl_command_end() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	imported = trigdata->tag == CMDTAG_IMPORT_FOREIGN_SCHEMA;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT objid, classid = 'pg_catalog.pg_user_mapping'::pg_catalog.regclass"
					" FROM pg_catalog.pg_event_trigger_ddl_commands()"
					" WHERE classid IN ('pg_catalog.pg_class'::pg_catalog.regclass,"
					" 'pg_catalog.pg_user_mapping'::pg_catalog.regclass)"
					" AND objsubid = 0", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_event_trigger_ddl_commands()");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		bool		mapping_null;
		Datum		objid = SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull);
		bool		is_mapping = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i],
															SPI_tuptable->tupdesc, 2,
															&mapping_null));

		/* the lists must outlive SPI's memory */
		if (!isnull)
		{
			MemoryContext spi = MemoryContextSwitchTo(caller);

			if (is_mapping)
				mappings = list_append_unique_oid(mappings, DatumGetObjectId(objid));
			else
				relids = list_append_unique_oid(relids, DatumGetObjectId(objid));
			MemoryContextSwitchTo(spi);
		}
	}
	SPI_finish();

	foreach(lc, relids)
		check_table(lfirst_oid(lc), imported);
	foreach(lc, mappings)
		check_user_mapping(lfirst_oid(lc));

	PG_RETURN_VOID();
}
