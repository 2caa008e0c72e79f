/*-------------------------------------------------------------------------
 *
 * direct_modify.c
 *		UPDATE and DELETE by key without reading first: "UPDATE deals SET
 *		stage_id = 3 WHERE id = 42" is one PATCH, and "WHERE id IN (...)"
 *		one write per key, or per batch where the API takes arrays.
 *
 * Under direct modification PostgreSQL evaluates no condition of its own,
 * so crm_fdw takes it only where it can guarantee the whole WHERE clause
 * itself: every condition is "key = value" or "key IN (...)", the SET list
 * reads no column of the row, and no row trigger, check option or DELETE
 * ... RETURNING (which wants the row as it was) needs the rows read.  An
 * item that is not there is simply not counted, as for any UPDATE.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/table.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "calls.h"
#include "direct_modify.h"
#include "json_datum.h"
#include "modify.h"
#include "pushdown.h"
#include "rowset.h"
#include "write.h"

typedef struct CrmDirectState
{
	CrmWriter	writer;
	Relation	rel;
	CrmScanSpec spec;
	List	   *value_states;	/* ExprState per fdw_exprs entry */
	List	   *target_attrs;	/* UPDATE: the columns set */
	List	   *set_indexes;	/* their values' places in fdw_exprs */
	char	  **target_fields;
	List	   *parts;
	int			batch_size;
	CrmColumnConv *returning;
	int			nreturning;

	bool		done;			/* the writes were made */
	CrmWriteRow *rows;
	int			nrows;
	int			next;			/* the next RETURNING row */
} CrmDirectState;

/* Whether the scan's every condition is on the key, = or IN. */
static bool
all_key_conditions(ForeignScan *fscan, CrmScanSpec *spec)
{
	ListCell   *lc;

	if (spec->conditions == NIL ||
		list_length(spec->conditions) != list_length(fscan->scan.plan.qual))
		return false;
	foreach(lc, spec->conditions)
	{
		CrmCondition *cond = (CrmCondition *) lfirst(lc);

		if (cond->filter != CRM_KEY_FILTER ||
			(cond->op != CRM_OP_EQ && cond->op != CRM_OP_IN))
			return false;
	}
	return true;
}

bool
crm_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
					   Index resultRelation, int subplan_index)
{
	CmdType		operation = plan->operation;
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Plan	   *subplan = outerPlan(plan);
	ForeignScan *fscan;
	CrmScanSpec spec;
	Relation	rel;
	CrmServerOptions server;
	ForeignServer *fserver;
	const CrmEntity *entity;
	TriggerDesc *trig;
	List	   *attrs = NIL;
	List	   *set_indexes = NIL;
	List	   *fdw_exprs;
	bool		ok = true;

	if (operation != CMD_UPDATE && operation != CMD_DELETE)
		return false;
	/* DELETE ... RETURNING gives the row as it was: it must be read */
	if (operation == CMD_DELETE && plan->returningLists != NIL)
		return false;
	if (plan->withCheckOptionLists != NIL)
		return false;
	if (subplan == NULL || !IsA(subplan, ForeignScan))
		return false;
	fscan = (ForeignScan *) subplan;
	if (fscan->scan.scanrelid != resultRelation || fscan->operation != CMD_SELECT)
		return false;
	crm_spec_from_list(fscan->fdw_private, &spec);
	if (!all_key_conditions(fscan, &spec))
		return false;

	rel = table_open(rte->relid, NoLock);
	trig = rel->trigdesc;
	if (trig &&
		((operation == CMD_UPDATE &&
		  (trig->trig_update_before_row || trig->trig_update_after_row)) ||
		 (operation == CMD_DELETE &&
		  (trig->trig_delete_before_row || trig->trig_delete_after_row))))
		ok = false;

	entity = crm_written_entity(rel, &server, &fserver);
	fdw_exprs = list_copy(fscan->fdw_exprs);
	if (ok && operation == CMD_UPDATE)
	{
		List	   *tlist;
		List	   *colnos;
		ListCell   *lc;
		ListCell   *lc2;

		/* the SET list's values, if none reads the row */
		get_translated_update_targetlist(root, resultRelation, &tlist, &colnos);
		forboth(lc, tlist, lc2, colnos)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);
			AttrNumber	attnum = (AttrNumber) lfirst_int(lc2);

			if (bms_is_member(resultRelation, pull_varnos(root, (Node *) tle->expr)) ||
				contain_volatile_functions((Node *) tle->expr) ||
				contain_subplans((Node *) tle->expr))
			{
				ok = false;
				break;
			}
			attrs = lappend_int(attrs, attnum);
			set_indexes = lappend_int(set_indexes, list_length(fdw_exprs));
			fdw_exprs = lappend(fdw_exprs, tle->expr);
		}
	}
	if (!ok)
	{
		table_close(rel, NoLock);
		return false;
	}

	/* the checks PlanForeignModify would have made */
	crm_check_entity_writable(rel, server.provider, entity, operation);
	crm_check_written_columns(rel, entity, server.provider, operation, attrs);

	/* a route sent the row's own fields needs the row read first */
	if (crm_check_routes(rel, entity, server.provider, operation, rte->relid, attrs))
	{
		table_close(rel, NoLock);
		return false;
	}

	fscan->operation = operation;
	fscan->resultRelation = resultRelation;
	/* crm_fdw guarantees the WHERE clause: it writes exactly these keys */
	fscan->scan.plan.qual = NIL;
	fscan->fdw_exprs = fdw_exprs;
	fscan->fdw_private = list_make4(fscan->fdw_private, attrs, set_indexes,
									crm_returning_attrs(plan, subplan_index,
														resultRelation, rel));
	table_close(rel, NoLock);
	return true;
}

void
crm_begin_direct_modify(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	CrmDirectState *d = palloc0(sizeof(CrmDirectState));
	Relation	rel = node->ss.ss_currentRelation;
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	ForeignServer *server = GetForeignServer(table->serverid);
	CrmServerOptions options;
	CrmTableOptions table_options;
	List	   *returning_attrs;
	List	   *fields = NIL;
	RangeTblEntry *rte;
	ListCell   *lc;
	int			i;

	node->fdw_state = d;
	d->rel = rel;
	crm_spec_from_list((List *) linitial(fsplan->fdw_private), &d->spec);
	d->target_attrs = (List *) lsecond(fsplan->fdw_private);
	d->set_indexes = (List *) lthird(fsplan->fdw_private);
	returning_attrs = (List *) lfourth(fsplan->fdw_private);

	crm_server_options(server, &options);
	crm_table_options(table, &options, false, &table_options);
	crm_writer_init(&d->writer, server, table_options.entity, fsplan->operation,
					RelationGetRelationName(rel));

	d->target_fields = palloc0(sizeof(char *) * Max(list_length(d->target_attrs), 1));
	i = 0;
	foreach(lc, d->target_attrs)
	{
		char	   *field = crm_column_field(RelationGetRelid(rel),
												 (AttrNumber) lfirst_int(lc),
												 d->writer.entity);

		d->target_fields[i] = (char *) crm_written_name(d->writer.entity, field);
		fields = lappend(fields, d->target_fields[i]);
		i++;
	}
	d->parts = crm_route_parts(d->writer.entity, fsplan->operation, fields);
	d->batch_size = INT_MAX;
	foreach(lc, d->parts)
		d->batch_size = Min(d->batch_size,
							crm_write_batch_size(((CrmRoutePart *) lfirst(lc))->route,
												 table_options.batch_size));

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	rte = exec_rt_fetch(fsplan->resultRelation, estate);
	crm_target_connect(&d->writer.target,
					   OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId(),
					   estate);
	d->value_states = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);

	d->nreturning = list_length(returning_attrs);
	d->returning = palloc0(sizeof(CrmColumnConv) * Max(d->nreturning, 1));
	i = 0;
	foreach(lc, returning_attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		char	   *field = crm_column_field(RelationGetRelid(rel), attnum,
											 d->writer.entity);
		const CrmColumn *column = crm_find_column_by_field(d->writer.entity, field);

		crm_conv_init(&d->returning[i++], rel, attnum, field,
					  column ? column->wire : CRM_FMT_AUTO,
					  d->writer.target.server.time_zone);
	}
	crm_writer_watch(&d->writer, estate->es_query_cxt);
}

/* The keys the WHERE clause names: every condition's, intersected. */
static List *
direct_keys(ForeignScanState *node, CrmDirectState *d)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	List	   *keys = NIL;
	bool		first = true;
	ListCell   *lc;

	foreach(lc, d->spec.conditions)
	{
		CrmCondition *cond = (CrmCondition *) lfirst(lc);
		CrmRenderedCondition rc;
		bool		isnull;
		Datum		value = ExecEvalExpr(list_nth(d->value_states, cond->value_index),
										 econtext, &isnull);
		List	   *these = NIL;
		ListCell   *lc2;

		memset(&rc, 0, sizeof(rc));
		crm_render_condition(d->writer.entity, cond, value, isnull,
							 d->writer.target.server.time_zone, &rc);
		foreach(lc2, rc.values)
			if (!list_member(these, makeString(lfirst(lc2))))
				these = lappend(these, makeString(lfirst(lc2)));
		if (first)
			keys = these;
		else
			keys = list_intersection(keys, these);
		first = false;
	}
	return keys;
}

/* Makes every write, once. */
static void
execute(ForeignScanState *node, CrmDirectState *d)
{
	TupleDesc	desc = RelationGetDescr(d->rel);
	List	   *keys = direct_keys(node, d);
	json_t	   *values = NULL;
	ListCell   *lc;
	int			i;

	d->done = true;
	if (d->writer.operation == CMD_UPDATE)
	{
		ExprContext *econtext = node->ss.ps.ps_ExprContext;
		ListCell   *lc2;

		values = crm_json_object();
		i = 0;
		forboth(lc, d->target_attrs, lc2, d->set_indexes)
		{
			AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
			Form_pg_attribute attr = TupleDescAttr(desc, attnum - 1);
			bool		isnull;
			Datum		value = ExecEvalExpr(list_nth(d->value_states, lfirst_int(lc2)),
											 econtext, &isnull);

			crm_written_value(&d->writer, values, d->target_fields[i], value,
							  attr->atttypid, isnull, NameStr(attr->attname));
			i++;
		}
	}

	d->nrows = list_length(keys);
	d->rows = palloc0(sizeof(CrmWriteRow) * Max(d->nrows, 1));
	i = 0;
	foreach(lc, keys)
	{
		d->rows[i].number = i + 1;
		d->rows[i].key = strVal(lfirst(lc));
		d->rows[i].values = values;
		i++;
	}
	if (d->nrows == 0)
		return;

	crm_writer_push_context(&d->writer);
	crm_write_parts(&d->writer, d->parts, d->rows, d->nrows, d->batch_size);
	if (d->nreturning > 0)
		crm_complete_returning(&d->writer, d->parts, d->rows, d->nrows,
							   d->returning, d->nreturning);
	crm_writer_pop_context(&d->writer);
}

TupleTableSlot *
crm_iterate_direct_modify(ForeignScanState *node)
{
	CrmDirectState *d = (CrmDirectState *) node->fdw_state;
	EState	   *estate = node->ss.ps.state;
	ResultRelInfo *rinfo = node->resultRelInfo;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	Instrumentation *instr = node->ss.ps.instrument;

	if (!d->done)
	{
		/*
		 * Iterate runs in the per-tuple context, reset before the next
		 * call: the rows and their answers must last for the RETURNING
		 * rows still to come.
		 */
		MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

		execute(node, d);
		MemoryContextSwitchTo(old);
		if (rinfo->ri_projectReturning == NULL)
		{
			/* no RETURNING: every row is counted at once */
			for (int i = 0; i < d->nrows; i++)
				if (d->rows[i].outcome == CRM_ROW_WRITTEN)
				{
					estate->es_processed++;
					if (instr)
						instr->tuplecount++;
				}
			return ExecClearTuple(slot);
		}
	}
	if (rinfo->ri_projectReturning == NULL)
		return ExecClearTuple(slot);

	/* the next written row, for RETURNING */
	while (d->next < d->nrows && d->rows[d->next].outcome != CRM_ROW_WRITTEN)
		d->next++;
	if (d->next >= d->nrows)
		return ExecClearTuple(slot);
	{
		CrmWriteRow *row = &d->rows[d->next++];
		CrmRow		as_row;

		crm_row_of(&as_row, row->answer);
		ExecClearTuple(slot);
		memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
		for (int i = 0; i < d->nreturning; i++)
		{
			CrmColumnConv *conv = &d->returning[i];
			int			att = conv->attnum - 1;

			slot->tts_values[att] = crm_json_to_datum(conv, crm_json_lookup(&as_row, conv),
													  &slot->tts_isnull[att]);
		}
		ExecStoreVirtualTuple(slot);
	}
	estate->es_processed++;
	if (instr)
		instr->tuplecount++;
	rinfo->ri_projectReturning->pi_exprContext->ecxt_scantuple = slot;
	return slot;
}

void
crm_end_direct_modify(ForeignScanState *node)
{
	CrmDirectState *d = (CrmDirectState *) node->fdw_state;

	if (d && d->value_states)
		crm_writer_finish(&d->writer);
}

void
crm_explain_direct_modify(ForeignScanState *node, ExplainState *es)
{
	CrmDirectState *d = (CrmDirectState *) node->fdw_state;
	ListCell   *lc;

	if (es->verbose)
	{
		ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
		StringInfoData keys;

		/* the keys as planning knows them, without reading anything */
		initStringInfo(&keys);
		foreach(lc, d->spec.conditions)
		{
			CrmCondition *cond = (CrmCondition *) lfirst(lc);
			Node	   *value = list_nth(fsplan->fdw_exprs, cond->value_index);

			appendStringInfo(&keys, "%s%s %s %s", keys.len ? " AND " : "",
							 d->writer.entity->key, cond->op == CRM_OP_IN ? "IN" : "=",
							 deparse_expression(value, es->deparse_cxt, false, false));
		}
		ExplainPropertyText("CRM Direct", psprintf("no read first: the write names the keys, %s",
												   keys.data), es);
		crm_explain_routes(d->parts, d->writer.entity, d->batch_size, es);
	}
	if (es->analyze)
		crm_explain_counters(es, &d->writer.counters, d->writer.rows_written);
}
