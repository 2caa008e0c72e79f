/*-------------------------------------------------------------------------
 *
 * scan.c
 *		Runs a foreign scan: evaluates the pushed conditions' values, builds
 *		the calls, fetches pages lazily and turns JSON rows into tuples.
 *
 * A page is fetched only when the executor has consumed the previous one,
 * so "LIMIT 5" stops after the first request.  Memory stays flat however
 * many rows flow: one context holds the current page's JSON and is reset
 * before the next page, another holds the current tuple's Datums.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/relation.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "deparse.h"
#include "json_datum.h"
#include "request.h"
#include "scan.h"

/* EXPLAIN lists at most this many requests of one scan. */
#define CRM_EXPLAIN_MAX_CALLS	10

typedef struct CrmScanState
{
	CrmTarget	target;
	const CrmEntity *entity;
	CrmScanSpec spec;
	int			page_size;
	List	   *value_states;	/* ExprState per fdw_exprs entry */
	CrmColumnConv *convs;		/* the columns the query reads */
	bool	   *call_value;		/* per conv: may come from the request */
	int			nconvs;

	/* one execution (until rescan) */
	bool		started;
	List	   *calls;
	int			call_index;
	CrmPage		page;
	json_t	   *rows;
	size_t		next_row;
	int64		rows_emitted;

	/*
	 * The scan finds the rows an UPDATE or DELETE of this table changes.
	 * With start/limit paging, changing rows shifts the pages still to come
	 * (a row deleted from page 1 moves one from page 2 onto it, unseen), so
	 * such a scan reads all of a call's pages before the first write.
	 * Cursors point at a row, not an offset, and need no such care.
	 */
	bool		drain;
	MemoryContext drain_cxt;	/* a drained call's rows */

	MemoryContext call_cxt;		/* calls and rendered values */
	MemoryContext page_cxt;		/* the current page's JSON */
	MemoryContext tuple_cxt;	/* the current tuple's Datums */
	CrmCounters counters;
} CrmScanState;

/* The user whose mapping a scan of this relation uses. */
static Oid
scan_user(ForeignScanState *node)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	RangeTblEntry *rte = exec_rt_fetch(plan->scan.scanrelid, node->ss.ps.state);

	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

void
crm_scan_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	CrmScanState *s = palloc0(sizeof(CrmScanState));
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	ForeignServer *server = GetForeignServer(table->serverid);
	ListCell   *lc;
	int			i = 0;

	node->fdw_state = s;
	crm_spec_from_list(plan->fdw_private, &s->spec);
	crm_target_init(&s->target, server);
	s->entity = crm_find_entity(s->target.provider, s->spec.entity_name);
	if (s->entity == NULL)
		elog(ERROR, "entity \"%s\" vanished from provider \"%s\"",
			 s->spec.entity_name, s->target.provider->name);
	s->page_size = crm_page_size(&s->target.server, s->entity);

	/* EXPLAIN without ANALYZE sends nothing and needs no credentials */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	crm_target_connect(&s->target, scan_user(node), estate);
	s->value_states = ExecInitExprList(plan->fdw_exprs, (PlanState *) node);

	s->nconvs = list_length(s->spec.retrieved_attrs);
	s->convs = palloc0(sizeof(CrmColumnConv) * Max(s->nconvs, 1));
	s->call_value = palloc0(sizeof(bool) * Max(s->nconvs, 1));
	foreach(lc, s->spec.retrieved_attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		char	   *field = crm_column_field(RelationGetRelid(rel), attnum, s->entity);
		const CrmColumn *column = crm_find_column(s->entity, field);

		crm_conv_init(&s->convs[i], rel, attnum, field);
		s->call_value[i] = column && (column->flags & CRM_COL_CALL_VALUE);
		i++;
	}

	s->drain = s->entity->paging == CRM_PAGING_OFFSET &&
		ExecRelationIsTargetRelation(estate, plan->scan.scanrelid);
	if (s->drain)
		s->drain_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw drained rows",
											 ALLOCSET_DEFAULT_SIZES);
	s->call_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw calls",
										ALLOCSET_SMALL_SIZES);
	s->page_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw page",
										ALLOCSET_DEFAULT_SIZES);
	s->tuple_cxt = AllocSetContextCreate(estate->es_query_cxt, "crm_fdw tuple",
										 ALLOCSET_DEFAULT_SIZES);
}

/* Values are known now: spell them, and plan the calls. */
static void
start_scan(ForeignScanState *node, CrmScanState *s)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	List	   *rendered = NIL;
	bool		no_rows;
	MemoryContext old;
	ListCell   *lc;

	MemoryContextReset(s->call_cxt);
	MemoryContextReset(s->page_cxt);
	old = MemoryContextSwitchTo(s->call_cxt);

	foreach(lc, s->spec.conditions)
	{
		CrmCondition *cond = (CrmCondition *) lfirst(lc);
		CrmRenderedCondition *rc = palloc0(sizeof(CrmRenderedCondition));
		Datum		value = (Datum) 0;
		bool		isnull = false;

		if (cond->value_index >= 0)
		{
			ExprState  *state = list_nth(s->value_states, cond->value_index);

			value = ExecEvalExpr(state, econtext, &isnull);
		}
		crm_render_condition(s->entity, cond, value, isnull, rc);
		rendered = lappend(rendered, rc);
	}
	s->calls = crm_build_calls(s->entity, rendered, s->spec.full_pages, &no_rows);
	if (no_rows)
		s->calls = NIL;
	MemoryContextSwitchTo(old);

	s->call_index = 0;
	memset(&s->page, 0, sizeof(s->page));
	s->rows = NULL;
	s->next_row = 0;
	s->rows_emitted = 0;
	s->started = true;
}

/* Rows a page asks for: fewer than a page when the query needs fewer. */
static int
page_limit(CrmScanState *s, int64 rows_emitted)
{
	int64		wanted = s->spec.limit_hint - rows_emitted;

	if (s->spec.limit_hint > 0 && wanted > 0 && wanted < s->page_size)
		return (int) wanted;
	return s->page_size;
}

static void
fetch_page(CrmScanState *s, CrmCall *call)
{
	char	   *old_cursor = s->page.cursor;
	MemoryContext old;

	MemoryContextReset(s->page_cxt);
	s->rows = NULL;
	s->next_row = 0;
	old = MemoryContextSwitchTo(s->page_cxt);
	s->rows = crm_fetch_page(&s->target, s->entity, call, &s->page,
							 page_limit(s, s->rows_emitted), &s->counters);
	MemoryContextSwitchTo(old);

	/* the next page's cursor must outlive this page; the last one need not */
	if (s->page.cursor)
		s->page.cursor = MemoryContextStrdup(s->call_cxt, s->page.cursor);
	if (old_cursor)
		pfree(old_cursor);
}

/* All pages of a call, before any of its rows is used (see drain). */
static void
drain_call(CrmScanState *s, CrmCall *call)
{
	json_t	   *all;
	MemoryContext old;

	MemoryContextReset(s->drain_cxt);
	old = MemoryContextSwitchTo(s->drain_cxt);
	all = json_array();
	MemoryContextSwitchTo(old);
	do
	{
		CHECK_FOR_INTERRUPTS();
		fetch_page(s, call);
		old = MemoryContextSwitchTo(s->drain_cxt);
		json_array_extend(all, json_deep_copy(s->rows));
		MemoryContextSwitchTo(old);
	} while (!s->page.done);
	MemoryContextReset(s->page_cxt);
	s->rows = all;
	s->next_row = 0;
}

/* Advances to a page with rows; false at the end of the last call. */
static bool
next_page(CrmScanState *s)
{
	while (s->call_index < list_length(s->calls))
	{
		CrmCall    *call = list_nth(s->calls, s->call_index);

		if (s->page.done)
		{
			s->call_index++;
			memset(&s->page, 0, sizeof(s->page));
			continue;
		}
		CHECK_FOR_INTERRUPTS();
		if (s->drain)
			drain_call(s, call);
		else
			fetch_page(s, call);
		if (json_array_size(s->rows) > 0)
			return true;
	}
	return false;
}

/* For columns the answer lacks but the request named (deal_flow.deal_id). */
static json_t *
value_from_call(CrmScanState *s, const CrmColumnConv *conv)
{
	CrmCall    *call = list_nth(s->calls, s->call_index);
	ListCell   *lc;

	foreach(lc, call->params)
	{
		CrmParam   *param = (CrmParam *) lfirst(lc);

		if (conv->path_len == 1 &&
			strcmp(param->filter->column, conv->path[0]) == 0 &&
			list_length(param->values) == 1)
			return json_string((char *) linitial(param->values));
	}
	return NULL;
}

static void
store_row(CrmScanState *s, json_t *row, TupleTableSlot *slot)
{
	MemoryContext old;

	MemoryContextReset(s->tuple_cxt);
	old = MemoryContextSwitchTo(s->tuple_cxt);

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true,
		   sizeof(bool) * slot->tts_tupleDescriptor->natts);
	if (!json_is_object(row))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("%s returned a %s where a row object was expected",
						s->target.provider->display_name, crm_json_type_name(row)),
				 errhint("The answer does not have the shape %s documents; check the url option of the server.",
						 s->target.provider->display_name),
				 errcontext("foreign table \"%s\"", s->convs[0].relname)));

	for (int i = 0; i < s->nconvs; i++)
	{
		CrmColumnConv *conv = &s->convs[i];
		json_t	   *value = crm_json_lookup(row, conv);
		int			att = conv->attnum - 1;

		if (value == NULL && s->call_value[i])
			value = value_from_call(s, conv);
		slot->tts_values[att] = crm_json_to_datum(conv, value,
												  s->target.provider->naive_time_zone,
												  &slot->tts_isnull[att]);
	}
	MemoryContextSwitchTo(old);
	ExecStoreVirtualTuple(slot);
}

TupleTableSlot *
crm_scan_next(ForeignScanState *node)
{
	CrmScanState *s = (CrmScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (!s->started)
		start_scan(node, s);

	if (s->rows == NULL || s->next_row >= json_array_size(s->rows))
	{
		if (!next_page(s))
			return ExecClearTuple(slot);
	}
	store_row(s, json_array_get(s->rows, s->next_row++), slot);
	s->rows_emitted++;
	return slot;
}

void
crm_scan_rescan(ForeignScanState *node)
{
	CrmScanState *s = (CrmScanState *) node->fdw_state;

	/* values may have changed (a join's outer row): plan the calls anew */
	s->started = false;
}

void
crm_scan_end(ForeignScanState *node)
{
	/* memory contexts go with the query; the connection stays cached */
}

/* ---- EXPLAIN ---- */

/*
 * The requests a scan will send, as far as planning knows them: constants
 * spelled out, other values (parameters, outer columns) as {expression}.
 */
static List *
explain_calls(ForeignScanState *node, CrmScanState *s, ExplainState *es,
			  bool *no_rows)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	List	   *rendered = NIL;
	ListCell   *lc;

	foreach(lc, s->spec.conditions)
	{
		CrmCondition *cond = (CrmCondition *) lfirst(lc);
		CrmRenderedCondition *rc = palloc0(sizeof(CrmRenderedCondition));
		Node	   *value = cond->value_index >= 0 ?
			list_nth(plan->fdw_exprs, cond->value_index) : NULL;

		if (value == NULL || IsA(value, Const))
			crm_render_condition(s->entity, cond,
								 value ? ((Const *) value)->constvalue : (Datum) 0,
								 value ? ((Const *) value)->constisnull : false,
								 rc);
		else
		{
			rc->cond = cond;
			rc->placeholder = true;
			rc->values = list_make1(psprintf("{%s}",
											 deparse_expression(value, es->deparse_cxt,
																true, false)));
		}
		rendered = lappend(rendered, rc);
	}
	return crm_build_calls(s->entity, rendered, s->spec.full_pages, no_rows);
}

static char *
request_text(CrmScanState *s, CrmCall *call)
{
	CrmRequest	request;
	CrmPage		page;

	memset(&page, 0, sizeof(page));
	initStringInfo(&request.path);
	s->target.provider->build_request(s->entity, call, &page, page_limit(s, 0),
									  &request);
	return psprintf("%s %s", request.method, request.path.data);
}

void
crm_scan_explain(ForeignScanState *node, ExplainState *es)
{
	CrmScanState *s = (CrmScanState *) node->fdw_state;

	if (es->verbose)
	{
		bool		no_rows;
		List	   *calls = explain_calls(node, s, es, &no_rows);
		List	   *texts = NIL;
		int			n = 0;
		ListCell   *lc;

		if (no_rows)
			texts = lappend(texts, "none: no row can match");
		foreach(lc, calls)
		{
			if (++n > CRM_EXPLAIN_MAX_CALLS)
			{
				texts = lappend(texts, psprintf("... and %d more",
												list_length(calls) - CRM_EXPLAIN_MAX_CALLS));
				break;
			}
			texts = lappend(texts, request_text(s, (CrmCall *) lfirst(lc)));
		}

		if (es->format == EXPLAIN_FORMAT_TEXT)
		{
			foreach(lc, texts)
				ExplainPropertyText("CRM Request", (char *) lfirst(lc), es);
		}
		else
			ExplainPropertyList("CRM Requests", texts, es);
	}

	if (es->analyze)
		crm_explain_counters(es, &s->counters, -1);
}
