/*-------------------------------------------------------------------------
 *
 * plan.c
 *		Row estimates, costs, and access paths of a foreign table.
 *
 * API requests are the scarce resource (rate limits, daily budgets), so
 * costs count them: a request costs what a thousand local page reads do.
 * A full listing costs one request per page; a lookup by key costs one;
 * a parameterized path, offered for every join condition the API can
 * evaluate, costs one request per outer row.  No request is sent while
 * planning.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include <math.h>

#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "miscadmin.h"

#include "plan.h"
#include "request.h"

#define CRM_REQUEST_COST	1000.0
#define CRM_ROW_COST		(cpu_tuple_cost * 10)

/*
 * Rows the API returns for these conditions, and the requests that takes.
 * The rows PostgreSQL keeps after its own recheck may be fewer.
 */
static void
estimate_requests(PlannerInfo *root, RelOptInfo *baserel, CrmRelInfo *info,
				  List *clauses, double *api_rows, double *requests,
				  bool *covers_required)
{
	List	   *conditions = NIL;
	ListCell   *lc;

	if (clauses == info->pushed && info->remote_rows >= 0)
		*api_rows = clamp_row_est(info->remote_rows);
	else
		*api_rows = clamp_row_est(info->full_rows *
								  clauselist_selectivity(root, clauses, baserel->relid,
														 JOIN_INNER, NULL));
	*requests = info->page_size > 0 ?
		Max(ceil(*api_rows / info->page_size), 1) : 1;

	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition *cond = palloc(sizeof(CrmCondition));

		if (!crm_classify(root, baserel, info, rinfo->clause, cond))
			continue;
		conditions = lappend(conditions, cond);
		/* by key: one request, at most one row */
		if (cond->filter == CRM_KEY_FILTER && cond->op == CRM_OP_EQ)
		{
			*api_rows = 1;
			*requests = 1;
		}
	}
	*covers_required = crm_missing_required(info->entity, conditions) == NULL;
}

/* Pages of a listing without conditions. */
int
crm_full_pages(CrmRelInfo *info)
{
	return info->page_size > 0 ?
		(int) Min(ceil(info->full_rows / info->page_size), (double) INT_MAX) : 1;
}

/*
 * use_remote_estimate: fetch the first page for the conditions whose values
 * are constants.  If it is the whole answer, the planner knows the row
 * count; otherwise it knows there is more than a page of it.
 */
static double
remote_rows(PlannerInfo *root, RelOptInfo *baserel, CrmRelInfo *info)
{
	List	   *rendered = NIL;
	List	   *conditions = NIL;
	List	   *calls;
	bool		no_rows;
	CrmTarget	target;
	CrmCounters counters;
	CrmPage		page;
	json_t	   *rows;
	double		n;
	ListCell   *lc;

	foreach(lc, info->pushed)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition *cond = palloc(sizeof(CrmCondition));
		CrmRenderedCondition *rc = palloc0(sizeof(CrmRenderedCondition));

		if (!crm_classify(root, baserel, info, rinfo->clause, cond))
			continue;
		if (cond->value && !IsA(cond->value, Const))
			continue;
		crm_render_condition(info->entity, cond,
							 cond->value ? ((Const *) cond->value)->constvalue : (Datum) 0,
							 cond->value ? ((Const *) cond->value)->constisnull : false,
							 rc);
		rendered = lappend(rendered, rc);
		conditions = lappend(conditions, cond);
	}
	/* the listing cannot be asked for without its key */
	if (crm_missing_required(info->entity, conditions) != NULL)
		return -1;
	calls = crm_build_calls(info->entity, rendered, crm_full_pages(info), &no_rows);
	if (no_rows)
		return 0;
	if (calls == NIL)
		return -1;

	memset(&counters, 0, sizeof(counters));
	memset(&page, 0, sizeof(page));
	crm_target_init(&target, info->server);
	crm_target_connect(&target, OidIsValid(baserel->userid) ?
					   baserel->userid : GetUserId(), NULL);

	rows = crm_fetch_page(&target, info->entity, linitial(calls), &page,
						  info->page_size > 0 ? info->page_size : 0, &counters);
	n = json_array_size(rows);
	if (page.done)
		return n * list_length(calls);
	return Max(2 * n, info->full_rows) * list_length(calls);
}

void
crm_estimate_size(PlannerInfo *root, RelOptInfo *baserel, CrmRelInfo *info)
{
	double		api_rows;
	double		requests;
	bool		covers_required;
	double		rows;

	if (info->table_options.use_remote_estimate)
		info->remote_rows = remote_rows(root, baserel, info);
	estimate_requests(root, baserel, info, info->pushed, &api_rows, &requests,
					  &covers_required);
	if (info->remote_rows >= 0)
		/* the API counted the pushed conditions; PostgreSQL filters the rest */
		rows = api_rows * clauselist_selectivity(root, info->local, baserel->relid,
												 JOIN_INNER, NULL);
	else
		rows = Min(api_rows,
				   info->full_rows * clauselist_selectivity(root, baserel->baserestrictinfo,
															baserel->relid, JOIN_INNER,
															NULL));
	baserel->rows = clamp_row_est(rows);
}

static void
add_scan_path(PlannerInfo *root, RelOptInfo *baserel, CrmRelInfo *info,
		 List *clauses, double rows, Relids required_outer)
{
	double		api_rows;
	double		requests;
	bool		covers_required;
	Cost		total_cost;

	estimate_requests(root, baserel, info, clauses, &api_rows, &requests,
					  &covers_required);
	total_cost = requests * CRM_REQUEST_COST + api_rows * CRM_ROW_COST;
	/* offered so that planning never fails, chosen only if nothing else is */
	if (!covers_required)
		total_cost += disable_cost;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, rows,
									 CRM_REQUEST_COST, total_cost, NIL,
									 required_outer, NULL, NIL));
}

typedef struct ColumnMatch
{
	AttrNumber	attnum;
} ColumnMatch;

static bool
ec_member_is_column(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
					EquivalenceMember *em, void *arg)
{
	Var		   *var = (Var *) em->em_expr;

	return IsA(var, Var) && var->varno == rel->relid && var->varlevelsup == 0 &&
		var->varattno == ((ColumnMatch *) arg)->attnum;
}

/* Join conditions "column = outer value" that the API could evaluate. */
static List *
join_conditions(PlannerInfo *root, RelOptInfo *baserel, CrmRelInfo *info)
{
	List	   *result = NIL;
	List	   *attnums = NIL;
	ListCell   *lc;

	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition cond;

		if (join_clause_is_movable_to(rinfo, baserel) &&
			crm_classify(root, baserel, info, rinfo->clause, &cond) &&
			(cond.op == CRM_OP_EQ || cond.op == CRM_OP_IN))
			result = lappend(result, rinfo);
	}

	/* equalities implied by equivalence classes: d.id = l.deal_id */
	if (info->key_attnum)
		attnums = list_append_unique_int(attnums, info->key_attnum);
	for (int i = 0; info->entity->filters[i].column; i++)
		if (info->filter_attnum[i] && (info->entity->filters[i].ops & CRM_OP_EQ))
			attnums = list_append_unique_int(attnums, info->filter_attnum[i]);
	foreach(lc, attnums)
	{
		ColumnMatch match = {(AttrNumber) lfirst_int(lc)};
		List	   *clauses;
		ListCell   *lc2;

		if (!baserel->has_eclass_joins)
			break;
		clauses = generate_implied_equalities_for_column(root, baserel,
														 ec_member_is_column,
														 &match,
														 baserel->lateral_referencers);
		foreach(lc2, clauses)
		{
			RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc2);
			CrmCondition cond;

			if (crm_classify(root, baserel, info, rinfo->clause, &cond))
				result = lappend(result, rinfo);
		}
	}
	return result;
}

void
crm_add_paths(PlannerInfo *root, RelOptInfo *baserel, CrmRelInfo *info)
{
	List	   *outer_sets = NIL;
	ListCell   *lc;

	/* a LATERAL reference makes even the plain scan depend on outer rows */
	add_scan_path(root, baserel, info, info->pushed, baserel->rows,
				  baserel->lateral_relids);

	/* one parameterized path per set of outer relations */
	foreach(lc, join_conditions(root, baserel, info))
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Relids		required_outer;
		ParamPathInfo *param_info;
		ListCell   *lc2;
		bool		seen = false;

		required_outer = bms_union(rinfo->clause_relids, baserel->lateral_relids);
		required_outer = bms_del_member(required_outer, baserel->relid);
		if (bms_is_empty(required_outer))
			continue;
		foreach(lc2, outer_sets)
			if (bms_equal((Relids) lfirst(lc2), required_outer))
				seen = true;
		if (seen)
			continue;
		outer_sets = lappend(outer_sets, required_outer);

		param_info = get_baserel_parampathinfo(root, baserel, required_outer);
		add_scan_path(root, baserel, info,
				 list_concat_copy(info->pushed, param_info->ppi_clauses),
				 param_info->ppi_rows, required_outer);
	}
}
