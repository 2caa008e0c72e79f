/*-------------------------------------------------------------------------
 *
 * modify.c
 *		INSERT, UPDATE and DELETE on foreign tables: one API write per row,
 *		the entity's key as row identity, RETURNING from the API's answer.
 *
 * A CRM has no transactions: each row is written when the executor hands
 * it over, and stays written if a later row fails.  So a failure says how
 * many rows were already written and which ones, and nothing is written
 * twice: a POST whose fate is unknown is not resent (see http.c).
 *
 * Never decides what a request looks like: the provider spells each write
 * from the columns this file converts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "json_datum.h"
#include "modify.h"
#include "option.h"
#include "compose.h"
#include "request.h"
#include "rowset.h"

/* How many ids of already written rows an error lists. */
#define CRM_WRITTEN_IDS_SHOWN	20

typedef struct CrmModifyState
{
	CrmTarget	target;
	const CrmEntity *entity;
	CmdType		operation;
	Relation	rel;
	const char *relname;		/* outlives the relation, for late warnings */
	List	   *target_attrs;	/* attnums of the columns written */
	char	  **target_fields;	/* their JSON paths, parallel */
	CrmColumnConv *returning;	/* RETURNING columns, from the answer */
	int			nreturning;
	AttrNumber	key_junk;		/* "crm_key" in the subplan's output */
	AttrNumber	row_junk;		/* "crm_row": DELETE's row, for RETURNING */
	Oid			key_type;
	bool		check_each_row; /* no plan checked the columns: refuse
								 * values for read-only ones row by row */
	int64		rows_written;
	StringInfoData written_ids; /* the first few, for error messages */
	bool		reported;		/* an error's context already named them */
	bool		ended;			/* EndForeignModify ran: the statement succeeded */
	MemoryContextCallback gone; /* runs when the statement's memory goes */
	int64		current_row;
	MemoryContext row_cxt;
	CrmCounters counters;
} CrmModifyState;

static const char *
operation_name(CmdType operation)
{
	switch (operation)
	{
		case CMD_INSERT:
			return "INSERT";
		case CMD_UPDATE:
			return "UPDATE";
		case CMD_DELETE:
			return "DELETE";
		default:
			return "write";
	}
}

static uint32
operation_bit(CmdType operation)
{
	switch (operation)
	{
		case CMD_INSERT:
			return CRM_WRITE_INSERT;
		case CMD_UPDATE:
			return CRM_WRITE_UPDATE;
		case CMD_DELETE:
			return CRM_WRITE_DELETE;
		default:
			return 0;
	}
}

/* The entity behind a foreign table, and its server's options. */
static const CrmEntity *
relation_entity(Oid relid, CrmServerOptions *server, ForeignServer **fserver,
				bool missing_ok)
{
	ForeignTable *table = GetForeignTable(relid);
	CrmTableOptions table_options;

	*fserver = GetForeignServer(table->serverid);
	crm_server_options(*fserver, server);
	crm_table_options(table, server, missing_ok, &table_options);
	return table_options.entity;
}

/* As relation_entity(), for a write: every column must name a field. */
static const CrmEntity *
written_entity(Relation rel, CrmServerOptions *server, ForeignServer **fserver)
{
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	CrmTableOptions table_options;

	*fserver = GetForeignServer(table->serverid);
	crm_server_options(*fserver, server);
	crm_table_options(table, server, false, &table_options);
	crm_check_columns(rel, server->provider, table_options.entity, &table_options);
	return table_options.entity;
}

/*
 * A write the entity does not take is refused as PostgreSQL refuses one on
 * a read-only relation, saying which entities crm_fdw does write.
 */
static void
check_entity_writable(Relation rel, const CrmProvider *provider,
					  const CrmEntity *entity, CmdType operation)
{
	StringInfoData writable;

	if (entity->writes & operation_bit(operation))
		return;
	initStringInfo(&writable);
	for (const CrmEntity *e = provider->entities; e->name; e++)
		if (e->writes & operation_bit(operation))
			appendStringInfo(&writable, "%s%s", writable.len ? ", " : "", e->name);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 operation == CMD_INSERT ?
			 errmsg("cannot insert into foreign table \"%s\"", RelationGetRelationName(rel)) :
			 operation == CMD_UPDATE ?
			 errmsg("cannot update foreign table \"%s\"", RelationGetRelationName(rel)) :
			 errmsg("cannot delete from foreign table \"%s\"", RelationGetRelationName(rel)),
			 errdetail("crm_fdw cannot %s %s %s.",
					   operation == CMD_INSERT ? "create" :
					   operation == CMD_UPDATE ? "change" : "delete",
					   provider->display_name, entity->name),
			 writable.len ?
			 errhint("crm_fdw %s %s %s.",
					 operation == CMD_INSERT ? "inserts into" :
					 operation == CMD_UPDATE ? "updates" : "deletes from",
					 provider->display_name, writable.data) :
			 errhint("crm_fdw cannot %s any %s entity.",
					 operation == CMD_INSERT ? "insert into" :
					 operation == CMD_UPDATE ? "update" : "delete from",
					 provider->display_name)));
}

static AttrNumber
key_attnum(Relation rel, const CrmEntity *entity)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (entity->key == NULL)
		return InvalidAttrNumber;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (!attr->attisdropped &&
			strcmp(crm_column_field(RelationGetRelid(rel), attr->attnum, entity),
				   entity->key) == 0)
			return attr->attnum;
	}
	return InvalidAttrNumber;
}

int
crm_is_updatable(Relation rel)
{
	CrmServerOptions server;
	ForeignServer *fserver;
	/* asked for by information_schema too: a bad entity is not an error here */
	const CrmEntity *entity = relation_entity(RelationGetRelid(rel), &server,
											  &fserver, true);
	int			events = 0;

	if (entity == NULL)
		return 0;
	if (entity->writes & CRM_WRITE_INSERT)
		events |= (1 << CMD_INSERT);
	if (key_attnum(rel, entity) != InvalidAttrNumber)
	{
		if (entity->writes & CRM_WRITE_UPDATE)
			events |= (1 << CMD_UPDATE);
		if (entity->writes & CRM_WRITE_DELETE)
			events |= (1 << CMD_DELETE);
	}
	return events;
}

void
crm_add_update_targets(PlannerInfo *root, Index rtindex,
					   RangeTblEntry *target_rte, Relation rel)
{
	CrmServerOptions server;
	ForeignServer *fserver;
	const CrmEntity *entity = relation_entity(RelationGetRelid(rel), &server,
											  &fserver, false);
	AttrNumber	attnum = key_attnum(rel, entity);
	Form_pg_attribute attr;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" has no column for the key of %s %s",
						RelationGetRelationName(rel), server.provider->display_name,
						entity->name),
				 errhint("UPDATE and DELETE find rows by their key: add a column \"%s\".",
						 entity->key ? entity->key : "id")));

	/* the key identifies each row the scan finds */
	attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	add_row_identity_var(root,
						 makeVar(rtindex, attnum, attr->atttypid, attr->atttypmod,
								 attr->attcollation, 0),
						 rtindex, "crm_key");

	/* DELETE ... RETURNING returns the row as it was read */
	if (root->parse->commandType == CMD_DELETE && root->parse->returningList)
		add_row_identity_var(root,
							 makeWholeRowVar(target_rte, rtindex, 0, false),
							 rtindex, "crm_row");
}

/* Columns a statement writes: INSERT's column list, UPDATE's SET list. */
static List *
written_attrs(PlannerInfo *root, CmdType operation, Index resultRelation)
{
	List	   *attrs = NIL;

	if (operation == CMD_INSERT)
	{
		ListCell   *lc;

		foreach(lc, root->parse->targetList)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			if (!tle->resjunk)
				attrs = lappend_int(attrs, tle->resno);
		}
	}
	else if (operation == CMD_UPDATE)
	{
		RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
		Bitmapset  *cols = bms_union(rte->updatedCols, rte->extraUpdatedCols);
		int			col = -1;

		while ((col = bms_next_member(cols, col)) >= 0)
		{
			AttrNumber	attnum = col + FirstLowInvalidHeapAttributeNumber;

			if (attnum > 0)
				attrs = lappend_int(attrs, attnum);
		}
	}
	return attrs;
}

/* Refuses, while planning, a write the API would refuse or ignore. */
static void
check_written_column(Relation rel, const CrmEntity *entity,
					 const CrmProvider *provider, CmdType operation,
					 AttrNumber attnum, const char *field)
{
	char	   *first = pstrdup(field);
	char	   *dot = strchr(first, '.');
	const CrmColumn *column;
	const char *attname = NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname);

	if (dot)
		*dot = '\0';
	column = crm_find_column(entity, first);
	if (column && (column->flags & CRM_COL_READONLY))
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("column \"%s\" of foreign table \"%s\" is read-only",
						attname, RelationGetRelationName(rel)),
				 errdetail("%s sets %s %s itself.", provider->display_name,
						   entity->name, column->name),
				 operation == CMD_INSERT ?
				 errhint("Leave it out of the INSERT, and read it back with RETURNING.") :
				 errhint("Leave it out of the SET list.")));

	for (const char *p = field; *p; p++)
	{
		/* a path through an array cannot be written */
		if ((p == field || p[-1] == '.') && *p >= '0' && *p <= '9')
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" of foreign table \"%s\" reads an array element (field '%s') and cannot be written",
							attname, RelationGetRelationName(rel), field),
					 errhint("Write the whole array through a column for \"%s\".",
							 first)));
	}
}

List *
crm_plan_modify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
				int subplan_index)
{
	CmdType		operation = plan->operation;
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	CrmServerOptions server;
	ForeignServer *fserver;
	const CrmEntity *entity = written_entity(rel, &server, &fserver);
	List	   *attrs;
	List	   *returning_attrs = NIL;
	ListCell   *lc;

	check_entity_writable(rel, server.provider, entity, operation);

	attrs = written_attrs(root, operation, resultRelation);
	foreach(lc, attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);

		if (operation == CMD_UPDATE && attnum == key_attnum(rel, entity))
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("column \"%s\" of foreign table \"%s\" is the key and cannot be changed",
							NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname),
							RelationGetRelationName(rel))));
		check_written_column(rel, entity, server.provider, operation, attnum,
							 crm_column_field(rte->relid, attnum, entity));
	}

	if (plan->returningLists)
	{
		Bitmapset  *used = NULL;
		TupleDesc	desc = RelationGetDescr(rel);
		bool		whole_row;

		pull_varattnos((Node *) list_nth(plan->returningLists, subplan_index),
					   resultRelation, &used);
		whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, used);
		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped &&
				(whole_row ||
				 bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, used)))
				returning_attrs = lappend_int(returning_attrs, i + 1);
	}

	table_close(rel, NoLock);
	return list_make3(attrs, returning_attrs, makeString(pstrdup(entity->name)));
}

static void
remember_written(CrmModifyState *s, json_t *row, const char *key)
{
	json_t	   *id = row ? json_object_get(row, s->entity->key ? s->entity->key : "id") : NULL;
	const char *text = key;

	if (id && !json_is_null(id))
		text = crm_json_text(id);
	s->rows_written++;
	/* appending keeps the buffer in the state's own memory context */
	if (s->rows_written <= CRM_WRITTEN_IDS_SHOWN && text)
		appendStringInfo(&s->written_ids, "%s%s", s->written_ids.len ? ", " : "", text);
}

/* Every error during a write says what this statement already wrote. */
static void
write_error_context(void *arg)
{
	CrmModifyState *s = (CrmModifyState *) arg;
	const char *provider = s->target.provider->display_name;

	/* said here, so the abort need not say it again */
	s->reported = true;

	if (s->rows_written == 0)
		errcontext("%s of row " INT64_FORMAT " of foreign table \"%s\"; no row was written before it",
				   operation_name(s->operation), s->current_row,
				   RelationGetRelationName(s->rel));
	else
		errcontext("%s of row " INT64_FORMAT " of foreign table \"%s\"; " INT64_FORMAT
				   " row%s written before it stay%s written (%s %s%s), as %s has no transactions",
				   operation_name(s->operation), s->current_row,
				   RelationGetRelationName(s->rel), s->rows_written,
				   s->rows_written == 1 ? "" : "s", s->rows_written == 1 ? "s" : "",
				   s->entity->key ? s->entity->key : "id", s->written_ids.data,
				   s->rows_written > CRM_WRITTEN_IDS_SHOWN ? ", ..." : "",
				   provider);
}

/*
 * Rows that statements of the current transaction wrote and that no
 * message has mentioned yet: a ROLLBACK cannot undo them, and says so.
 */
static int64 xact_rows_written = 0;
static const char *xact_provider = NULL;

static void
writes_xact_callback(XactEvent event, void *arg)
{
	if ((event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) &&
		xact_rows_written > 0)
		ereport(WARNING,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg(INT64_FORMAT " row%s written to %s in the rolled back transaction stay%s written",
						xact_rows_written, xact_rows_written == 1 ? "" : "s",
						xact_provider, xact_rows_written == 1 ? "s" : ""),
				 errhint("%s has no transactions: a rollback does not undo them.",
						 xact_provider)));
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		xact_rows_written = 0;
}

/*
 * When a statement's memory goes without EndForeignModify having run, the
 * statement failed: in its scan, a trigger, RETURNING, anywhere.  Rows it
 * wrote stay written, and unless an error's context said so already, a
 * WARNING does.
 */
static void
statement_gone(void *arg)
{
	CrmModifyState *s = (CrmModifyState *) arg;

	if (s->ended || s->rows_written == 0 || s->reported)
		return;
	ereport(WARNING,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg(INT64_FORMAT " row%s written to %s by the failed statement stay%s written",
					s->rows_written, s->rows_written == 1 ? "" : "s",
					s->target.provider->display_name,
					s->rows_written == 1 ? "s" : ""),
			 errdetail("%s of foreign table \"%s\", %s %s%s.",
					   operation_name(s->operation), s->relname,
					   s->entity->key ? s->entity->key : "id", s->written_ids.data,
					   s->rows_written > CRM_WRITTEN_IDS_SHOWN ? ", ..." : ""),
			 errhint("%s has no transactions: a rollback does not undo them.",
					 s->target.provider->display_name)));
}

/* The state of writes to one foreign table, whichever way they come. */
static CrmModifyState *
modify_state(EState *estate, ResultRelInfo *rinfo, CmdType operation,
			 List *target_attrs, List *returning_attrs, bool explain_only)
{
	CrmModifyState *s = palloc0(sizeof(CrmModifyState));
	Relation	rel = rinfo->ri_RelationDesc;
	Index		rtindex = rinfo->ri_RangeTableIndex;
	ForeignServer *fserver;
	RangeTblEntry *rte;
	Oid			userid;
	ListCell   *lc;
	int			i;

	s->rel = rel;
	s->relname = pstrdup(RelationGetRelationName(rel));
	s->operation = operation;
	s->entity = relation_entity(RelationGetRelid(rel), &s->target.server, &fserver,
								false);
	crm_target_init(&s->target, fserver);
	s->target_attrs = target_attrs;
	initStringInfo(&s->written_ids);

	if (explain_only)
		return s;

	/* a partition that rows are routed to has no range table entry */
	if (rtindex == 0 && rinfo->ri_RootResultRelInfo)
		rtindex = rinfo->ri_RootResultRelInfo->ri_RangeTableIndex;
	rte = exec_rt_fetch(rtindex, estate);
	userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	crm_target_connect(&s->target, userid, estate);

	s->target_fields = palloc0(sizeof(char *) * Max(list_length(target_attrs), 1));
	i = 0;
	foreach(lc, target_attrs)
		s->target_fields[i++] = crm_column_field(RelationGetRelid(rel),
												 (AttrNumber) lfirst_int(lc),
												 s->entity);

	s->nreturning = list_length(returning_attrs);
	s->returning = palloc0(sizeof(CrmColumnConv) * Max(s->nreturning, 1));
	i = 0;
	foreach(lc, returning_attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);

		char	   *field = crm_column_field(RelationGetRelid(rel), attnum, s->entity);
		const CrmColumn *column = crm_find_column_by_field(s->entity, field);

		crm_conv_init(&s->returning[i++], rel, attnum, field,
					  column ? column->wire : CRM_FMT_AUTO,
					  s->target.server.time_zone);
	}

	s->row_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw write",
									   ALLOCSET_DEFAULT_SIZES);
	/* not on row_cxt: that one is reset for every row */
	s->gone.func = statement_gone;
	s->gone.arg = s;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, &s->gone);
	return s;
}

void
crm_begin_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
				 List *fdw_private, int subplan_index, int eflags)
{
	CrmModifyState *s = modify_state(mtstate->ps.state, rinfo, mtstate->operation,
									 (List *) linitial(fdw_private),
									 (List *) lsecond(fdw_private),
									 (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0);

	rinfo->ri_FdwState = s;
	if (s->operation != CMD_INSERT && !(eflags & EXEC_FLAG_EXPLAIN_ONLY))
	{
		Plan	   *subplan = outerPlanState(mtstate)->plan;
		AttrNumber	key = key_attnum(s->rel, s->entity);

		s->key_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, "crm_key");
		if (!AttributeNumberIsValid(s->key_junk))
			elog(ERROR, "could not find junk crm_key column");
		s->row_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, "crm_row");
		s->key_type = TupleDescAttr(RelationGetDescr(s->rel), key - 1)->atttypid;
	}
}

/*
 * COPY FROM, and rows routed to a foreign partition: no plan told which
 * columns are written, so every column is offered, NULLs are left out, and
 * a value for a column the API sets is refused row by row.
 */
void
crm_begin_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	TupleDesc	desc = RelationGetDescr(rinfo->ri_RelationDesc);
	List	   *attrs = NIL;
	List	   *returning_attrs = NIL;
	CrmModifyState *s;
	CrmServerOptions server;
	ForeignServer *fserver;
	const CrmEntity *entity = written_entity(rinfo->ri_RelationDesc, &server,
											 &fserver);

	check_entity_writable(rinfo->ri_RelationDesc, server.provider, entity,
						  CMD_INSERT);

	for (int i = 0; i < desc->natts; i++)
	{
		if (TupleDescAttr(desc, i)->attisdropped)
			continue;
		attrs = lappend_int(attrs, i + 1);
		if (rinfo->ri_returningList)
			returning_attrs = lappend_int(returning_attrs, i + 1);
	}
	s = modify_state(mtstate->ps.state, rinfo, CMD_INSERT, attrs, returning_attrs,
					 false);
	s->check_each_row = true;
	rinfo->ri_FdwState = s;
}

/* Sets body[path] = value, creating the objects a dotted path runs through. */
static void
set_path(json_t *body, const char *path, json_t *value)
{
	char	   *copy = pstrdup(path);
	char	   *dot;
	json_t	   *object = body;

	while ((dot = strchr(copy, '.')) != NULL)
	{
		json_t	   *next;

		*dot = '\0';
		next = json_object_get(object, copy);
		if (!json_is_object(next))
		{
			next = crm_json_object();
			json_object_set_new(object, copy, next);
		}
		object = next;
		copy = dot + 1;
	}
	json_object_set_new(object, copy, value);
}

static json_t *
build_body(CrmModifyState *s, TupleTableSlot *slot)
{
	json_t	   *body = crm_json_object();
	TupleDesc	desc = RelationGetDescr(s->rel);
	ListCell   *lc;
	int			i = 0;

	foreach(lc, s->target_attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		Form_pg_attribute attr = TupleDescAttr(desc, attnum - 1);
		bool		isnull;
		Datum		value = slot_getattr(slot, attnum, &isnull);

		/* a new row without a value is a row without that field */
		if (!(isnull && s->operation == CMD_INSERT))
		{
			const CrmColumn *column = crm_find_column_by_field(s->entity,
															   s->target_fields[i]);

			/* the field is known already: no catalog lookup per row */
			if (s->check_each_row)
				check_written_column(s->rel, s->entity, s->target.provider,
									 s->operation, attnum, s->target_fields[i]);

			set_path(body, s->target_fields[i],
					 crm_datum_to_json(value, attr->atttypid, isnull,
									   NameStr(attr->attname),
									   column ? column->wire : CRM_FMT_AUTO,
									   s->target.server.time_zone));
		}
		i++;
	}
	return body;
}

static char *
row_key(CrmModifyState *s, TupleTableSlot *planSlot)
{
	bool		isnull;
	Datum		value = ExecGetJunkAttribute(planSlot, s->key_junk, &isnull);
	Oid			output;
	bool		varlena;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_USE_OF_NULL_POINTER),
				 errmsg("a row of foreign table \"%s\" has no %s",
						RelationGetRelationName(s->rel), s->entity->key),
				 errhint("UPDATE and DELETE find each row by its key.")));
	getTypeOutputInfo(s->key_type, &output, &varlena);
	return OidOutputFunctionCall(output, value);
}

/* RETURNING: the row as the API answered it. */
static void
store_answer(CrmModifyState *s, json_t *row, TupleTableSlot *slot)
{
	CrmRow		answer_row;

	crm_row_of(&answer_row, row);
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	for (int i = 0; i < s->nreturning; i++)
	{
		CrmColumnConv *conv = &s->returning[i];
		int			att = conv->attnum - 1;

		slot->tts_values[att] =
			crm_json_to_datum(conv, crm_json_lookup(&answer_row, conv),
							  &slot->tts_isnull[att]);
	}
	ExecStoreVirtualTuple(slot);
}

/* DELETE ... RETURNING: the row as the scan read it just before. */
static void
store_read_row(CrmModifyState *s, TupleTableSlot *planSlot, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		row = ExecGetJunkAttribute(planSlot, s->row_junk, &isnull);
	HeapTupleHeader header;
	HeapTuple	tuple;

	ExecClearTuple(slot);
	if (isnull)
		return;
	header = DatumGetHeapTupleHeader(row);
	/* the slot keeps this pointer until RETURNING is done: not on the stack */
	tuple = (HeapTuple) palloc(sizeof(HeapTupleData));
	tuple->t_len = HeapTupleHeaderGetDatumLength(header);
	ItemPointerSetInvalid(&tuple->t_self);
	tuple->t_tableOid = RelationGetRelid(s->rel);
	tuple->t_data = header;
	ExecForceStoreHeapTuple(tuple, slot, false);
}

/* One write: spelled by the provider, sent, its answer unwrapped. */
static TupleTableSlot *
write_row(CrmModifyState *s, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	ErrorContextCallback errcallback;
	CrmRequest	request;
	CrmAnswer	answer;
	CrmCall		item;
	MemoryContext old;
	json_t	   *row = NULL;
	const char *error = NULL;
	char	   *key = NULL;
	int64		retries_before;

	MemoryContextReset(s->row_cxt);
	old = MemoryContextSwitchTo(s->row_cxt);
	s->current_row++;
	errcallback.callback = write_error_context;
	errcallback.arg = s;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	memset(&item, 0, sizeof(item));
	if (s->operation != CMD_INSERT)
		item.item_key = key = row_key(s, planSlot);
	crm_request_init(&request, NULL);
	s->target.provider->build_write(s->entity, s->operation,
									s->operation == CMD_INSERT ? NULL : &item,
									s->operation == CMD_DELETE ? NULL :
									build_body(s, slot),
									&request);
	/* a POST may not be resent: its server may have acted on it */
	request.idempotent = strcmp(request.method, "POST") != 0;
	request.is_item = s->operation != CMD_INSERT;
	retries_before = s->counters.retries;
	crm_send(&s->target, s->entity, &request, &s->counters, &answer);
	/* what this statement, or one around it, read before may have changed */
	crm_statement_caches_clear();

	if (answer.kind == CRM_ANSWER_NO_ROWS)
	{
		/*
		 * 404: the item is gone.  After a retried DELETE, our first attempt
		 * deleted it and its answer was lost: done.  Otherwise it vanished
		 * between reading and writing, and, as for a row deleted by a
		 * concurrent transaction, there is nothing to change.
		 */
		bool		deleted_by_us = s->operation == CMD_DELETE &&
			s->counters.retries > retries_before;

		if (deleted_by_us)
		{
			remember_written(s, NULL, key);
			if (s->row_junk)
				store_read_row(s, planSlot, slot);
		}
		error_context_stack = errcallback.previous;
		MemoryContextSwitchTo(old);
		return deleted_by_us ? slot : NULL;
	}

	row = s->target.provider->extract_written(s->entity, s->operation, answer.json,
											  &error);
	if (row == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("%s %s failed", s->target.provider->display_name,
						operation_name(s->operation)),
				 errdetail("%s", crm_utf8_for_message(crm_http_redact(s->target.conn->http,
																	  error))),
				 errhint("Check the values written against what %s accepts for %s.",
						 s->target.provider->display_name, s->entity->name)));
	remember_written(s, row, key);

	if (s->operation == CMD_DELETE)
	{
		if (s->row_junk)
			store_read_row(s, planSlot, slot);
	}
	else if (s->nreturning > 0)
		store_answer(s, row, slot);

	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(old);
	return slot;
}

TupleTableSlot *
crm_exec_insert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				TupleTableSlot *planSlot)
{
	return write_row((CrmModifyState *) rinfo->ri_FdwState, slot, planSlot);
}

TupleTableSlot *
crm_exec_update(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				TupleTableSlot *planSlot)
{
	return write_row((CrmModifyState *) rinfo->ri_FdwState, slot, planSlot);
}

TupleTableSlot *
crm_exec_delete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				TupleTableSlot *planSlot)
{
	return write_row((CrmModifyState *) rinfo->ri_FdwState, slot, planSlot);
}

void
crm_end_modify(EState *estate, ResultRelInfo *rinfo)
{
	CrmModifyState *s = (CrmModifyState *) rinfo->ri_FdwState;

	static bool registered = false;

	/* memory goes with the query; the connection stays cached */
	if (s == NULL)
		return;
	s->ended = true;
	if (s->rows_written > 0)
	{
		if (!registered)
		{
			RegisterXactCallback(writes_xact_callback, NULL);
			registered = true;
		}
		xact_rows_written += s->rows_written;
		xact_provider = s->target.provider->display_name;
	}
}

void
crm_explain_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
				   List *fdw_private, int subplan_index, ExplainState *es)
{
	CrmModifyState *s = (CrmModifyState *) rinfo->ri_FdwState;

	if (es->verbose)
	{
		CrmRequest	request;
		CrmCall		item;
		json_t	   *body = crm_json_object();
		ListCell   *lc;

		/* the request, with the row's key and values to come */
		memset(&item, 0, sizeof(item));
		item.item_key = psprintf("{%s}", s->entity->key ? s->entity->key : "key");
		item.item_key_placeholder = true;
		crm_request_init(&request, NULL);
		foreach(lc, s->target_attrs)
		{
			AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
			char	   *field = crm_column_field(RelationGetRelid(s->rel), attnum,
												 s->entity);

			set_path(body, field, json_string("..."));
		}
		s->target.provider->build_write(s->entity, s->operation,
										s->operation == CMD_INSERT ? NULL : &item,
										s->operation == CMD_DELETE ? NULL : body,
										&request);
		ExplainPropertyText("CRM Write", psprintf("%s %s", request.method,
												  request.path.data), es);
		if (request.body)
		{
			const char *key;
			json_t	   *value;
			StringInfoData fields;

			initStringInfo(&fields);
			json_object_foreach(request.body, key, value)
				appendStringInfo(&fields, "%s%s", fields.len ? ", " : "", key);
			ExplainPropertyText("CRM Fields", fields.data, es);
		}
	}
	if (es->analyze)
		crm_explain_counters(es, &s->counters, s->rows_written);
}
