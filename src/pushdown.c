/*-------------------------------------------------------------------------
 *
 * pushdown.c
 *		While planning: decides which WHERE and join conditions a CRM's API
 *		can evaluate, and packs them into the scan spec a plan carries.
 *
 * The rule that keeps results right: a pushed condition only ever narrows
 * the rows requested to a superset of the rows that match, and PostgreSQL
 * rechecks every condition on every row.  So a condition is pushed only
 * where its value can be spelled as the API compares (ranges are rounded
 * outwards when the values are spelled, in calls.c), and a text comparison
 * under a nondeterministic collation stays local.
 *
 * Never touches the network, and never spells a value: values are known
 * only when the scan starts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "option.h"
#include "pushdown.h"

#define USECS_PER_SEC_I64	INT64CONST(1000000)

static int
count_filters(const CrmEntity *entity)
{
	int			n = 0;

	for (const CrmFilter *f = entity->filters; f && f->column; f++)
		n++;
	return n;
}

/* Which column reads each filtered field, and which the key. */
void
crm_column_map(Relation rel, const CrmEntity *entity, bool filters_off,
			   CrmColumnMap *map)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			nfilters = count_filters(entity);

	memset(map, 0, sizeof(*map));
	map->entity = entity;
	map->filters_off = filters_off;
	map->filter_attnum = palloc0(sizeof(AttrNumber) * Max(nfilters, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		char	   *field;

		if (attr->attisdropped)
			continue;
		field = crm_column_field(RelationGetRelid(rel), attr->attnum, entity);
		for (int f = 0; f < nfilters; f++)
			if (map->filter_attnum[f] == 0 &&
				strcmp(field, entity->filters[f].column) == 0)
				map->filter_attnum[f] = attr->attnum;
		if (map->key_attnum == 0 && entity->key &&
			strcmp(field, entity->key) == 0)
			map->key_attnum = attr->attnum;
	}
}

static bool
is_column(RelOptInfo *baserel, Node *node)
{
	Var		   *var = (Var *) node;

	return node && IsA(node, Var) && var->varno == baserel->relid &&
		var->varlevelsup == 0 && var->varattno > 0;
}

/* Something whose value is known when the scan starts. */
static bool
is_value(PlannerInfo *root, RelOptInfo *baserel, Node *node)
{
	return !bms_is_member(baserel->relid, pull_varnos(root, node)) &&
		!contain_volatile_functions(node) &&
		!contain_subplans(node);
}

/*
 * The API compares text byte for byte; under a nondeterministic collation
 * ('Won' = 'won') it would return fewer rows than PostgreSQL matches.
 */
static bool
collation_is_exact(Oid collid)
{
	return !OidIsValid(collid) || get_collation_isdeterministic(collid);
}

static Node *
strip_relabel(Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

static int
operator_kind(Oid opno)
{
	char	   *name;
	int			op = 0;

	/* only the built-in operators mean what their names say */
	if (!OidIsValid(opno) || opno >= FirstNormalObjectId)
		return 0;
	name = get_opname(opno);
	if (name == NULL)
		return 0;
	if (strcmp(name, "=") == 0)
		op = CRM_OP_EQ;
	else if (strcmp(name, ">=") == 0)
		op = CRM_OP_GE;
	else if (strcmp(name, ">") == 0)
		op = CRM_OP_GT;
	else if (strcmp(name, "<") == 0)
		op = CRM_OP_LT;
	else if (strcmp(name, "<=") == 0)
		op = CRM_OP_LE;
	pfree(name);
	return op;
}

static bool
is_integer_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID;
}

static bool
is_number_type(Oid type)
{
	return is_integer_type(type) || type == NUMERICOID ||
		type == FLOAT4OID || type == FLOAT8OID;
}

static bool
is_time_format(CrmValueFormat format)
{
	return format == CRM_FMT_RFC3339 || format == CRM_FMT_DATE ||
		format == CRM_FMT_UNIX || format == CRM_FMT_LOCAL;
}

/* Can a value of value_type, compared with a column of column_type, be spelled? */
static bool
types_fit(CrmValueFormat format, Oid column_type, Oid value_type)
{
	switch (format)
	{
		case CRM_FMT_INTEGER:
			/* numeric values too: 42.0 spells as 42, 42.5 matches nothing */
			return (is_integer_type(column_type) || column_type == NUMERICOID) &&
				(is_integer_type(value_type) || value_type == NUMERICOID);
		case CRM_FMT_NUMBER:
			return is_number_type(column_type) && is_number_type(value_type) &&
				column_type != FLOAT4OID && column_type != FLOAT8OID;
		case CRM_FMT_TEXT:
			return (column_type == TEXTOID || column_type == VARCHAROID ||
					column_type == UUIDOID) && column_type == value_type;
		case CRM_FMT_BOOL:
		case CRM_FMT_BOOL01:
			return column_type == BOOLOID && value_type == BOOLOID;
		case CRM_FMT_RFC3339:
		case CRM_FMT_DATE:
		case CRM_FMT_UNIX:
		case CRM_FMT_LOCAL:
			if (column_type == TIMESTAMPTZOID)
				return value_type == TIMESTAMPTZOID ||
					value_type == TIMESTAMPOID || value_type == DATEOID;
			/* a timestamp column holds wall-clock times of the API's zone */
			if (column_type == TIMESTAMPOID)
				return value_type == TIMESTAMPOID || value_type == DATEOID;
			return false;
		case CRM_FMT_AUTO:
			return false;
	}
	return false;
}

/*
 * Whether the API selects exactly the rows the condition does.  Equality
 * is exact; a range only when its constant falls on the API's granularity
 * and the bound is spelled as the API compares it.
 */
static bool
condition_is_exact(const CrmEntity *entity, const CrmCondition *cond)
{
	const CrmFilter *filter;
	Const	   *c;
	bool		inclusive_upper;

	if (!(cond->op & CRM_OP_RANGE))
		return true;
	filter = crm_condition_filter(entity, cond);
	if (filter == NULL || cond->value == NULL || !IsA(cond->value, Const))
		return false;
	c = (Const *) cond->value;
	if (c->constisnull)
		return true;
	inclusive_upper = filter->upper_inclusive;

	/* whole numbers of a whole-number column spell exactly */
	if (filter->format == CRM_FMT_INTEGER || filter->format == CRM_FMT_NUMBER)
		return is_integer_type(cond->column_type) && is_integer_type(cond->value_type);

	if (filter->format == CRM_FMT_DATE ||
		cond->column_type != TIMESTAMPTZOID || cond->value_type != TIMESTAMPTZOID)
		return false;
	if (DatumGetTimestampTz(c->constvalue) % USECS_PER_SEC_I64 != 0)
		return false;
	/* >= is exact; so is < with an exclusive upper bound, <= with an inclusive */
	return cond->op == CRM_OP_GE ||
		(cond->op == CRM_OP_LT && !inclusive_upper) ||
		(cond->op == CRM_OP_LE && inclusive_upper);
}

/* The filter a condition uses; for the key, the list filter on it, if any. */
const CrmFilter *
crm_condition_filter(const CrmEntity *entity, const CrmCondition *cond)
{
	if (cond->filter != CRM_KEY_FILTER)
		return &entity->filters[cond->filter];
	for (const CrmFilter *f = entity->filters; f && f->column; f++)
		if (strcmp(f->column, entity->key) == 0 && (f->ops & cond->op) &&
			f->pair_column == NULL)
			return f;
	return NULL;
}

static CrmValueFormat
key_format(const CrmEntity *entity)
{
	const CrmColumn *key = crm_find_column_by_field(entity, entity->key);

	if (key && (strcmp(key->type, "bigint") == 0 ||
				strcmp(key->type, "integer") == 0))
		return CRM_FMT_INTEGER;
	return CRM_FMT_TEXT;
}

CrmValueFormat
crm_condition_format(const CrmEntity *entity, const CrmCondition *cond)
{
	if (cond->filter == CRM_KEY_FILTER)
		return key_format(entity);
	return entity->filters[cond->filter].format;
}

bool
crm_classify(PlannerInfo *root, RelOptInfo *baserel, const CrmColumnMap *map,
			 Expr *clause, CrmCondition *cond)
{
	const CrmEntity *entity = map->entity;
	Var		   *var;
	CrmValueFormat format;

	memset(cond, 0, sizeof(*cond));
	cond->value_index = -1;

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *opexpr = (OpExpr *) clause;
		Node	   *left;
		Node	   *right;

		if (list_length(opexpr->args) != 2 || !collation_is_exact(opexpr->inputcollid))
			return false;
		left = strip_relabel(linitial(opexpr->args));
		right = strip_relabel(lsecond(opexpr->args));
		if (is_column(baserel, left) && is_value(root, baserel, right))
		{
			var = (Var *) left;
			cond->value = (Expr *) right;
			cond->op = operator_kind(opexpr->opno);
		}
		else if (is_column(baserel, right) && is_value(root, baserel, left))
		{
			var = (Var *) right;
			cond->value = (Expr *) left;
			cond->op = operator_kind(get_commutator(opexpr->opno));
		}
		else
			return false;
		cond->value_type = exprType((Node *) cond->value);
	}
	else if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Node	   *left = strip_relabel(linitial(saop->args));
		Node	   *right = lsecond(saop->args);

		if (!saop->useOr || !collation_is_exact(saop->inputcollid) ||
			!is_column(baserel, left) ||
			!is_value(root, baserel, right) ||
			operator_kind(saop->opno) != CRM_OP_EQ)
			return false;
		var = (Var *) left;
		cond->value = (Expr *) right;
		cond->op = CRM_OP_IN;
		cond->value_type = get_element_type(exprType(right));
		if (!OidIsValid(cond->value_type))
			return false;
	}
	else if (is_column(baserel, (Node *) clause) &&
			 exprType((Node *) clause) == BOOLOID)
	{
		var = (Var *) clause;
		cond->op = CRM_OP_BOOL;
		cond->bool_value = true;
		cond->value_type = BOOLOID;
	}
	else if (is_notclause(clause) &&
			 is_column(baserel, (Node *) get_notclausearg(clause)) &&
			 exprType((Node *) get_notclausearg(clause)) == BOOLOID)
	{
		var = (Var *) get_notclausearg(clause);
		cond->op = CRM_OP_BOOL;
		cond->bool_value = false;
		cond->value_type = BOOLOID;
	}
	else
		return false;

	if (cond->op == 0)
		return false;
	cond->column_type = var->vartype;

	/* the key: = and IN fetch items by key */
	if (var->varattno == map->key_attnum && entity->item_path && !map->no_item &&
		(cond->op == CRM_OP_EQ || cond->op == CRM_OP_IN))
	{
		cond->filter = CRM_KEY_FILTER;
		format = key_format(entity);
	}
	else
	{
		int			i;

		cond->filter = -2;
		for (i = 0; entity->filters && entity->filters[i].column; i++)
		{
			const CrmFilter *f = &entity->filters[i];

			if (map->filter_attnum[i] != var->varattno || !(f->ops & cond->op))
				continue;
			/* filters the account does not apply are no filters */
			if (f->account_feature && map->filters_off)
				continue;
			cond->filter = i;
			break;
		}
		if (cond->filter == -2)
			return false;
		format = entity->filters[i].format;
	}

	if ((cond->op & CRM_OP_RANGE) && !is_time_format(format) &&
		format != CRM_FMT_INTEGER && format != CRM_FMT_NUMBER)
		return false;
	if (!types_fit(format, cond->column_type, cond->value_type))
		return false;

	/* a pair filter applies only beside a condition on its pair */
	cond->exact = condition_is_exact(entity, cond) &&
		(cond->filter == CRM_KEY_FILTER ||
		 entity->filters[cond->filter].pair_column == NULL);
	return true;
}

/* The columns a scan must convert: those its output and conditions read. */
List *
crm_retrieved_attrs(RelOptInfo *baserel, Oid foreigntableid, List *scan_clauses)
{
	Bitmapset  *attrs_used = NULL;
	List	   *attrs = NIL;
	Relation	rel;
	TupleDesc	desc;
	bool		whole_row;
	ListCell   *lc;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs_used);
	foreach(lc, scan_clauses)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &attrs_used);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs_used);

	rel = table_open(foreigntableid, NoLock);
	desc = RelationGetDescr(rel);
	for (int i = 0; i < desc->natts; i++)
	{
		AttrNumber	attnum = i + 1;

		if (TupleDescAttr(desc, i)->attisdropped)
			continue;
		if (whole_row ||
			bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs_used))
			attrs = lappend_int(attrs, attnum);
	}
	table_close(rel, NoLock);
	return attrs;
}

/*
 * The field of a filter the listing cannot do without, if no condition
 * gives it.  An in-path filter with a known domain is not missing: the
 * scan reads each value's path in turn.
 */
const char *
crm_missing_required(const CrmEntity *entity, List *conditions)
{
	for (int i = 0; entity->filters && entity->filters[i].column; i++)
	{
		const CrmFilter *f = &entity->filters[i];
		bool		found = false;
		ListCell   *lc;

		if (!f->required || (f->domain && (f->in_path || f->fan_out)))
			continue;
		foreach(lc, conditions)
		{
			CrmCondition *cond = (CrmCondition *) lfirst(lc);

			if (cond->filter == i &&
				(cond->op == CRM_OP_EQ || cond->op == CRM_OP_IN))
				found = true;
		}
		if (!found)
			return f->column;
	}
	return NULL;
}

/* ---- the plan's copy of a scan spec ---- */

List *
crm_spec_to_list(CrmScanSpec *spec)
{
	List	   *conditions = NIL;
	ListCell   *lc;

	foreach(lc, spec->conditions)
	{
		CrmCondition *cond = (CrmCondition *) lfirst(lc);
		List	   *c = NIL;

		c = lappend_int(c, cond->filter);
		c = lappend_int(c, cond->op);
		c = lappend_int(c, cond->value_index);
		c = lappend_int(c, cond->bool_value);
		c = lappend_int(c, (int) cond->value_type);
		c = lappend_int(c, (int) cond->column_type);
		c = lappend_int(c, cond->exact);
		conditions = lappend(conditions, c);
	}
	return list_make5(makeString(pstrdup(spec->entity_name)),
					  conditions,
					  list_make4(makeInteger(spec->limit_hint),
								 makeInteger(spec->full_pages),
								 makeInteger(spec->filters_off),
								 makeInteger(spec->complete_items)),
					  spec->retrieved_attrs,
					  NIL);
}

void
crm_spec_from_list(List *list, CrmScanSpec *spec)
{
	List	   *numbers = (List *) lthird(list);
	ListCell   *lc;

	spec->entity_name = strVal(linitial(list));
	spec->conditions = NIL;
	foreach(lc, (List *) lsecond(list))
	{
		List	   *c = (List *) lfirst(lc);
		CrmCondition *cond = palloc0(sizeof(CrmCondition));

		cond->filter = list_nth_int(c, 0);
		cond->op = list_nth_int(c, 1);
		cond->value_index = list_nth_int(c, 2);
		cond->bool_value = list_nth_int(c, 3);
		cond->value_type = (Oid) list_nth_int(c, 4);
		cond->column_type = (Oid) list_nth_int(c, 5);
		cond->exact = list_nth_int(c, 6);
		spec->conditions = lappend(spec->conditions, cond);
	}
	spec->limit_hint = intVal(linitial(numbers));
	spec->full_pages = intVal(lsecond(numbers));
	spec->filters_off = intVal(lthird(numbers));
	spec->complete_items = intVal(lfourth(numbers));
	spec->retrieved_attrs = (List *) lfourth(list);
}
