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
 * planning, but for two: use_remote_estimate's, when asked for, and, once
 * per connection, the question whether the account applies the provider's
 * optional filters (amoCRM's is_api_filter_enabled).
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

#include "access/table.h"
#include "optimizer/planmain.h"
#include "utils/rel.h"

#include "calls.h"
#include "plan.h"
#include "request.h"
#include "write.h"

#define CRM_REQUEST_COST	1000.0
#define CRM_ROW_COST		(cpu_tuple_cost * 10)

/*
 * Whether a condition of this query may use a filter that the account can
 * switch off: only then is the account asked, so that a write by key or a
 * read by id costs no request for a setting it does not depend on.  Join
 * conditions count too, and so does any equivalence class (cheap to be
 * conservative about: the answer is kept for the session).
 */
static bool
needs_account_filters(PlannerInfo *root, RelOptInfo *baserel,
					  const CrmEntity *entity, const CrmColumnMap *map)
{
	Bitmapset  *used = NULL;
	ListCell   *lc;
	bool		any = false;

	for (int i = 0; entity->filters && entity->filters[i].column; i++)
		if (entity->filters[i].account_feature && map->filter_attnum[i] != 0)
			any = true;
	if (!any)
		return false;
	if (baserel->has_eclass_joins)
		return true;

	foreach(lc, baserel->baserestrictinfo)
	{
		Expr	   *clause = lfirst_node(RestrictInfo, lc)->clause;
		CrmCondition cond;

		/* key = value is read from the item's own path, filters or not */
		if (entity->item_path &&
			crm_classify(root, baserel, map, clause, &cond) &&
			cond.filter == CRM_KEY_FILTER && cond.op == CRM_OP_EQ)
			continue;
		pull_varattnos((Node *) clause, baserel->relid, &used);
	}
	foreach(lc, baserel->joininfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &used);
	for (int i = 0; entity->filters && entity->filters[i].column; i++)
		if (entity->filters[i].account_feature && map->filter_attnum[i] != 0 &&
			bms_is_member(map->filter_attnum[i] - FirstLowInvalidHeapAttributeNumber,
						  used))
			return true;
	return false;
}

/*
 * Whether a query reads a column that the entity's item endpoint leaves
 * out or gives otherwise (SalesMan's deal/info has no dates): its keys are
 * then found in the listing, which has every column.  The rows an UPDATE
 * or DELETE targets are fetched by key all the same: what they write comes
 * from the statement.
 */
static bool
reads_beyond_item(PlannerInfo *root, RelOptInfo *baserel, Oid relid,
				  const CrmEntity *entity)
{
	Bitmapset  *used = NULL;
	bool		any = false;

	for (const CrmColumn *c = entity->columns; c && c->name; c++)
		if (c->flags & CRM_COL_NOT_IN_ITEM)
			any = true;
	if (!any || entity->item_path == NULL)
		return false;

	/*
	 * The rows an UPDATE or DELETE targets are read whole, for PostgreSQL
	 * builds the new row from them, but what matters is what the query
	 * checks here, and a DELETE's RETURNING: what an UPDATE writes comes
	 * from the statement, and its RETURNING is read back after the write.
	 */
	if (baserel->relid == (Index) root->parse->resultRelation)
	{
		/* fields sent along from the row as read (person/update's) */
		if (root->parse->commandType == CMD_UPDATE)
			for (const CrmWriteRoute *r = entity->update; r && r->method; r++)
				for (const char *const *c = r->carry; c && *c; c++)
				{
					const CrmColumn *column = crm_written_column(entity, *c);

					if (column && (column->flags & CRM_COL_NOT_IN_ITEM))
						return true;
				}
		if (root->parse->commandType == CMD_DELETE)
			pull_varattnos((Node *) root->parse->returningList, baserel->relid, &used);
		for (ListCell *lc = list_head(baserel->joininfo); lc;
			 lc = lnext(baserel->joininfo, lc))
			pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
						   baserel->relid, &used);
	}
	else
		pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &used);
	for (ListCell *lc = list_head(baserel->baserestrictinfo); lc;
		 lc = lnext(baserel->baserestrictinfo, lc))
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &used);
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, used))
		return true;
	for (int x = -1; (x = bms_next_member(used, x)) >= 0;)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;
		const CrmColumn *column;

		if (attnum <= 0)
			continue;
		column = crm_find_column_by_field(entity, crm_column_field(relid, attnum, entity));
		if (column && (column->flags & CRM_COL_NOT_IN_ITEM))
			return true;
	}
	return false;
}

static Oid
planning_user(RelOptInfo *baserel)
{
	return OidIsValid(baserel->userid) ? baserel->userid : GetUserId();
}

CrmRelInfo *
crm_rel_info(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	CrmRelInfo *info = palloc0(sizeof(CrmRelInfo));
	Relation	rel;
	int			nfilters = 0;
	bool	   *seen;
	ListCell   *lc;

	info->table = GetForeignTable(foreigntableid);
	info->server = GetForeignServer(info->table->serverid);
	crm_server_options(info->server, &info->server_options);
	crm_table_options(info->table, &info->server_options, false,
					  &info->table_options);
	info->entity = info->table_options.entity;
	info->page_size = crm_page_size(&info->server_options, info->entity);
	info->full_rows = info->table_options.rows >= 0 ?
		info->table_options.rows : info->entity->default_rows;
	info->remote_rows = -1;

	rel = table_open(foreigntableid, NoLock);
	crm_check_columns(rel, info->server_options.provider, info->entity,
					  &info->table_options);
	crm_column_map(rel, info->entity, false, &info->map);
	table_close(rel, NoLock);

	if (reads_beyond_item(root, baserel, foreigntableid, info->entity))
	{
		if (info->entity->item_completion)
			info->map.complete_items = true;
		else
			info->map.no_item = true;
	}

	if (info->server_options.provider->filters_probe &&
		needs_account_filters(root, baserel, info->entity, &info->map))
	{
		CrmTarget	target;

		crm_target_init(&target, info->server);
		crm_target_connect(&target, planning_user(baserel), NULL);
		info->map.filters_off = crm_filters_off(&target);
	}

	/*
	 * Sort WHERE conditions into pushed and local.  The API returns exactly
	 * the matching rows only if each condition is exact and no parameter is
	 * wanted twice (the second condition stays local).
	 */
	for (const CrmFilter *f = info->entity->filters; f && f->column; f++)
		nfilters++;
	seen = palloc0(sizeof(bool) * (nfilters * 2 + 2));
	info->all_exact = true;
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition cond;

		if (crm_classify(root, baserel, &info->map, rinfo->clause, &cond))
		{
			int			slot = (cond.filter == CRM_KEY_FILTER) ? nfilters * 2 :
				cond.filter * 2 + ((cond.op & CRM_OP_UPPER) ? 1 : 0);

			info->pushed = lappend(info->pushed, rinfo);
			if (!cond.exact || seen[slot])
				info->all_exact = false;
			seen[slot] = true;
		}
		else
		{
			info->local = lappend(info->local, rinfo);
			info->all_exact = false;
		}
	}
	return info;
}

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
	*requests = info->entity->constant_rows ? 0 : info->page_size > 0 ?
		Max(ceil(*api_rows / info->page_size), 1) : 1;

	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition *cond = palloc(sizeof(CrmCondition));

		if (!crm_classify(root, baserel, &info->map, rinfo->clause, cond))
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

	/* a path no condition fixes is read once for each of its values */
	for (const CrmFilter *f = info->entity->filters; f && f->column; f++)
	{
		bool		fixed = false;

		if (!f->domain || !(f->in_path || f->fan_out))
			continue;
		foreach(lc, conditions)
		{
			CrmCondition *cond = (CrmCondition *) lfirst(lc);

			if (cond->filter >= 0 && &info->entity->filters[cond->filter] == f)
				fixed = true;
		}
		if (!fixed)
		{
			int			n = 0;

			for (const char *const *v = f->domain; *v; v++)
				n++;
			*requests = Max(*requests, n);
		}
	}
}

/* Pages of a listing without conditions. */
int
crm_full_pages(CrmRelInfo *info)
{
	if (info->entity->constant_rows)
		return 0;
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
	CrmPager	pager;
	json_t	   *rows;
	double		n;
	ListCell   *lc;

	foreach(lc, info->pushed)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition *cond = palloc(sizeof(CrmCondition));
		CrmRenderedCondition *rc = palloc0(sizeof(CrmRenderedCondition));

		if (!crm_classify(root, baserel, &info->map, rinfo->clause, cond))
			continue;
		if (cond->value && !IsA(cond->value, Const))
			continue;
		crm_render_condition(info->entity, cond,
							 cond->value ? ((Const *) cond->value)->constvalue : (Datum) 0,
							 cond->value ? ((Const *) cond->value)->constisnull : false,
							 info->server_options.time_zone, rc);
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
	crm_target_init(&target, info->server);
	crm_target_connect(&target, planning_user(baserel), NULL);
	crm_pager_start(&pager, target.provider, info->entity, info->page_size, 0,
					CurrentMemoryContext);
	if (info->entity->constant_rows)
		return -1;

	rows = crm_fetch_page(&target, info->entity, linitial(calls), &pager, 0,
						  &counters);
	n = json_array_size(rows);
	if (pager.done)
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
			crm_classify(root, baserel, &info->map, rinfo->clause, &cond) &&
			(cond.op == CRM_OP_EQ || cond.op == CRM_OP_IN))
			result = lappend(result, rinfo);
	}

	/* equalities implied by equivalence classes: d.id = l.deal_id */
	if (info->map.key_attnum)
		attnums = list_append_unique_int(attnums, info->map.key_attnum);
	for (int i = 0; info->entity->filters && info->entity->filters[i].column; i++)
		if (info->map.filter_attnum[i] && (info->entity->filters[i].ops & CRM_OP_EQ))
			attnums = list_append_unique_int(attnums, info->map.filter_attnum[i]);
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

			if (crm_classify(root, baserel, &info->map, rinfo->clause, &cond))
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

/*
 * The plan: the conditions the API evaluates with their values' expressions
 * (in fdw_exprs), and how much of the listing the query may need.
 * PostgreSQL rechecks every condition, pushed or not.
 */
ForeignScan *
crm_make_plan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
			  ForeignPath *best_path, List *tlist, List *scan_clauses,
			  Plan *outer_plan)
{
	CrmRelInfo *info = (CrmRelInfo *) baserel->fdw_private;
	CrmScanSpec spec;
	List	   *fdw_exprs = NIL;
	const char *missing;
	ListCell   *lc;

	memset(&spec, 0, sizeof(spec));
	spec.entity_name = info->entity->name;
	spec.filters_off = info->map.filters_off;
	spec.complete_items = info->map.complete_items;

	foreach(lc, scan_clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition *cond = palloc(sizeof(CrmCondition));

		if (!crm_classify(root, baserel, &info->map, rinfo->clause, cond))
			continue;
		if (cond->value)
		{
			cond->value_index = list_length(fdw_exprs);
			fdw_exprs = lappend(fdw_exprs, cond->value);
		}
		spec.conditions = lappend(spec.conditions, cond);
	}

	missing = crm_missing_required(info->entity, spec.conditions);
	if (missing)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
				 errmsg("%s lists %s only for given %s values",
						info->server_options.provider->display_name,
						info->entity->name, missing),
				 errhint("Add a condition such as WHERE %s = ... or %s IN (...), or join on %s.",
						 missing, missing, missing)));

	/*
	 * The query needs at most limit_tuples rows from this scan if it is the
	 * only relation, nothing reorders or filters rows after it, and the API
	 * applies every condition exactly.  Then the first page asks for no more.
	 */
	if (root->limit_tuples > 0 && info->all_exact &&
		best_path->path.param_info == NULL &&
		bms_membership(root->all_baserels) == BMS_SINGLETON &&
		root->parse->sortClause == NIL)
		spec.limit_hint = (int) Min(root->limit_tuples, (double) INT_MAX);

	spec.full_pages = crm_full_pages(info);
	spec.retrieved_attrs = crm_retrieved_attrs(baserel, foreigntableid,
											   scan_clauses);

	return make_foreignscan(tlist,
							extract_actual_clauses(scan_clauses, false),
							baserel->relid,
							fdw_exprs,
							crm_spec_to_list(&spec),
							NIL, NIL, outer_plan);
}
