/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		Decides which WHERE and join conditions a CRM's API can evaluate,
 *		and turns them, once their values are known, into the fewest calls.
 *
 * The rule that keeps results right: a pushed condition only ever narrows
 * the rows requested to a superset of the rows that match, and PostgreSQL
 * rechecks every condition on every row.  So ranges are rounded outwards to
 * what the API can spell, a condition the API cannot express stays local,
 * and where two conditions compete for one parameter the second stays
 * local.  A value that no row can hold (NULL, a status the listing never
 * returns) needs no request at all.
 *
 * Never touches the network.
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
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "deparse.h"
#include "json_datum.h"

#define USECS_PER_SEC_I64	INT64CONST(1000000)

/* ---- planning ---- */

static CrmValueFormat
key_format(const CrmEntity *entity)
{
	const CrmColumn *key = crm_find_column(entity, entity->key);

	if (key && (strcmp(key->type, "bigint") == 0 ||
				strcmp(key->type, "integer") == 0))
		return CRM_FMT_INTEGER;
	return CRM_FMT_TEXT;
}

/* The filter a condition uses; for the key, the list filter on it, if any. */
const CrmFilter *
crm_condition_filter(const CrmEntity *entity, const CrmCondition *cond)
{
	if (cond->filter != CRM_KEY_FILTER)
		return &entity->filters[cond->filter];
	for (const CrmFilter *f = entity->filters; f->column; f++)
		if (strcmp(f->column, entity->key) == 0 && (f->ops & cond->op))
			return f;
	return NULL;
}

static CrmValueFormat
condition_format(const CrmEntity *entity, const CrmCondition *cond)
{
	if (cond->filter == CRM_KEY_FILTER)
		return key_format(entity);
	return entity->filters[cond->filter].format;
}

CrmRelInfo *
crm_rel_info(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	CrmRelInfo *info = palloc0(sizeof(CrmRelInfo));
	Relation	rel;
	TupleDesc	desc;
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

	for (const CrmFilter *f = info->entity->filters; f->column; f++)
		nfilters++;
	info->filter_attnum = palloc0(sizeof(AttrNumber) * Max(nfilters, 1));

	/* which column reads each filtered field, and the key */
	rel = table_open(foreigntableid, NoLock);
	crm_check_columns(rel, info->server_options.provider, info->entity,
					  &info->table_options);
	desc = RelationGetDescr(rel);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		char	   *field;

		if (attr->attisdropped)
			continue;
		field = crm_column_field(foreigntableid, attr->attnum, info->entity);
		for (int f = 0; f < nfilters; f++)
			if (info->filter_attnum[f] == 0 &&
				strcmp(field, info->entity->filters[f].column) == 0)
				info->filter_attnum[f] = attr->attnum;
		if (info->key_attnum == 0 && info->entity->key &&
			strcmp(field, info->entity->key) == 0)
			info->key_attnum = attr->attnum;
	}
	table_close(rel, NoLock);

	/*
	 * Sort WHERE conditions into pushed and local.  The API returns exactly
	 * the matching rows only if each condition is exact and no parameter is
	 * wanted twice (the second condition stays local).
	 */
	seen = palloc0(sizeof(bool) * (nfilters * 2 + 2));
	info->all_exact = true;
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CrmCondition cond;

		if (crm_classify(root, baserel, info, rinfo->clause, &cond))
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
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == NUMERICOID;
}

static bool
is_time_format(CrmValueFormat format)
{
	return format == CRM_FMT_RFC3339 || format == CRM_FMT_DATE ||
		format == CRM_FMT_UNIX;
}

/* Can a value of value_type, compared with a column of column_type, be spelled? */
static bool
types_fit(CrmValueFormat format, Oid column_type, Oid value_type)
{
	switch (format)
	{
		case CRM_FMT_INTEGER:
			return is_integer_type(column_type) && is_integer_type(value_type);
		case CRM_FMT_TEXT:
			return (column_type == TEXTOID || column_type == VARCHAROID ||
					column_type == UUIDOID) && column_type == value_type;
		case CRM_FMT_BOOL:
			return column_type == BOOLOID && value_type == BOOLOID;
		case CRM_FMT_RFC3339:
		case CRM_FMT_DATE:
		case CRM_FMT_UNIX:
			/* a timestamp column holds UTC wall-clock times */
			if (column_type == TIMESTAMPTZOID)
				return value_type == TIMESTAMPTZOID ||
					value_type == TIMESTAMPOID || value_type == DATEOID;
			if (column_type == TIMESTAMPOID)
				return value_type == TIMESTAMPOID || value_type == DATEOID;
			return false;
	}
	return false;
}

/*
 * Whether the API selects exactly the rows the condition does.  Equality is
 * exact; a range only when its constant falls on the API's granularity, so
 * that rounding outwards changes nothing.
 */
static bool
condition_is_exact(const CrmEntity *entity, const CrmCondition *cond)
{
	const CrmFilter *filter;
	Const	   *c;

	if (!(cond->op & (CRM_OP_LOWER | CRM_OP_UPPER)))
		return true;
	filter = crm_condition_filter(entity, cond);
	if (filter == NULL || filter->format == CRM_FMT_DATE ||
		cond->value == NULL || !IsA(cond->value, Const) ||
		cond->column_type != TIMESTAMPTZOID ||
		cond->value_type != TIMESTAMPTZOID)
		return false;
	c = (Const *) cond->value;
	if (c->constisnull)
		return true;
	if (DatumGetTimestampTz(c->constvalue) % USECS_PER_SEC_I64 != 0)
		return false;
	/* >= and an exclusive < spell exactly; > and <= do not */
	return cond->op == CRM_OP_GE || (cond->op == CRM_OP_LT && !filter->upper_inclusive);
}

bool
crm_classify(PlannerInfo *root, RelOptInfo *baserel, CrmRelInfo *info,
			 Expr *clause, CrmCondition *cond)
{
	const CrmEntity *entity = info->entity;
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
	if (var->varattno == info->key_attnum && entity->item_path &&
		(cond->op == CRM_OP_EQ || cond->op == CRM_OP_IN))
	{
		cond->filter = CRM_KEY_FILTER;
		format = key_format(entity);
	}
	else
	{
		int			i;

		cond->filter = -2;
		for (i = 0; entity->filters[i].column; i++)
			if (info->filter_attnum[i] == var->varattno &&
				(entity->filters[i].ops & cond->op))
			{
				cond->filter = i;
				break;
			}
		if (cond->filter == -2)
			return false;
		format = entity->filters[i].format;
	}

	if ((cond->op & (CRM_OP_LOWER | CRM_OP_UPPER)) && !is_time_format(format))
		return false;
	if (!types_fit(format, cond->column_type, cond->value_type))
		return false;

	cond->exact = condition_is_exact(entity, cond);
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

const char *
crm_missing_required(const CrmEntity *entity, List *conditions)
{
	for (int i = 0; entity->filters[i].column; i++)
	{
		bool		found = false;
		ListCell   *lc;

		if (!entity->filters[i].required)
			continue;
		foreach(lc, conditions)
		{
			CrmCondition *cond = (CrmCondition *) lfirst(lc);

			if (cond->filter == i &&
				(cond->op == CRM_OP_EQ || cond->op == CRM_OP_IN))
				found = true;
		}
		if (!found)
			return entity->filters[i].column;
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
					  makeInteger(spec->limit_hint),
					  makeInteger(spec->full_pages),
					  spec->retrieved_attrs);
}

void
crm_spec_from_list(List *list, CrmScanSpec *spec)
{
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
	spec->limit_hint = intVal(lthird(list));
	spec->full_pages = intVal(lfourth(list));
	spec->retrieved_attrs = (List *) list_nth(list, 4);
}

/* ---- execution: spelling values ---- */

/* An integer value's decimal spelling, or NULL if it is not an integer. */
static char *
integer_text(Datum value, Oid type)
{
	switch (type)
	{
		case INT2OID:
			return psprintf("%d", (int) DatumGetInt16(value));
		case INT4OID:
			return psprintf("%d", DatumGetInt32(value));
		case INT8OID:
			return psprintf(INT64_FORMAT, DatumGetInt64(value));
		case NUMERICOID:
			{
				char	   *text = OidOutputFunctionCall(F_NUMERIC_OUT, value);
				char	   *dot = strchr(text, '.');

				if (strspn(text + (*text == '-'), "0123456789.") !=
					strlen(text + (*text == '-')))
					return NULL;	/* NaN, Infinity */
				if (dot)
				{
					for (const char *p = dot + 1; *p; p++)
						if (*p != '0')
							return NULL;
					*dot = '\0';
				}
				return text;
			}
	}
	return NULL;
}

static char *
scalar_text(CrmValueFormat format, Datum value, Oid type)
{
	Oid			output;
	bool		varlena;

	switch (format)
	{
		case CRM_FMT_INTEGER:
			return integer_text(value, type);
		case CRM_FMT_BOOL:
			return pstrdup(DatumGetBool(value) ? "true" : "false");
		default:
			getTypeOutputInfo(type, &output, &varlena);
			return crm_to_utf8(OidOutputFunctionCall(output, value));
	}
}

static bool
in_domain(const CrmFilter *filter, const char *text)
{
	if (filter == NULL || filter->domain == NULL)
		return true;
	for (const char *const *v = filter->domain; *v; v++)
		if (strcmp(*v, text) == 0)
			return true;
	return false;
}

/*
 * The instant a time value stands for in the comparison PostgreSQL makes:
 * a timestamp or date compared with a timestamptz column is read in the
 * session's zone, exactly as the cross-type operators do; compared with a
 * timestamp column (which holds UTC wall-clock times) it is UTC.  Returns
 * -1 for -infinity, 1 for +infinity, 0 otherwise.
 */
static int
time_instant(Datum value, Oid type, Oid column_type, TimestampTz *instant)
{
	int			overflow = 0;

	switch (type)
	{
		case TIMESTAMPTZOID:
			*instant = DatumGetTimestampTz(value);
			break;
		case TIMESTAMPOID:
			*instant = DatumGetTimestamp(value);
			if (!TIMESTAMP_NOT_FINITE(*instant) && column_type == TIMESTAMPTZOID)
				*instant = timestamp2timestamptz_opt_overflow(*instant, &overflow);
			break;
		case DATEOID:
			{
				DateADT		date = DatumGetDateADT(value);

				if (DATE_IS_NOBEGIN(date))
					return -1;
				if (DATE_IS_NOEND(date))
					return 1;
				if (column_type == TIMESTAMPTZOID)
					*instant = date2timestamptz_opt_overflow(date, &overflow);
				else
					*instant = date2timestamp_opt_overflow(date, &overflow);
			}
			break;
		default:
			elog(ERROR, "unexpected time type %u", type);
	}
	if (overflow != 0)
		return overflow;
	if (TIMESTAMP_IS_NOBEGIN(*instant))
		return -1;
	if (TIMESTAMP_IS_NOEND(*instant))
		return 1;
	return 0;
}

static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The spelling of a UTC instant; NULL if the API cannot spell the year. */
static char *
time_text(CrmValueFormat format, TimestampTz instant)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (format == CRM_FMT_UNIX)
		return psprintf(INT64_FORMAT,
						floor_div(instant, USECS_PER_SEC_I64) +
						(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
	if (timestamp2tm(instant, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1 || tm.tm_year > 9999)
		return NULL;
	if (format == CRM_FMT_DATE)
		return psprintf("%04d-%02d-%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * A range bound, rounded outwards to the API's granularity so the API
 * returns a superset: lower bounds down, exclusive upper bounds up, and
 * inclusive upper bounds to the last granule that can still match.
 */
static void
render_bound(const CrmFilter *filter, const CrmCondition *cond, Datum value,
			 CrmRenderedCondition *out)
{
	int64		granule = filter->format == CRM_FMT_DATE ?
		USECS_PER_DAY : USECS_PER_SEC_I64;
	bool		lower = (cond->op & CRM_OP_LOWER) != 0;
	TimestampTz instant;
	int64		floor_v;
	int64		ceil_v;
	int64		bound;
	int			infinite;
	char	   *text;

	infinite = time_instant(value, cond->value_type, cond->column_type, &instant);
	if (infinite != 0)
	{
		/* > +infinity and < -infinity match nothing; the others everything */
		if ((lower && infinite > 0) || (!lower && infinite < 0))
			out->values = NIL;
		else
			out->unbounded = true;
		return;
	}

	floor_v = floor_div(instant, granule) * granule;
	ceil_v = (floor_v == instant) ? floor_v : floor_v + granule;
	if (lower)
		bound = floor_v;
	else if (!filter->upper_inclusive)
		bound = (cond->op == CRM_OP_LT) ? ceil_v : floor_v + granule;
	else
		bound = (cond->op == CRM_OP_LT) ? ceil_v - granule : floor_v;

	text = time_text(filter->format, bound);
	if (text == NULL)
		out->unbounded = true;
	else
		out->values = list_make1(text);
}

static bool
contains_text(List *values, const char *text)
{
	ListCell   *lc;

	foreach(lc, values)
		if (strcmp((char *) lfirst(lc), text) == 0)
			return true;
	return false;
}

void
crm_render_condition(const CrmEntity *entity, const CrmCondition *cond,
					 Datum value, bool isnull, CrmRenderedCondition *out)
{
	const CrmFilter *filter = crm_condition_filter(entity, cond);
	CrmValueFormat format = condition_format(entity, cond);

	out->cond = cond;
	out->values = NIL;
	out->unbounded = false;

	if (cond->op == CRM_OP_BOOL)
	{
		out->values = list_make1(pstrdup(cond->bool_value ? "true" : "false"));
		return;
	}
	/* col = NULL, col < NULL, col = ANY(NULL): nothing matches */
	if (isnull)
		return;

	if (cond->op == CRM_OP_IN)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		crm_array_elements(value, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			char	   *text;

			if (nulls[i])
				continue;
			text = scalar_text(format, elems[i], cond->value_type);
			if (text && in_domain(filter, text) && !contains_text(out->values, text))
				out->values = lappend(out->values, text);
		}
		return;
	}

	if (cond->op == CRM_OP_EQ)
	{
		char	   *text = scalar_text(format, value, cond->value_type);

		if (text && in_domain(filter, text))
			out->values = list_make1(text);
		return;
	}

	render_bound(filter, cond, value, out);
}

/* ---- execution: the calls ---- */

static CrmCall *
make_item_call(const char *key, bool placeholder)
{
	CrmCall    *call = palloc0(sizeof(CrmCall));

	call->item_key = key;
	call->item_key_placeholder = placeholder;
	return call;
}

/*
 * Every combination of the parameters' chunks: a list of more values than
 * the API takes in one request is split across requests.
 */
static List *
expand_calls(List *params)
{
	List	   *calls = list_make1(palloc0(sizeof(CrmCall)));
	ListCell   *lc;

	foreach(lc, params)
	{
		CrmParam   *param = (CrmParam *) lfirst(lc);
		int			chunk = param->filter->max_list > 0 ?
			param->filter->max_list : list_length(param->values);
		List	   *expanded = NIL;
		ListCell   *lc2;

		foreach(lc2, calls)
		{
			CrmCall    *call = (CrmCall *) lfirst(lc2);

			for (int start = 0; start < list_length(param->values); start += chunk)
			{
				CrmCall    *copy = palloc0(sizeof(CrmCall));
				CrmParam   *part = palloc0(sizeof(CrmParam));

				part->filter = param->filter;
				part->upper = param->upper;
				part->placeholder = param->placeholder;
				part->values = list_truncate(list_copy_tail(param->values, start),
											 chunk);
				copy->params = lappend(list_copy(call->params), part);
				expanded = lappend(expanded, copy);
			}
		}
		calls = expanded;
	}
	return calls;
}

static int
calls_needed(CrmParam *param)
{
	int			chunk = param->filter->max_list;

	if (chunk <= 0)
		return 1;
	return (list_length(param->values) + chunk - 1) / chunk;
}

/* Of two bounds on one range filter, does a narrow the range more than b? */
static bool
bound_is_tighter(const CrmFilter *filter, CrmRenderedCondition *a,
				 CrmRenderedCondition *b)
{
	const char *x;
	const char *y;
	int			cmp;

	if (!(a->cond->op & (CRM_OP_LOWER | CRM_OP_UPPER)) ||
		!(b->cond->op & (CRM_OP_LOWER | CRM_OP_UPPER)) ||
		a->placeholder || b->placeholder)
		return false;
	x = linitial(a->values);
	y = linitial(b->values);
	/* the spellings sort as their times do: fixed-width, or plain integers */
	if (filter->format == CRM_FMT_UNIX && strlen(x) != strlen(y))
		cmp = strlen(x) < strlen(y) ? -1 : 1;
	else
		cmp = strcmp(x, y);
	return (a->cond->op & CRM_OP_LOWER) ? cmp > 0 : cmp < 0;
}

List *
crm_build_calls(const CrmEntity *entity, List *rendered, int full_pages,
				bool *no_rows)
{
	int			nfilters = 0;
	CrmRenderedCondition **chosen;
	CrmRenderedCondition *key = NULL;
	List	   *params = NIL;
	ListCell   *lc;

	*no_rows = false;
	for (const CrmFilter *f = entity->filters; f->column; f++)
		nfilters++;
	chosen = palloc0(sizeof(CrmRenderedCondition *) * (nfilters * 2 + 1));

	foreach(lc, rendered)
	{
		CrmRenderedCondition *rc = (CrmRenderedCondition *) lfirst(lc);
		int			slot;

		if (rc->unbounded)
			continue;
		if (rc->values == NIL)
		{
			*no_rows = true;
			return NIL;
		}
		if (rc->cond->filter == CRM_KEY_FILTER)
		{
			/* an equality beats a list */
			if (key == NULL || (key->cond->op == CRM_OP_IN && rc->cond->op == CRM_OP_EQ))
				key = rc;
			continue;
		}
		slot = rc->cond->filter * 2 + ((rc->cond->op & CRM_OP_UPPER) ? 1 : 0);
		if (chosen[slot] == NULL ||
			(chosen[slot]->cond->op == CRM_OP_IN && rc->cond->op == CRM_OP_EQ) ||
			bound_is_tighter(&entity->filters[rc->cond->filter], rc, chosen[slot]))
			chosen[slot] = rc;
	}

	if (key)
	{
		const CrmFilter *list_filter = crm_condition_filter(entity, key->cond);

		/* one key: its item; several: a list filter if there is one */
		bool		one_key = list_length(key->values) == 1 &&
			!(key->placeholder && key->cond->op == CRM_OP_IN);

		if (one_key || list_filter == NULL)
		{
			/* a handful of items, unless listing everything is cheaper */
			if (full_pages <= 0 || list_length(key->values) <= full_pages)
			{
				List	   *calls = NIL;

				foreach(lc, key->values)
					calls = lappend(calls, make_item_call((char *) lfirst(lc),
																	key->placeholder));
				return calls;
			}
		}
		else
		{
			int			slot = (int) (list_filter - entity->filters) * 2;

			chosen[slot] = key;
		}
	}

	for (int i = 0; i < nfilters * 2; i++)
	{
		CrmParam   *param;

		if (chosen[i] == NULL)
			continue;
		param = palloc0(sizeof(CrmParam));
		param->filter = &entity->filters[i / 2];
		param->upper = (i % 2) == 1;
		param->values = chosen[i]->values;
		param->placeholder = chosen[i]->placeholder;

		/* splitting a list into more calls than a full listing costs */
		if (!param->filter->required && full_pages > 0 &&
			calls_needed(param) > Max(full_pages, 1) &&
			calls_needed(param) > 1)
			continue;
		params = lappend(params, param);
	}
	return expand_calls(params);
}
