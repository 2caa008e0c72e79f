/*-------------------------------------------------------------------------
 *
 * calls.c
 *		When a scan starts and its values are known: spells each pushed
 *		condition's value as the API spells it, and turns them into the
 *		fewest calls (an item by key, or listings with parameters).
 *
 * Ranges are rounded outwards to what the API can spell, so that it
 * returns a superset of the matching rows; a value no row can hold (NULL,
 * a status the listing never returns) needs no request at all.  Times and
 * dates the API spells without a zone are spelled in the account's zone.
 *
 * Never touches the network and never spells a request: compose.c does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include <math.h>

#include "access/table.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "calls.h"
#include "json_datum.h"
#include "option.h"

#define USECS_PER_SEC_I64	INT64CONST(1000000)

/* ---- spelling values ---- */

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

/* A number as a double, for range bounds: NULL-free, finite or not. */
static double
number_value(Datum value, Oid type)
{
	switch (type)
	{
		case INT2OID:
			return (double) DatumGetInt16(value);
		case INT4OID:
			return (double) DatumGetInt32(value);
		case INT8OID:
			return (double) DatumGetInt64(value);
		case FLOAT4OID:
			return (double) DatumGetFloat4(value);
		case FLOAT8OID:
			return DatumGetFloat8(value);
		default:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
	}
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
		case CRM_FMT_BOOL01:
			return pstrdup(DatumGetBool(value) ? "1" : "0");
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
 * A column's value as the API spells it, through the filter's value map;
 * NULL for a value the map does not have (no row can hold it).
 */
static char *
api_value(const CrmFilter *filter, const char *text)
{
	if (filter == NULL || filter->value_map == NULL)
		return (char *) text;
	for (const char *const *m = filter->value_map; m[0]; m += 2)
		if (strcmp(m[0], text) == 0)
			return (char *) m[1];
	return NULL;
}

static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * The instant a time value stands for in the comparison PostgreSQL makes.
 * Compared with a timestamptz column, a timestamp or date is read in the
 * session's zone, as the cross-type operators do.  A timestamp column holds
 * the API's wall-clock times, in its zone; a value compared with it is a
 * wall-clock time of that zone too.  Returns -1 for -infinity, 1 for
 * +infinity, 0 otherwise.
 */
static int
time_instant(Datum value, Oid type, Oid column_type, pg_tz *zone,
			 TimestampTz *instant)
{
	int			overflow = 0;
	Timestamp	wall;

	switch (type)
	{
		case TIMESTAMPTZOID:
			*instant = DatumGetTimestampTz(value);
			break;
		case TIMESTAMPOID:
			wall = DatumGetTimestamp(value);
			if (TIMESTAMP_NOT_FINITE(wall))
				*instant = wall;
			else if (column_type == TIMESTAMPTZOID)
				*instant = timestamp2timestamptz_opt_overflow(wall, &overflow);
			else if (crm_wall_to_instant(wall, zone, instant) != 0)
				overflow = wall < 0 ? -1 : 1;
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
				{
					wall = date2timestamp_opt_overflow(date, &overflow);
					if (overflow == 0 && crm_wall_to_instant(wall, zone, instant) != 0)
						overflow = wall < 0 ? -1 : 1;
				}
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

/* The spelling of a time; NULL if the API cannot spell the year. */
static char *
time_text(CrmValueFormat format, int64 t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (format == CRM_FMT_UNIX)
		return psprintf(INT64_FORMAT,
						floor_div(t, USECS_PER_SEC_I64) +
						(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1 || tm.tm_year > 9999)
		return NULL;
	switch (format)
	{
		case CRM_FMT_DATE:
			return psprintf("%04d-%02d-%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
		case CRM_FMT_LOCAL:
			return psprintf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year,
							tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		default:
			return psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year,
							tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
}

/*
 * A time range bound, rounded outwards to the API's granularity so that
 * the API returns a superset: lower bounds down, exclusive upper bounds up,
 * and inclusive upper bounds to the last granule that can still match.
 * Dates and naive times are rounded and spelled as the zone's wall clock.
 */
static void
render_time_bound(const CrmFilter *filter, const CrmCondition *cond,
				  Datum value, const char *time_zone, CrmRenderedCondition *out)
{
	pg_tz	   *zone = pg_tzset(time_zone ? time_zone : "UTC");
	bool		wall_clock = filter->format == CRM_FMT_DATE ||
		filter->format == CRM_FMT_LOCAL;
	int64		granule = filter->format == CRM_FMT_DATE ?
		USECS_PER_DAY : USECS_PER_SEC_I64;
	bool		lower = (cond->op & CRM_OP_LOWER) != 0;
	TimestampTz instant;
	int64		t;
	int64		floor_v;
	int64		ceil_v;
	int64		bound;
	int			infinite;
	char	   *text;

	if (zone == NULL)
		elog(ERROR, "time zone \"%s\" is not known", time_zone);
	infinite = time_instant(value, cond->value_type, cond->column_type, zone,
							&instant);
	if (infinite != 0)
	{
		/* > +infinity and < -infinity match nothing; the others everything */
		if ((lower && infinite > 0) || (!lower && infinite < 0))
			out->values = NIL;
		else
			out->unbounded = true;
		return;
	}
	t = instant;
	if (wall_clock && crm_instant_to_wall(instant, zone, &t) != 0)
	{
		out->unbounded = true;
		return;
	}

	floor_v = floor_div(t, granule) * granule;
	ceil_v = (floor_v == t) ? floor_v : floor_v + granule;
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

/*
 * A numeric range bound, rounded outwards to what the format spells:
 * whole numbers for INTEGER, and for both, bounds that are inclusive on
 * the lower side and as the filter says on the upper.
 */
static void
render_number_bound(const CrmFilter *filter, const CrmCondition *cond,
					Datum value, CrmRenderedCondition *out)
{
	double		v = number_value(value, cond->value_type);
	bool		lower = (cond->op & CRM_OP_LOWER) != 0;
	bool		whole = filter->format == CRM_FMT_INTEGER;
	double		bound;

	/* NaN sorts above every number: leave such a bound to PostgreSQL */
	if (isnan(v))
	{
		out->unbounded = true;
		return;
	}
	if (isinf(v))
	{
		if ((lower && v > 0) || (!lower && v < 0))
			out->values = NIL;
		else
			out->unbounded = true;
		return;
	}
	if (lower)
		bound = whole ? ((cond->op == CRM_OP_GT && floor(v) == v) ? v + 1 : ceil(v)) : v;
	else if (filter->upper_inclusive)
		bound = whole ? ((cond->op == CRM_OP_LT && floor(v) == v) ? v - 1 : floor(v)) : v;
	else
		bound = whole ? ((cond->op == CRM_OP_LE) ? floor(v) + 1 : ceil(v)) :
			(cond->op == CRM_OP_LE ? nextafter(v, INFINITY) : v);

	if (fabs(bound) > 9007199254740992.0)
	{
		out->unbounded = true;
		return;
	}
	if (whole)
		out->values = list_make1(psprintf("%.0f", bound));
	else
	{
		char		buf[64];

		snprintf(buf, sizeof(buf), "%.17g", bound);
		out->values = list_make1(pstrdup(buf));
	}
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
					 Datum value, bool isnull, const char *time_zone,
					 CrmRenderedCondition *out)
{
	const CrmFilter *filter = crm_condition_filter(entity, cond);
	CrmValueFormat format = crm_condition_format(entity, cond);

	out->cond = cond;
	out->values = NIL;
	out->unbounded = false;

	if (cond->op == CRM_OP_BOOL)
	{
		out->values = list_make1(scalar_text(format, BoolGetDatum(cond->bool_value),
											 BOOLOID));
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
			if (text && in_domain(filter, text) &&
				(text = api_value(filter, text)) != NULL &&
				!contains_text(out->values, text))
				out->values = lappend(out->values, text);
		}
		return;
	}

	if (cond->op == CRM_OP_EQ)
	{
		char	   *text = scalar_text(format, value, cond->value_type);

		if (text && in_domain(filter, text) &&
			(text = api_value(filter, text)) != NULL)
			out->values = list_make1(text);
		return;
	}

	if (format == CRM_FMT_INTEGER || format == CRM_FMT_NUMBER)
		render_number_bound(filter, cond, value, out);
	else
		render_time_bound(filter, cond, value, time_zone, out);
}

/* ---- the calls ---- */

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
				/* entries split with their values; one shared pair does not */
				if (list_length(param->pair_values) == list_length(param->values))
					part->pair_values =
						list_truncate(list_copy_tail(param->pair_values, start),
									  chunk);
				else
					part->pair_values = param->pair_values;
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

	if (!(a->cond->op & CRM_OP_RANGE) || !(b->cond->op & CRM_OP_RANGE) ||
		a->placeholder || b->placeholder)
		return false;
	x = linitial(a->values);
	y = linitial(b->values);
	if (filter->format == CRM_FMT_UNIX || filter->format == CRM_FMT_INTEGER ||
		filter->format == CRM_FMT_NUMBER)
	{
		double		dx = strtod(x, NULL);
		double		dy = strtod(y, NULL);

		cmp = dx < dy ? -1 : dx > dy ? 1 : 0;
	}
	else
		/* fixed-width spellings sort as their times do */
		cmp = strcmp(x, y);
	return (a->cond->op & CRM_OP_LOWER) ? cmp > 0 : cmp < 0;
}

/* The chosen equality or list on a column, for a pair filter. */
static int
pair_slot(const CrmEntity *entity, CrmRenderedCondition **chosen, int nfilters,
		  const char *column)
{
	for (int i = 0; i < nfilters; i++)
	{
		const CrmFilter *f = &entity->filters[i];

		if (chosen[i * 2] && f->pair_column == NULL &&
			strcmp(f->column, column) == 0 &&
			(chosen[i * 2]->cond->op & (CRM_OP_EQ | CRM_OP_IN)))
			return i * 2;
	}
	return -1;
}

/*
 * A pair filter's entries: each of its values with each of the pair's.  A
 * pair parameter without "{i}" is sent once, for all the values, so it
 * takes a single value of the pair (amoCRM's filter[entity_id][] needs one
 * filter[entity_type]); NULL if the pair has several.
 */
static CrmParam *
pair_param(const CrmFilter *filter, CrmRenderedCondition *own,
		   CrmRenderedCondition *pair)
{
	CrmParam   *param = palloc0(sizeof(CrmParam));
	ListCell   *a;
	ListCell   *b;

	param->filter = filter;
	param->placeholder = own->placeholder || pair->placeholder;
	if (strstr(filter->pair_param, "{i}") == NULL)
	{
		if (list_length(pair->values) != 1 ||
			(pair->placeholder && pair->cond->op == CRM_OP_IN))
			return NULL;
		param->values = own->values;
		param->pair_values = list_make1(linitial(pair->values));
		return param;
	}
	foreach(a, own->values)
		foreach(b, pair->values)
	{
		param->values = lappend(param->values, lfirst(a));
		param->pair_values = lappend(param->pair_values, lfirst(b));
	}
	return param;
}

List *
crm_build_calls(const CrmEntity *entity, List *rendered, int full_pages,
				bool *no_rows)
{
	int			nfilters = 0;
	CrmRenderedCondition **chosen;
	CrmRenderedCondition *key = NULL;
	bool	   *superseded;
	List	   *params = NIL;
	ListCell   *lc;

	*no_rows = false;
	for (const CrmFilter *f = entity->filters; f && f->column; f++)
		nfilters++;
	chosen = palloc0(sizeof(CrmRenderedCondition *) * (nfilters * 2 + 1));
	superseded = palloc0(sizeof(bool) * (nfilters * 2 + 1));

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
		const CrmFilter *filter = &entity->filters[i / 2];
		CrmParam   *param;

		if (chosen[i] == NULL)
		{
			const char *absent = (i % 2 == 0) ? filter->absent_value :
				filter->upper_absent_value;

			/* a path no condition fixes: each of its values in turn */
			if (i % 2 == 0 && filter->domain && (filter->in_path || filter->fan_out))
			{
				param = palloc0(sizeof(CrmParam));
				param->filter = filter;
				for (const char *const *v = filter->domain; *v; v++)
					if (api_value(filter, *v) != NULL)
						param->values = lappend(param->values, api_value(filter, *v));
				params = lappend(params, param);
			}
			else if (absent &&
					 (!filter->absent_completes || chosen[i ^ 1] != NULL))
			{
				param = palloc0(sizeof(CrmParam));
				param->filter = filter;
				param->upper = (i % 2) == 1;
				param->values = list_make1((char *) absent);
				params = lappend(params, param);
			}
			continue;
		}
		if (filter->pair_column)
		{
			int			pair = pair_slot(entity, chosen, nfilters, filter->pair_column);

			CrmParam   *entries;

			/* without its pair, the API cannot take it: PostgreSQL filters */
			if (pair < 0 ||
				(entries = pair_param(filter, chosen[i], chosen[pair])) == NULL)
				continue;
			params = lappend(params, entries);
			superseded[pair] = true;
			continue;
		}
		param = palloc0(sizeof(CrmParam));
		param->filter = filter;
		param->upper = (i % 2) == 1;
		param->values = chosen[i]->values;
		param->placeholder = chosen[i]->placeholder;

		/*
		 * splitting a list into more calls than a full listing costs; not
		 * for a filter the listing cannot do without (a path, or a list
		 * that shows one value's rows at a time)
		 */
		if (!filter->required &&
			!(filter->domain && (filter->in_path || filter->fan_out)) &&
			full_pages > 0 &&
			calls_needed(param) > Max(full_pages, 1) &&
			calls_needed(param) > 1)
			continue;
		params = lappend(params, param);
	}

	/* a column a pair filter sends entry by entry needs no filter of its own */
	foreach(lc, params)
	{
		CrmParam   *param = (CrmParam *) lfirst(lc);
		int			slot = (int) (param->filter - entity->filters) * 2 +
			(param->upper ? 1 : 0);

		if (param->filter->pair_column == NULL && superseded[slot])
			params = foreach_delete_current(params, lc);
	}
	return expand_calls(params);
}

/*
 * What the entity's option parameter must ask for so that the answer
 * carries the columns a scan reads: "contacts,loss_reason", or NULL.
 */
char *
crm_request_options(const CrmEntity *entity, Relation rel, List *attnums)
{
	StringInfoData buf;
	ListCell   *lc;

	if (entity->request_option_param == NULL)
		return NULL;
	initStringInfo(&buf);
	foreach(lc, attnums)
	{
		char	   *field = crm_column_field(RelationGetRelid(rel),
											 (AttrNumber) lfirst_int(lc), entity);
		const CrmColumn *column = crm_find_column_by_field(entity, field);
		const char *option;
		char	   *listed;

		if (column == NULL || column->request_option == NULL)
			continue;
		option = column->request_option;
		listed = psprintf(",%s,", buf.data);
		if (strstr(listed, psprintf(",%s,", option)) == NULL)
			appendStringInfo(&buf, "%s%s", buf.len ? "," : "", option);
	}
	return buf.len ? buf.data : NULL;
}
