/*-------------------------------------------------------------------------
 *
 * modify.c
 *		INSERT, UPDATE and DELETE on foreign tables, row by row or in
 *		batches: what may be written (checked while planning), the entity's
 *		key as row identity, the rows kept for batches, and RETURNING from
 *		the API's answer.
 *
 * A CRM has no transactions: each row, or batch, is written when it is
 * complete, and stays written if a later one fails; write.c judges every
 * outcome and says what was written.  Rows are kept for a batch only when
 * nothing needs each row's answer as it is written.
 *
 * Never decides what a request looks like: the entity's routes and the
 * provider do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "lib/ilist.h"
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
#include "request.h"
#include "rowset.h"
#include "write.h"

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
const CrmEntity *
crm_modify_entity(Oid relid, CrmServerOptions *server, ForeignServer **fserver,
				bool missing_ok)
{
	ForeignTable *table = GetForeignTable(relid);
	CrmTableOptions table_options;

	*fserver = GetForeignServer(table->serverid);
	crm_server_options(*fserver, server);
	crm_table_options(table, server, missing_ok, &table_options);
	return table_options.entity;
}

/* As crm_modify_entity(), for a write: every column must name a field. */
const CrmEntity *
crm_written_entity(Relation rel, CrmServerOptions *server, ForeignServer **fserver)
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
void
crm_check_entity_writable(Relation rel, const CrmProvider *provider,
					  const CrmEntity *entity, CmdType operation)
{
	StringInfoData writable;

	if (crm_entity_writes(entity) & operation_bit(operation))
		return;
	initStringInfo(&writable);
	for (const CrmEntity *e = provider->entities; e->name; e++)
		if (crm_entity_writes(e) & operation_bit(operation))
			appendStringInfo(&writable, "%s%s", writable.len ? ", " : "", e->name);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 operation == CMD_INSERT ?
			 errmsg("cannot insert into foreign table \"%s\"", RelationGetRelationName(rel)) :
			 operation == CMD_UPDATE ?
			 errmsg("cannot update foreign table \"%s\"", RelationGetRelationName(rel)) :
			 errmsg("cannot delete from foreign table \"%s\"", RelationGetRelationName(rel)),
			 operation == CMD_DELETE && entity->no_delete_hint ?
			 errdetail("%s", entity->no_delete_hint) :
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

AttrNumber
crm_modify_key_attnum(Relation rel, const CrmEntity *entity)
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
	const CrmEntity *entity = crm_modify_entity(RelationGetRelid(rel), &server,
											  &fserver, true);
	int			events = 0;

	if (entity == NULL)
		return 0;
	if (crm_entity_writes(entity) & CRM_WRITE_INSERT)
		events |= (1 << CMD_INSERT);
	if (crm_modify_key_attnum(rel, entity) != InvalidAttrNumber)
	{
		if (crm_entity_writes(entity) & CRM_WRITE_UPDATE)
			events |= (1 << CMD_UPDATE);
		if (crm_entity_writes(entity) & CRM_WRITE_DELETE)
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
	const CrmEntity *entity = crm_modify_entity(RelationGetRelid(rel), &server,
											  &fserver, false);
	AttrNumber	attnum = crm_modify_key_attnum(rel, entity);
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
List *
crm_written_attrs(PlannerInfo *root, CmdType operation, Index resultRelation)
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
void
crm_check_written_column(Relation rel, const CrmEntity *entity,
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

	/* a column the provider writes under a name of its own is writable */
	column = crm_find_column_by_field(entity, field);
	if (column && column->write_param)
		return;
	if (field[0] == '^' || strchr(field, '*'))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column \"%s\" of foreign table \"%s\" reads a value around or across items (field '%s') and cannot be written",
						attname, RelationGetRelationName(rel), field),
				 errhint("Write the item it reads through its own table.")));
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

/* The columns RETURNING reads. */
List *
crm_returning_attrs(ModifyTable *plan, int subplan_index, Index resultRelation,
					Relation rel)
{
	List	   *attrs = NIL;
	Bitmapset  *used = NULL;
	TupleDesc	desc = RelationGetDescr(rel);
	bool		whole_row;

	if (plan->returningLists == NIL)
		return NIL;
	pull_varattnos((Node *) list_nth(plan->returningLists, subplan_index),
				   resultRelation, &used);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, used);
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			(whole_row ||
			 bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, used)))
			attrs = lappend_int(attrs, i + 1);
	return attrs;
}

/* The columns a statement writes: none the key, each one the API takes. */
void
crm_check_written_columns(Relation rel, const CrmEntity *entity,
						  const CrmProvider *provider, CmdType operation,
						  List *attrs)
{
	ListCell   *lc;

	foreach(lc, attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);

		if (operation == CMD_UPDATE && attnum == crm_modify_key_attnum(rel, entity))
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("column \"%s\" of foreign table \"%s\" is the key and cannot be changed",
							NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname),
							RelationGetRelationName(rel))));
		crm_check_written_column(rel, entity, provider, operation, attnum,
								 crm_column_field(RelationGetRelid(rel), attnum, entity));
	}
}

/*
 * Every column written needs a route that takes it (SalesMan changes a
 * deal's stage through another call than its other fields); a route that
 * must be sent fields of the row as it is needs those columns in the table.  True
 * if a route does: the rows must then be read before they are written.
 */
bool
crm_check_routes(Relation rel, const CrmEntity *entity, const CrmProvider *provider,
				 CmdType operation, Oid relid, List *attrs)
{
	List	   *fields = NIL;
	bool		needs_row = false;
	ListCell   *lc;

	foreach(lc, attrs)
		fields = lappend(fields,
						 (char *) crm_written_name(entity,
												   crm_column_field(relid,
																	(AttrNumber) lfirst_int(lc),
																	entity)));
	foreach(lc, crm_route_parts(entity, operation, fields))
	{
		CrmRoutePart *part = (CrmRoutePart *) lfirst(lc);

		if (part->route == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s's API cannot change field \"%s\" of %s",
							provider->display_name, (char *) linitial(part->fields),
							entity->name),
					 errhint("Leave the column out of the SET list.")));
		for (const char *const *c = part->route->carry; c && *c; c++)
		{
			if (crm_carry_attnum(rel, entity, *c) == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("foreign table \"%s\" needs a column for field \"%s\" to be updated",
								RelationGetRelationName(rel), *c),
						 errdetail("%s's %s %s replaces fields it is not sent, so crm_fdw sends \"%s\" as the row has it.",
								   provider->display_name, part->route->method,
								   part->route->path, *c),
						 errhint("Add the column, or IMPORT FOREIGN SCHEMA the table again.")));
			needs_row = true;
		}
	}
	return needs_row;
}

/* The table's column written as this field, if it has one. */
AttrNumber
crm_carry_attnum(Relation rel, const CrmEntity *entity, const char *written)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (attr->attisdropped)
			continue;
		if (strcmp(crm_written_name(entity,
									crm_column_field(RelationGetRelid(rel),
													 attr->attnum, entity)),
				   written) == 0)
			return attr->attnum;
	}
	return InvalidAttrNumber;
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
	const CrmEntity *entity = crm_written_entity(rel, &server, &fserver);
	List	   *attrs;
	List	   *returning_attrs = NIL;

	crm_check_entity_writable(rel, server.provider, entity, operation);

	attrs = crm_written_attrs(root, operation, resultRelation);
	crm_check_written_columns(rel, entity, server.provider, operation, attrs);
	crm_check_routes(rel, entity, server.provider, operation, rte->relid, attrs);

	returning_attrs = crm_returning_attrs(plan, subplan_index, resultRelation, rel);
	table_close(rel, NoLock);
	return list_make3(attrs, returning_attrs, makeString(pstrdup(entity->name)));
}

/* ---- execution ---- */

/* The state of writes to one foreign table, whichever way they come. */
typedef struct CrmModifyState
{
	CrmWriter	writer;
	Relation	rel;
	List	   *target_attrs;	/* attnums of the columns written */
	char	  **target_fields;	/* their JSON paths, parallel */
	CrmColumnConv *returning;	/* RETURNING columns, from the answer */
	int			nreturning;
	AttrNumber	key_junk;		/* "crm_key" in the subplan's output */
	AttrNumber	row_junk;		/* "crm_row": DELETE's row, for RETURNING */
	Oid			key_type;
	bool		check_each_row; /* no plan checked the columns: refuse
								 * values for read-only ones row by row */
	List	   *parts;			/* CrmRoutePart: which route writes what */
	int			batch_size;		/* > 1: rows are kept and written in batches */
	CrmWriteRow *pending;		/* rows kept for the next batch */
	int			npending;
	EState	   *estate;
	List	   *carry_attrs;	/* columns routes are sent as the row has them */
	List	   *carry_fields;	/* ... and the fields they are sent as */
	bool		counts_rows;	/* UPDATE/DELETE's command tag counts ours */
	dlist_node	kept_node;		/* in kept_writers while rows may be kept */
	int64		current_row;
	MemoryContext row_cxt;		/* one row's conversion and request */
	MemoryContext batch_cxt;	/* the rows kept for a batch */
	MemoryContext flush_cxt;	/* a batch's requests and answers */
} CrmModifyState;

/* The fields of a route part's columns, as a list of field names. */
static List *
target_field_list(CrmModifyState *s)
{
	List	   *fields = NIL;

	for (int i = 0; i < list_length(s->target_attrs); i++)
		fields = lappend(fields, s->target_fields[i]);
	return fields;
}

/*
 * Writers that keep rows for batches, so that the end of ExecutorRun can
 * write the last batch: the command tag ("UPDATE 109") is taken from
 * es_processed right after ExecutorRun, before EndForeignModify runs, and
 * an UPDATE's or DELETE's kept rows are counted only once written.
 */
static dlist_head kept_writers = DLIST_STATIC_INIT(kept_writers);
static ExecutorRun_hook_type prev_executor_run = NULL;

static void flush_pending(CrmModifyState *s);

static void
forget_kept_writer(void *arg)
{
	dlist_delete(&((CrmModifyState *) arg)->kept_node);
}

static void
executor_run(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
			 bool execute_once)
{
	dlist_mutable_iter iter;

	if (prev_executor_run)
		prev_executor_run(queryDesc, direction, count, execute_once);
	else
		standard_ExecutorRun(queryDesc, direction, count, execute_once);

	dlist_foreach_modify(iter, &kept_writers)
	{
		CrmModifyState *s = dlist_container(CrmModifyState, kept_node, iter.cur);

		if (s->estate == queryDesc->estate)
			flush_pending(s);
	}
}

void
crm_modify_init(void)
{
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = executor_run;
}

/*
 * The state of writes to one foreign table.  Rows are kept for batches
 * when a batch can be sent at all (every route takes arrays) and nothing
 * needs each row's answer as it is written: no RETURNING, no AFTER ROW
 * trigger, no WITH CHECK OPTION.
 */
static CrmModifyState *
modify_state(EState *estate, ResultRelInfo *rinfo, CmdType operation,
			 List *target_attrs, List *returning_attrs, bool may_keep,
			 bool explain_only)
{
	CrmModifyState *s = palloc0(sizeof(CrmModifyState));
	Relation	rel = rinfo->ri_RelationDesc;
	Index		rtindex = rinfo->ri_RangeTableIndex;
	ForeignServer *fserver;
	CrmServerOptions server;
	CrmTableOptions table_options;
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	const CrmEntity *entity;
	RangeTblEntry *rte;
	Oid			userid;
	TriggerDesc *trig = rinfo->ri_TrigDesc;
	bool		row_triggers;
	ListCell   *lc;
	int			i;

	fserver = GetForeignServer(table->serverid);
	crm_server_options(fserver, &server);
	crm_table_options(table, &server, false, &table_options);
	entity = table_options.entity;

	s->rel = rel;
	s->estate = estate;
	s->target_attrs = target_attrs;
	crm_writer_init(&s->writer, fserver, entity, operation,
					RelationGetRelationName(rel));
	s->target_fields = palloc0(sizeof(char *) * Max(list_length(target_attrs), 1));
	i = 0;
	foreach(lc, target_attrs)
	{
		char	   *field = crm_column_field(RelationGetRelid(rel),
											 (AttrNumber) lfirst_int(lc), entity);

		s->target_fields[i++] = (char *) crm_written_name(entity, field);
	}
	s->parts = crm_route_parts(entity, operation, target_field_list(s));

	row_triggers = trig &&
		((operation == CMD_INSERT && trig->trig_insert_after_row) ||
		 (operation == CMD_UPDATE && trig->trig_update_after_row) ||
		 (operation == CMD_DELETE && trig->trig_delete_after_row));
	s->batch_size = may_keep && returning_attrs == NIL && !row_triggers &&
		rinfo->ri_WithCheckOptions == NIL ? INT_MAX : 1;
	foreach(lc, s->parts)
	{
		const CrmWriteRoute *route = ((CrmRoutePart *) lfirst(lc))->route;

		s->batch_size = Min(s->batch_size,
							crm_write_batch_size(crm_batch_route(entity, route),
												 table_options.batch_size));
		/* fields the route is sent as the row has them */
		for (const char *const *c = route ? route->carry : NULL; c && *c; c++)
		{
			AttrNumber	attnum = crm_carry_attnum(rel, entity, *c);

			if (attnum != InvalidAttrNumber)
			{
				s->carry_attrs = lappend_int(s->carry_attrs, attnum);
				s->carry_fields = lappend(s->carry_fields, (char *) *c);
			}
		}
	}

	if (explain_only)
		return s;

	/* a partition that rows are routed to has no range table entry */
	if (rtindex == 0 && rinfo->ri_RootResultRelInfo)
		rtindex = rinfo->ri_RootResultRelInfo->ri_RangeTableIndex;
	rte = exec_rt_fetch(rtindex, estate);
	userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	crm_target_connect(&s->writer.target, userid, estate);

	s->nreturning = list_length(returning_attrs);
	s->returning = palloc0(sizeof(CrmColumnConv) * Max(s->nreturning, 1));
	i = 0;
	foreach(lc, returning_attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		char	   *field = crm_column_field(RelationGetRelid(rel), attnum, entity);
		const CrmColumn *column = crm_find_column_by_field(entity, field);

		crm_conv_init(&s->returning[i++], rel, attnum, field,
					  column ? column->wire : CRM_FMT_AUTO,
					  s->writer.target.server.time_zone);
	}

	if (s->batch_size > 1)
	{
		MemoryContextCallback *forget;

		s->pending = MemoryContextAllocZero(estate->es_query_cxt,
											sizeof(CrmWriteRow) * s->batch_size);
		/* until the query's memory goes, at its end or on an error */
		dlist_push_tail(&kept_writers, &s->kept_node);
		forget = MemoryContextAlloc(estate->es_query_cxt, sizeof(MemoryContextCallback));
		forget->func = forget_kept_writer;
		forget->arg = s;
		MemoryContextRegisterResetCallback(estate->es_query_cxt, forget);
	}
	s->row_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw write",
									   ALLOCSET_DEFAULT_SIZES);
	s->batch_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw batch",
										 ALLOCSET_DEFAULT_SIZES);
	s->flush_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw batch writes",
										 ALLOCSET_DEFAULT_SIZES);
	crm_writer_watch(&s->writer, estate->es_query_cxt);
	return s;
}

void
crm_begin_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
				 List *fdw_private, int subplan_index, int eflags)
{
	/*
	 * A write in a WITH query runs after ExecutorRun is over (in
	 * ExecutorFinish), where no batch kept would be written before the
	 * statement's AFTER triggers: each row goes as it comes there.
	 */
	CrmModifyState *s = modify_state(mtstate->ps.state, rinfo, mtstate->operation,
									 (List *) linitial(fdw_private),
									 (List *) lsecond(fdw_private),
									 mtstate->canSetTag,
									 (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0);

	rinfo->ri_FdwState = s;
	s->counts_rows = mtstate->canSetTag;
	if (s->writer.operation != CMD_INSERT && !(eflags & EXEC_FLAG_EXPLAIN_ONLY))
	{
		Plan	   *subplan = outerPlanState(mtstate)->plan;
		AttrNumber	key = crm_modify_key_attnum(s->rel, s->writer.entity);

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
	const CrmEntity *entity = crm_written_entity(rinfo->ri_RelationDesc, &server,
												 &fserver);

	crm_check_entity_writable(rinfo->ri_RelationDesc, server.provider, entity,
							  CMD_INSERT);

	for (int i = 0; i < desc->natts; i++)
	{
		if (TupleDescAttr(desc, i)->attisdropped)
			continue;
		attrs = lappend_int(attrs, i + 1);
		if (rinfo->ri_returningList)
			returning_attrs = lappend_int(returning_attrs, i + 1);
	}
	/* COPY's ModifyTableState has no plan, and no WITH around it */
	s = modify_state(mtstate->ps.state, rinfo, CMD_INSERT, attrs, returning_attrs,
					 mtstate->ps.plan == NULL || mtstate->canSetTag, false);
	s->check_each_row = true;
	rinfo->ri_FdwState = s;
}

/* The written columns' values as JSON, at their fields' paths. */
static json_t *
row_values(CrmModifyState *s, TupleTableSlot *slot)
{
	json_t	   *values = crm_json_object();
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
		if (!(isnull && s->writer.operation == CMD_INSERT))
		{
			/* the field is known already: no catalog lookup per row */
			if (s->check_each_row)
				crm_check_written_column(s->rel, s->writer.entity,
										 s->writer.target.provider,
										 s->writer.operation, attnum,
										 crm_column_field(RelationGetRelid(s->rel),
														  attnum, s->writer.entity));
			crm_written_value(&s->writer, values, s->target_fields[i], value,
							  attr->atttypid, isnull, NameStr(attr->attname));
		}
		i++;
	}
	return values;
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
						RelationGetRelationName(s->rel), s->writer.entity->key),
				 errhint("UPDATE and DELETE find each row by its key.")));
	getTypeOutputInfo(s->key_type, &output, &varlena);
	return OidOutputFunctionCall(output, value);
}

static void
store_returning(CrmModifyState *s, json_t *row, TupleTableSlot *slot)
{
	CrmRow		as_row;

	crm_row_of(&as_row, row);
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	for (int i = 0; i < s->nreturning; i++)
	{
		CrmColumnConv *conv = &s->returning[i];
		int			att = conv->attnum - 1;

		slot->tts_values[att] =
			crm_json_to_datum(conv, crm_json_lookup(&as_row, conv),
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

/* Writes the rows kept for a batch. */
static void
flush_pending(CrmModifyState *s)
{
	MemoryContext old;

	if (s->npending == 0)
		return;
	/* the requests and answers of one batch go with it */
	old = MemoryContextSwitchTo(s->flush_cxt);
	crm_writer_push_context(&s->writer);
	crm_write_parts(&s->writer, s->parts, s->pending, s->npending, s->batch_size);
	crm_writer_pop_context(&s->writer);
	MemoryContextSwitchTo(old);

	/*
	 * An UPDATE's or DELETE's kept rows were not counted when handed over
	 * (see write_row): the command tag counts the ones written, as it would
	 * without batches, and not those found gone.
	 */
	if (s->writer.operation != CMD_INSERT && s->counts_rows)
		for (int i = 0; i < s->npending; i++)
			if (s->pending[i].outcome == CRM_ROW_WRITTEN)
				s->estate->es_processed++;
	s->npending = 0;
	MemoryContextReset(s->flush_cxt);
	MemoryContextReset(s->batch_cxt);
}

/*
 * The row's fields that a route is sent along: an UPDATE's new tuple holds
 * the row as read, with the SET columns changed.
 */
static json_t *
carried_values(CrmModifyState *s, TupleTableSlot *slot)
{
	json_t	   *current = crm_json_object();
	TupleDesc	desc = RelationGetDescr(s->rel);
	ListCell   *lc;
	ListCell   *lc2;

	forboth(lc, s->carry_attrs, lc2, s->carry_fields)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		Form_pg_attribute attr = TupleDescAttr(desc, attnum - 1);
		bool		isnull;
		Datum		value = slot_getattr(slot, attnum, &isnull);

		crm_written_value(&s->writer, current, (const char *) lfirst(lc2), value,
						  attr->atttypid, isnull, NameStr(attr->attname));
	}
	return current;
}

/*
 * One row handed over by the executor: written now (and RETURNING made),
 * or kept for the next batch.
 */
static TupleTableSlot *
write_row(CrmModifyState *s, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	CrmWriteRow row;
	MemoryContext old;
	bool		keep = s->batch_size > 1;

	MemoryContextReset(s->row_cxt);
	old = MemoryContextSwitchTo(keep ? s->batch_cxt : s->row_cxt);
	memset(&row, 0, sizeof(row));
	row.number = ++s->current_row;
	s->writer.current = &row;
	s->writer.ncurrent = 1;
	crm_writer_push_context(&s->writer);

	if (s->writer.operation != CMD_INSERT)
		row.key = row_key(s, planSlot);
	if (s->writer.operation != CMD_DELETE)
		row.values = row_values(s, slot);
	if (s->carry_attrs)
		row.current = carried_values(s, slot);

	if (keep)
	{
		s->pending[s->npending++] = row;
		crm_writer_pop_context(&s->writer);
		MemoryContextSwitchTo(old);
		if (s->npending >= s->batch_size)
			flush_pending(s);

		/*
		 * An INSERT's row is written or the statement fails, so the
		 * executor may count it now (COPY counts it regardless).  An UPDATE
		 * or DELETE row may turn out gone: it is counted when its batch is
		 * written, and nothing waits for it here (no RETURNING, no row
		 * trigger: nothing would be kept otherwise).
		 */
		return s->writer.operation == CMD_INSERT ? slot : NULL;
	}

	crm_write_parts(&s->writer, s->parts, &row, 1, s->batch_size);
	crm_writer_pop_context(&s->writer);

	if (row.outcome == CRM_ROW_VANISHED)
	{
		MemoryContextSwitchTo(old);
		return NULL;
	}
	if (s->writer.operation == CMD_DELETE)
	{
		if (s->row_junk)
			store_read_row(s, planSlot, slot);
	}
	else if (s->nreturning > 0)
	{
		crm_complete_returning(&s->writer, s->parts, &row, 1, s->returning,
							   s->nreturning);
		store_returning(s, row.answer, slot);
	}
	MemoryContextSwitchTo(old);
	return slot;
}

TupleTableSlot *
crm_exec_insert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
				TupleTableSlot *planSlot)
{
	return write_row((CrmModifyState *) rinfo->ri_FdwState, slot, planSlot);
}

/*
 * PostgreSQL's own batches (INSERT without RETURNING, row triggers or
 * check options): the rows go out in the route's arrays.
 */
TupleTableSlot **
crm_exec_batch_insert(EState *estate, ResultRelInfo *rinfo,
					  TupleTableSlot **slots, TupleTableSlot **planSlots,
					  int *numSlots)
{
	CrmModifyState *s = (CrmModifyState *) rinfo->ri_FdwState;

	for (int i = 0; i < *numSlots; i++)
		(void) write_row(s, slots[i], planSlots ? planSlots[i] : NULL);
	flush_pending(s);
	return slots;
}

int
crm_modify_batch_size(ResultRelInfo *rinfo)
{
	CrmModifyState *s = (CrmModifyState *) rinfo->ri_FdwState;

	/* EXPLAIN, and what PostgreSQL already ruled out, take no batches */
	if (s == NULL || rinfo->ri_projectReturning != NULL)
		return 1;
	return Max(s->batch_size, 1);
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

	/* memory goes with the query; the connection stays cached */
	if (s == NULL || s->row_cxt == NULL)
		return;
	flush_pending(s);
	crm_writer_finish(&s->writer);
}

/* "CRM Write" and "CRM Fields" lines for each route a write takes. */
void
crm_explain_routes(List *parts, const CrmEntity *entity, int batch_size,
				   ExplainState *es)
{
	ListCell   *lc;

	foreach(lc, parts)
	{
		CrmRoutePart *part = (CrmRoutePart *) lfirst(lc);

		const CrmWriteRoute *route = batch_size > 1 ?
			crm_batch_route(entity, part->route) : part->route;

		ExplainPropertyText("CRM Write",
							crm_write_route_text(route, entity,
												 route->batch_size > 0 ?
												 batch_size : 1),
							es);
		if (part->fields)
		{
			StringInfoData fields;
			ListCell   *lc2;

			initStringInfo(&fields);
			foreach(lc2, part->fields)
				appendStringInfo(&fields, "%s%s", fields.len ? ", " : "",
								 (char *) lfirst(lc2));
			ExplainPropertyText("CRM Fields", fields.data, es);
		}
	}
}

void
crm_explain_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
				   List *fdw_private, int subplan_index, ExplainState *es)
{
	CrmModifyState *s = (CrmModifyState *) rinfo->ri_FdwState;

	if (es->verbose)
		crm_explain_routes(s->parts, s->writer.entity, s->batch_size, es);
	if (es->analyze)
		crm_explain_counters(es, &s->writer.counters, s->writer.rows_written);
}
