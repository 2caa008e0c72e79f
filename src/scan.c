/*-------------------------------------------------------------------------
 *
 * scan.c
 *		Runs a foreign scan: evaluates the pushed conditions' values, builds
 *		the calls, fetches pages lazily through the paging engine, and turns
 *		the rows they hold into tuples.
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
#include "optimizer/optimizer.h"
#include "access/sysattr.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "calls.h"
#include "compose.h"
#include "json_datum.h"
#include "lookup.h"
#include "paging.h"
#include "request.h"
#include "rowset.h"
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
	char	   *request_options;	/* what the columns read need asked for */

	/* one execution (until rescan) */
	bool		started;
	List	   *calls;
	int			call_index;
	bool		call_started;
	CrmPager	pager;
	json_t	   *items;			/* the current page's items */
	CrmRowSet	rows;			/* the rows they make */
	bool		have_row;
	int64		rows_emitted;

	/*
	 * The scan finds the rows an UPDATE or DELETE of this table changes.
	 * With positional paging (row offsets, page numbers), changing rows
	 * shifts the pages still to come (a row deleted from page 1 moves one
	 * from page 2 onto it, unseen), so such a scan reads all of a call's
	 * pages before the first write.  Cursors point at a row, not an
	 * offset, and need no such care.
	 */
	bool		drain;
	MemoryContext drain_cxt;	/* a drained call's items */

	MemoryContext call_cxt;		/* calls, rendered values, cursors */
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
	s->request_options = crm_request_options(s->entity, rel,
											 s->spec.retrieved_attrs);

	/*
	 * An UPDATE reads the whole row, for PostgreSQL builds the new one from
	 * it; but only the columns it sets are written, and RETURNING comes from
	 * the write.  What only optional parts of the answer hold is asked for
	 * only where a condition checked here reads it.
	 */
	if (estate->es_plannedstmt->commandType == CMD_UPDATE &&
		ExecRelationIsTargetRelation(estate, plan->scan.scanrelid))
	{
		Bitmapset  *used = NULL;
		List	   *attnums = NIL;

		pull_varattnos((Node *) plan->scan.plan.qual, plan->scan.scanrelid, &used);
		for (int x = -1; (x = bms_next_member(used, x)) >= 0;)
			if (x + FirstLowInvalidHeapAttributeNumber > 0)
				attnums = lappend_int(attnums, x + FirstLowInvalidHeapAttributeNumber);
		s->request_options = crm_request_options(s->entity, rel, attnums);
	}

	/* EXPLAIN without ANALYZE sends nothing and needs no credentials */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	if (s->entity->constant_rows == NULL)
		crm_target_connect(&s->target, scan_user(node), estate);
	s->value_states = ExecInitExprList(plan->fdw_exprs, (PlanState *) node);

	s->nconvs = list_length(s->spec.retrieved_attrs);
	s->convs = palloc0(sizeof(CrmColumnConv) * Max(s->nconvs, 1));
	s->call_value = palloc0(sizeof(bool) * Max(s->nconvs, 1));
	foreach(lc, s->spec.retrieved_attrs)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		char	   *field = crm_column_field(RelationGetRelid(rel), attnum, s->entity);
		const CrmColumn *column = crm_find_column_by_field(s->entity, field);

		crm_conv_init(&s->convs[i], rel, attnum, field,
					  column ? column->wire : CRM_FMT_AUTO,
					  s->target.server.time_zone);
		s->call_value[i] = column && (column->flags & CRM_COL_CALL_VALUE);
		i++;
	}

	s->drain = crm_paging_is_positional(s->entity) &&
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

/* Each call asks for what the columns read need. */
static void
set_request_options(List *calls, char *options)
{
	ListCell   *lc;

	foreach(lc, calls)
		((CrmCall *) lfirst(lc))->request_options = options;
}

/*
 * A filter whose API takes its values in another spelling gets them
 * translated (a user id to the login); one the API does not know matches
 * no row.
 */
static void
translate_values(CrmScanState *s, CrmRenderedCondition *rc)
{
	const CrmFilter *filter = crm_condition_filter(s->entity, rc->cond);

	if (filter == NULL || filter->lookup == NULL || rc->unbounded || rc->values == NIL)
		return;
	rc->values = crm_lookup_values(&s->target, filter->lookup, rc->values,
								   &s->counters);
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
		crm_render_condition(s->entity, cond, value, isnull,
							 s->target.server.time_zone, rc);
		translate_values(s, rc);
		rendered = lappend(rendered, rc);
	}
	s->calls = crm_build_calls(s->entity, rendered, s->spec.full_pages, &no_rows);
	if (no_rows)
		s->calls = NIL;
	set_request_options(s->calls, s->request_options);
	MemoryContextSwitchTo(old);

	s->call_index = 0;
	s->call_started = false;
	s->items = NULL;
	s->have_row = false;
	s->rows_emitted = 0;
	s->started = true;
}

/* The rows a list the vendor documents holds, with no request. */
static json_t *
constant_items(CrmScanState *s)
{
	json_error_t jerr;
	json_t	   *items = json_loads(s->entity->constant_rows, 0, &jerr);

	if (!json_is_array(items))
		elog(ERROR, "constant rows of %s %s are not a JSON array: %s",
			 s->target.provider->name, s->entity->name, jerr.text);
	s->pager.done = true;
	return items;
}

static void
fetch_page(CrmScanState *s, CrmCall *call)
{
	MemoryContext old;

	MemoryContextReset(s->page_cxt);
	s->items = NULL;
	old = MemoryContextSwitchTo(s->page_cxt);
	if (s->entity->constant_rows)
		s->items = constant_items(s);
	else
		s->items = crm_fetch_page(&s->target, s->entity, call, &s->pager,
								  s->rows_emitted, &s->counters);
	if (call && call->item_key && s->spec.complete_items &&
		json_array_size(s->items) == 1)
	{
		json_t	   *whole = crm_complete_item(&s->target, s->entity,
										   json_array_get(s->items, 0),
										   &s->counters);

		s->items = json_array();
		json_array_append(s->items, whole);
	}
	MemoryContextSwitchTo(old);
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
		json_array_extend(all, json_deep_copy(s->items));
		MemoryContextSwitchTo(old);
	} while (!s->pager.done);
	MemoryContextReset(s->page_cxt);
	s->items = all;
}

/* Advances to a page with rows; false at the end of the last call. */
static bool
next_page(CrmScanState *s)
{
	while (s->call_index < list_length(s->calls))
	{
		CrmCall    *call = list_nth(s->calls, s->call_index);

		if (!s->call_started)
		{
			crm_pager_start(&s->pager, s->target.provider, s->entity,
							s->page_size, s->spec.limit_hint, s->call_cxt);
			s->call_started = true;
		}
		else if (s->pager.done)
		{
			crm_pager_finish(&s->pager);
			s->call_index++;
			s->call_started = false;
			continue;
		}
		CHECK_FOR_INTERRUPTS();
		if (s->drain)
			drain_call(s, call);
		else
			fetch_page(s, call);
		crm_rowset_start(&s->rows, s->items, s->entity->unnest);
		if (json_array_size(s->items) > 0)
			return true;
	}
	return false;
}

/* For columns the answer lacks but the request named (a path's value). */
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
store_row(CrmScanState *s, CrmRow *row, TupleTableSlot *slot)
{
	MemoryContext old;

	MemoryContextReset(s->tuple_cxt);
	old = MemoryContextSwitchTo(s->tuple_cxt);

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true,
		   sizeof(bool) * slot->tts_tupleDescriptor->natts);
	if (!json_is_object(row->levels[row->depth]) && s->entity->unnest == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("%s returned a %s where a row object was expected",
						s->target.provider->display_name,
						crm_json_type_name(row->levels[row->depth])),
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
	CrmRow		row;

	if (!s->started)
		start_scan(node, s);

	for (;;)
	{
		if (s->items && crm_rowset_next(&s->rows, &row))
			break;
		if (!next_page(s))
			return ExecClearTuple(slot);
	}
	store_row(s, &row, slot);
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
	List	   *calls;
	ListCell   *lc;

	foreach(lc, s->spec.conditions)
	{
		CrmCondition *cond = (CrmCondition *) lfirst(lc);
		CrmRenderedCondition *rc = palloc0(sizeof(CrmRenderedCondition));
		Node	   *value = cond->value_index >= 0 ?
			list_nth(plan->fdw_exprs, cond->value_index) : NULL;

		const CrmFilter *filter = crm_condition_filter(s->entity, cond);

		if ((value == NULL || IsA(value, Const)) &&
			(filter == NULL || filter->lookup == NULL))
			crm_render_condition(s->entity, cond,
								 value ? ((Const *) value)->constvalue : (Datum) 0,
								 value ? ((Const *) value)->constisnull : false,
								 s->target.server.time_zone, rc);
		else if (filter && filter->lookup)
		{
			/* EXPLAIN sends nothing: the translation is named, not made */
			rc->cond = cond;
			rc->placeholder = true;
			rc->values = list_make1(psprintf("{%s of %s %s}",
											 filter->lookup->to_field,
											 filter->lookup->from_field,
											 value ? deparse_expression(value, es->deparse_cxt,
																		true, false) : "?"));
		}
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
	calls = crm_build_calls(s->entity, rendered, s->spec.full_pages, no_rows);
	set_request_options(calls, s->request_options);
	return calls;
}

static char *
request_text(CrmScanState *s, CrmCall *call)
{
	CrmRequest	request;
	CrmPager	pager;

	crm_pager_start(&pager, s->target.provider, s->entity, s->page_size,
					s->spec.limit_hint, CurrentMemoryContext);
	crm_compose_read(s->target.provider, s->entity, call, &pager,
					 crm_pager_request_size(&pager, 0), &request);
	return crm_request_text(&request);
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
		else if (s->entity->constant_rows)
			texts = lappend(texts, psprintf("none: %s documents these rows",
											s->target.provider->display_name));
		else
			foreach(lc, calls)
		{
			if (++n > CRM_EXPLAIN_MAX_CALLS)
			{
				texts = lappend(texts, psprintf("... and %d more",
												list_length(calls) - CRM_EXPLAIN_MAX_CALLS));
				break;
			}
			texts = lappend(texts, crm_utf8_for_message(request_text(s, (CrmCall *) lfirst(lc))));
		}

		if (es->format == EXPLAIN_FORMAT_TEXT)
		{
			foreach(lc, texts)
				ExplainPropertyText("CRM Request", (char *) lfirst(lc), es);
		}
		else
			ExplainPropertyList("CRM Requests", texts, es);

		if (s->spec.complete_items)
		{
			StringInfoData by;

			initStringInfo(&by);
			for (const char *const *c = s->entity->item_completion; *c; c++)
				appendStringInfo(&by, "%s%s", by.len ? ", " : "",
								 crm_column_name_of(s->entity, *c));
			ExplainPropertyText("CRM Item Completion",
								psprintf("each item from %s %s, narrowed by its %s: the item gives less than the listing",
										 s->target.provider->default_method ?
										 s->target.provider->default_method : "GET",
										 s->entity->list_path, by.data),
								es);
		}
		if (s->spec.filters_off)
			ExplainPropertyText("CRM Filters",
								psprintf("off: the %s account does not apply list filters (%s), so none is sent and PostgreSQL filters every row",
										 s->target.provider->display_name,
										 s->target.provider->filters_probe->setting),
								es);
	}

	if (es->analyze)
		crm_explain_counters(es, &s->counters, -1);
}
