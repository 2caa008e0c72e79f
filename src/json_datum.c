/*-------------------------------------------------------------------------
 *
 * json_datum.c
 *		Converts JSON values from a CRM answer into Datums of whatever type
 *		a foreign table's column has, through that type's input function.
 *
 * A missing key and JSON null are SQL NULL.  A value that does not fit its
 * column is an ERROR whose context names the foreign table, the column and
 * the value: nothing is dropped or coerced silently.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "json_datum.h"

/*
 * APIs speak UTF-8; the database may not.  Text crossing over is converted,
 * and what cannot be represented is an ERROR, never a silent loss.
 */
char *
crm_from_utf8(const char *text)
{
	return pg_any_to_server(text, strlen(text), PG_UTF8);
}

char *
crm_to_utf8(const char *text)
{
	return pg_server_to_any(text, strlen(text), PG_UTF8);
}

/*
 * For messages only: UTF-8 text shown in a database of another encoding
 * loses its non-ASCII characters to '?' rather than risk an error while
 * reporting one.
 */
char *
crm_utf8_for_message(const char *text)
{
	char	   *copy = pstrdup(text);

	if (GetDatabaseEncoding() != PG_UTF8)
		for (unsigned char *p = (unsigned char *) copy; *p; p++)
			if (*p >= 0x80)
				*p = '?';
	return copy;
}

/* Longest value an error context repeats. */
#define CRM_CONTEXT_VALUE_MAX	120

typedef struct ConversionContext
{
	const CrmColumnConv *conv;
	json_t	   *value;
} ConversionContext;

static CrmConvKind
kind_of_type(Oid typid)
{
	switch (getBaseType(typid))
	{
		case JSONOID:
		case JSONBOID:
			return CRM_CONV_JSON;
		case TIMESTAMPTZOID:
			return CRM_CONV_TIMESTAMPTZ;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case CHAROID:
			return CRM_CONV_STRINGY;
		default:
			return CRM_CONV_TEXTUAL;
	}
}

void
crm_conv_init(CrmColumnConv *conv, Relation rel, AttrNumber attnum,
			  const char *field, CrmValueFormat wire, const char *time_zone)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	Oid			input_fn;
	Oid			elemtype;
	List	   *keys = NIL;
	char	   *copy = pstrdup(field);
	char	   *key;
	char	   *saveptr = NULL;
	int			i = 0;
	ListCell   *lc;

	memset(conv, 0, sizeof(*conv));
	conv->attnum = attnum;
	conv->relname = RelationGetRelationName(rel);
	conv->attname = pstrdup(NameStr(attr->attname));
	conv->field = pstrdup(field);
	conv->typid = attr->atttypid;
	conv->typmod = attr->atttypmod;
	conv->wire = wire;
	conv->time_zone = time_zone ? time_zone : "UTC";

	/* "^" climbs from an unnested row to the items around it */
	while (*copy == '^')
	{
		conv->up++;
		copy++;
	}
	for (key = strtok_r(copy, ".", &saveptr); key;
		 key = strtok_r(NULL, ".", &saveptr))
		keys = lappend(keys, key);
	conv->path_len = list_length(keys);
	conv->path = palloc(sizeof(char *) * Max(conv->path_len, 1));
	foreach(lc, keys)
		conv->path[i++] = (char *) lfirst(lc);

	getTypeInputInfo(conv->typid, &input_fn, &conv->ioparam);
	fmgr_info(input_fn, &conv->input);

	elemtype = get_element_type(getBaseType(conv->typid));
	if (OidIsValid(elemtype) && kind_of_type(conv->typid) != CRM_CONV_JSON)
	{
		conv->kind = CRM_CONV_ARRAY;
		conv->elem_typid = elemtype;
		conv->elem_kind = kind_of_type(elemtype);
	}
	else
		conv->kind = kind_of_type(conv->typid);
}

/*
 * Follows path[from..] from value: a key steps into an object, a number
 * into an array, and "*" maps the rest of the path over an array's
 * elements, making a new array ("_embedded.contacts.*.id": the ids).
 */
static json_t *
follow_path(json_t *value, char **path, int from, int len)
{
	for (int i = from; i < len && value; i++)
	{
		if (strcmp(path[i], "*") == 0)
		{
			json_t	   *mapped;

			if (!json_is_array(value))
				return NULL;
			mapped = json_array();
			for (size_t j = 0; j < json_array_size(value); j++)
			{
				json_t	   *element = follow_path(json_array_get(value, j), path,
												  i + 1, len);

				json_array_append_new(mapped, element ? json_incref(element) : json_null());
			}
			return mapped;
		}
		if (json_is_object(value))
			value = json_object_get(value, path[i]);
		else if (json_is_array(value))
		{
			char	   *end;
			long		index = strtol(path[i], &end, 10);

			value = (*end == '\0' && end != path[i] && index >= 0) ?
				json_array_get(value, (size_t) index) : NULL;
		}
		else
			value = NULL;
	}
	return value;
}

/* Follows the column's path from its row, or the items around it ("^"). */
json_t *
crm_json_lookup(const CrmRow *row, const CrmColumnConv *conv)
{
	if (conv->up > row->depth)
		return NULL;
	return follow_path(row->levels[row->depth - conv->up], conv->path, 0,
					   conv->path_len);
}

const char *
crm_json_type_name(json_t *value)
{
	switch (json_typeof(value))
	{
		case JSON_OBJECT:
			return "object";
		case JSON_ARRAY:
			return "array";
		case JSON_STRING:
			return "string";
		case JSON_INTEGER:
		case JSON_REAL:
			return "number";
		case JSON_TRUE:
		case JSON_FALSE:
			return "boolean";
		case JSON_NULL:
			return "null";
	}
	return "value";
}

/* "an object", "a number": for messages. */
const char *
crm_json_a_type_name(json_t *value)
{
	return json_is_object(value) || json_is_array(value) ?
		psprintf("an %s", crm_json_type_name(value)) :
		psprintf("a %s", crm_json_type_name(value));
}

static void
append_json_string(StringInfo buf, const char *s, size_t len)
{
	appendStringInfoChar(buf, '"');
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		switch (c)
		{
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			default:
				if (c < 0x20)
					appendStringInfo(buf, "\\u%04x", c);
				else
					appendStringInfoChar(buf, (char) c);
		}
	}
	appendStringInfoChar(buf, '"');
}

/*
 * Compact JSON text of a value.  Not json_dumps(): jansson prints reals
 * with 17 digits (16577.51 becomes 16577.509999999998); this prints the
 * shortest text that reads back as the same double, as PostgreSQL does.
 */
static void
append_json(StringInfo buf, json_t *value)
{
	char		num[64];

	switch (json_typeof(value))
	{
		case JSON_OBJECT:
			{
				const char *key;
				json_t	   *member;
				bool		first = true;

				appendStringInfoChar(buf, '{');
				json_object_foreach(value, key, member)
				{
					if (!first)
						appendStringInfoChar(buf, ',');
					first = false;
					append_json_string(buf, key, strlen(key));
					appendStringInfoChar(buf, ':');
					append_json(buf, member);
				}
				appendStringInfoChar(buf, '}');
				break;
			}
		case JSON_ARRAY:
			appendStringInfoChar(buf, '[');
			for (size_t i = 0; i < json_array_size(value); i++)
			{
				if (i > 0)
					appendStringInfoChar(buf, ',');
				append_json(buf, json_array_get(value, i));
			}
			appendStringInfoChar(buf, ']');
			break;
		case JSON_STRING:
			append_json_string(buf, json_string_value(value),
							   json_string_length(value));
			break;
		case JSON_INTEGER:
			appendStringInfo(buf, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
			break;
		case JSON_REAL:
			double_to_shortest_decimal_buf(json_real_value(value), num);
			appendStringInfoString(buf, num);
			break;
		case JSON_TRUE:
			appendStringInfoString(buf, "true");
			break;
		case JSON_FALSE:
			appendStringInfoString(buf, "false");
			break;
		case JSON_NULL:
			appendStringInfoString(buf, "null");
			break;
	}
}

char *
crm_json_text(json_t *value)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_json(&buf, value);
	return buf.data;
}

/* The text form of a scalar: strings as they are, numbers shortest-exact. */
static char *
scalar_text(json_t *value)
{
	char		buf[64];

	switch (json_typeof(value))
	{
		case JSON_STRING:
			return (char *) json_string_value(value);
		case JSON_INTEGER:
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(value));
			return pstrdup(buf);
		case JSON_REAL:
			double_to_shortest_decimal_buf(json_real_value(value), buf);
			return pstrdup(buf);
		case JSON_TRUE:
			return "true";
		case JSON_FALSE:
			return "false";
		default:
			return crm_json_text(value);
	}
}

static void
conversion_error_context(void *arg)
{
	ConversionContext *ctx = (ConversionContext *) arg;
	char	   *text = crm_utf8_for_message(crm_json_text(ctx->value));

	if (strlen(text) > CRM_CONTEXT_VALUE_MAX)
		strcpy(text + pg_mbcliplen(text, strlen(text), CRM_CONTEXT_VALUE_MAX),
			   "...");
	errcontext("column \"%s\" of foreign table \"%s\", value %s",
			   ctx->conv->attname, ctx->conv->relname, text);
}

static void
cannot_convert(const CrmColumnConv *conv, json_t *value, Oid typid)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("cannot convert a JSON %s to type %s",
					crm_json_type_name(value), format_type_be(typid)),
			 json_is_object(value) || json_is_array(value) ?
			 errhint("Declare the column as jsonb, or read one field of it with OPTIONS (field 'key.subkey').") :
			 errhint("Declare the column with a type that accepts this value.")));
}

/*
 * Times without a zone (Pipedrive v1 "2026-01-31 12:00:00", SalesMan's
 * wall clock) are in the API's zone, never the session's.
 */
static char *
with_zone(char *text, const char *naive_zone)
{
	size_t		len = strlen(text);

	if (naive_zone == NULL || len < 10)
		return text;
	for (const char *p = text + 10; *p; p++)
		if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-')
			return text;
	return psprintf("%s %s", text, naive_zone);
}

/*
 * Seconds since the epoch as ISO text the column's input function reads
 * whatever the DateStyle: an instant for timestamptz, the zone's wall
 * clock for timestamp and date.  NULL if the value is no whole number.
 */
static char *
unix_text(const CrmColumnConv *conv, Oid base, json_t *value)
{
	int64		seconds;
	TimestampTz instant;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	if (json_is_integer(value))
		seconds = json_integer_value(value);
	else if (json_is_real(value) && floor(json_real_value(value)) == json_real_value(value))
		seconds = (int64) json_real_value(value);
	else if (json_is_string(value) && json_string_length(value) > 0 &&
			 strspn(json_string_value(value), "-0123456789") == json_string_length(value))
		seconds = strtoll(json_string_value(value), NULL, 10);
	else
		return NULL;
	if (seconds < -((int64) 1 << 40) || seconds > ((int64) 1 << 40))
		return NULL;
	instant = (seconds - (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) *
		USECS_PER_SEC;
	if (base == TIMESTAMPTZOID)
	{
		if (timestamp2tm(instant, NULL, &tm, &fsec, NULL, NULL) != 0)
			return NULL;
		return psprintf("%04d-%02d-%02d %02d:%02d:%02d+00%s", tm.tm_year > 0 ? tm.tm_year : 1 - tm.tm_year,
						tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
						tm.tm_year > 0 ? "" : " BC");
	}
	if (timestamp2tm(instant, &tz, &tm, &fsec, NULL, pg_tzset(conv->time_zone)) != 0)
		return NULL;
	if (base == DATEOID)
		return psprintf("%04d-%02d-%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
	return psprintf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year, tm.tm_mon,
					tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool
is_time_type(Oid typid)
{
	Oid			base = getBaseType(typid);

	return base == TIMESTAMPTZOID || base == TIMESTAMPOID || base == DATEOID;
}

/* A JSON value (not null) into a Datum of a column that is not an array. */
static Datum
convert_one(const CrmColumnConv *conv, json_t *value, const char *naive_zone,
			bool *isnull)
{
	CrmConvKind kind = conv->kind;
	char	   *text;

	if (conv->wire == CRM_FMT_UNIX)
	{
		Oid			base = getBaseType(conv->typid);

		if (base == TIMESTAMPTZOID || base == TIMESTAMPOID || base == DATEOID)
		{
			text = unix_text(conv, base, value);
			if (text == NULL)
				cannot_convert(conv, value, conv->typid);
			return InputFunctionCall((FmgrInfo *) &conv->input, text,
									 conv->ioparam, conv->typmod);
		}
	}

	if (kind == CRM_CONV_JSON)
		text = crm_json_text(value);
	else if (json_is_object(value) || json_is_array(value))
	{
		/* a text column may hold JSON text; other types cannot */
		if (kind != CRM_CONV_STRINGY)
			cannot_convert(conv, value, conv->typid);
		text = crm_json_text(value);
	}
	else
	{
		text = scalar_text(value);
		/* APIs send "" for "no value"; only text-like columns keep it */
		if (json_is_string(value) && *text == '\0' && kind != CRM_CONV_STRINGY)
		{
			*isnull = true;
			return (Datum) 0;
		}
		/* MySQL's zero date is its "no date": no day PostgreSQL can hold */
		if (json_is_string(value) && strncmp(text, "0000-00-00", 10) == 0 &&
			is_time_type(conv->typid))
		{
			*isnull = true;
			return (Datum) 0;
		}
		if (kind == CRM_CONV_TIMESTAMPTZ && json_is_string(value))
			text = with_zone(text, naive_zone);
	}
	return InputFunctionCall((FmgrInfo *) &conv->input, crm_from_utf8(text),
							 conv->ioparam, conv->typmod);
}

/*
 * A JSON array becomes the text of an SQL array, read by the column's own
 * input function: that checks element types, typmods and domains alike.
 */
static Datum
convert_array(const CrmColumnConv *conv, json_t *value, const char *naive_zone)
{
	StringInfoData buf;

	if (!json_is_array(value))
		cannot_convert(conv, value, conv->typid);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (size_t i = 0; i < json_array_size(value); i++)
	{
		json_t	   *elem = json_array_get(value, i);
		char	   *text;

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		if (json_is_null(elem))
		{
			appendStringInfoString(&buf, "NULL");
			continue;
		}
		if (json_is_object(elem) || json_is_array(elem))
		{
			if (conv->elem_kind != CRM_CONV_JSON &&
				conv->elem_kind != CRM_CONV_STRINGY)
				cannot_convert(conv, elem, conv->elem_typid);
			text = crm_json_text(elem);
		}
		else if (conv->elem_kind == CRM_CONV_JSON)
			text = crm_json_text(elem);
		else
		{
			text = scalar_text(elem);
			if (*text == '\0' && conv->elem_kind != CRM_CONV_STRINGY)
			{
				appendStringInfoString(&buf, "NULL");
				continue;
			}
			if (conv->elem_kind == CRM_CONV_TIMESTAMPTZ)
				text = with_zone(text, naive_zone);
		}
		appendStringInfoChar(&buf, '"');
		for (const char *p = text; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *p);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return InputFunctionCall((FmgrInfo *) &conv->input, crm_from_utf8(buf.data),
							 conv->ioparam, conv->typmod);
}

Datum
crm_json_to_datum(const CrmColumnConv *conv, json_t *value, bool *isnull)
{
	const char *naive_zone = conv->time_zone;
	ConversionContext ctx;
	ErrorContextCallback errcallback;
	Datum		result;

	*isnull = false;
	if (value == NULL || json_is_null(value))
	{
		*isnull = true;
		return (Datum) 0;
	}

	ctx.conv = conv;
	ctx.value = value;
	errcallback.callback = conversion_error_context;
	errcallback.arg = &ctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (conv->kind == CRM_CONV_ARRAY)
		result = convert_array(conv, value, naive_zone);
	else
		result = convert_one(conv, value, naive_zone, isnull);

	error_context_stack = errcallback.previous;
	return result;
}

/* ---- Datums to JSON, for writes ---- */

static json_t *
time_of_day_json(int64 usecs)
{
	int64		secs = usecs / USECS_PER_SEC;

	return json_string(psprintf("%02d:%02d:%02d", (int) (secs / 3600),
								(int) (secs / 60 % 60), (int) (secs % 60)));
}

/* A UTC instant as RFC 3339, whole seconds unless it has a fraction. */
static json_t *
instant_json(Timestamp ts, const char *attname)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("column \"%s\": the API cannot store an infinite or out-of-range time",
						attname)));
	if (fsec != 0)
		return json_string(psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
									tm.tm_year, tm.tm_mon, tm.tm_mday,
									tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec));
	return json_string(psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ",
								tm.tm_year, tm.tm_mon, tm.tm_mday,
								tm.tm_hour, tm.tm_min, tm.tm_sec));
}

/* A wall-clock time of zone tz as the instant it is there; 0 on success. */
int
crm_wall_to_instant(Timestamp wall, pg_tz *tz, TimestampTz *instant)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;

	if (timestamp2tm(wall, NULL, &tm, &fsec, NULL, NULL) != 0)
		return 1;
	offset = DetermineTimeZoneOffset(&tm, tz);
	return tm2timestamp(&tm, fsec, &offset, instant) != 0 ? 1 : 0;
}

/* An instant as the wall-clock time of zone tz; 0 on success. */
int
crm_instant_to_wall(TimestampTz instant, pg_tz *tz, Timestamp *wall)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;

	if (timestamp2tm(instant, &offset, &tm, &fsec, NULL, tz) != 0)
		return 1;
	return tm2timestamp(&tm, fsec, NULL, wall) != 0 ? 1 : 0;
}

static void
time_out_of_range(const char *attname)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("column \"%s\": the API cannot store an infinite or out-of-range time",
					attname)));
}

/*
 * A time as the wire format wants it.  t is an instant, or (is_instant
 * false) a wall-clock time of the API's zone, as timestamp columns hold.
 */
static json_t *
time_json(int64 t, bool is_instant, CrmValueFormat wire, const char *zone,
		  const char *attname)
{
	pg_tz	   *tz = pg_tzset(zone ? zone : "UTC");
	TimestampTz instant = t;
	Timestamp	wall = t;
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(t) || tz == NULL)
		time_out_of_range(attname);
	if (!is_instant && crm_wall_to_instant(t, tz, &instant) != 0)
		time_out_of_range(attname);
	if (is_instant && crm_instant_to_wall(t, tz, &wall) != 0)
		time_out_of_range(attname);

	switch (wire)
	{
		case CRM_FMT_UNIX:
			return json_integer(instant / USECS_PER_SEC - (instant % USECS_PER_SEC < 0 ? 1 : 0) +
								(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
		case CRM_FMT_LOCAL:
		case CRM_FMT_DATE:
			if (timestamp2tm(wall, NULL, &tm, &fsec, NULL, NULL) != 0)
				time_out_of_range(attname);
			if (wire == CRM_FMT_DATE)
				return json_string(psprintf("%04d-%02d-%02d", tm.tm_year, tm.tm_mon,
											tm.tm_mday));
			return json_string(psprintf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year,
										tm.tm_mon, tm.tm_mday, tm.tm_hour,
										tm.tm_min, tm.tm_sec));
		default:
			return instant_json(instant, attname);
	}
}

/*
 * A column's value as the JSON an API expects: numbers as numbers, json as
 * itself, arrays as arrays, dates in ISO form whatever the session's
 * DateStyle, times as the column's wire format says (RFC 3339 in UTC unless
 * it says otherwise), and NULL as null.
 */
json_t *
crm_datum_to_json(Datum value, Oid typid, bool isnull, const char *attname,
				  CrmValueFormat wire, const char *time_zone)
{
	Oid			base = getBaseType(typid);
	Oid			elemtype;

	if (isnull)
		return json_null();

	switch (base)
	{
		case BOOLOID:
			return json_boolean(DatumGetBool(value));
		case INT2OID:
			return json_integer(DatumGetInt16(value));
		case INT4OID:
			return json_integer(DatumGetInt32(value));
		case INT8OID:
			return json_integer(DatumGetInt64(value));
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			{
				char	   *text = OidOutputFunctionCall(base == NUMERICOID ? F_NUMERIC_OUT :
														 base == FLOAT4OID ? F_FLOAT4OUT :
														 F_FLOAT8OUT, value);
				char	   *end;
				double		d;

				errno = 0;
				if (strspn(text, "-0123456789") == strlen(text) && strlen(text) < 19)
					return json_integer(strtoll(text, NULL, 10));
				d = strtod(text, &end);
				if (*end != '\0' || errno == ERANGE || isnan(d) || isinf(d))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("column \"%s\": %s cannot be sent as a JSON number",
									attname, text)));
				return json_real(d);
			}
		case JSONOID:
		case JSONBOID:
			{
				json_error_t jerr;
				char	   *text = crm_to_utf8(OidOutputFunctionCall(base == JSONOID ?
																	  F_JSON_OUT :
																	  F_JSONB_OUT, value));
				json_t	   *parsed = json_loads(text, JSON_DECODE_ANY, &jerr);

				if (parsed == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
							 errmsg("column \"%s\": %s", attname, jerr.text)));
				return parsed;
			}
		case DATEOID:
			{
				DateADT		date = DatumGetDateADT(value);
				int			y,
							m,
							d;

				if (DATE_NOT_FINITE(date))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("column \"%s\": the API cannot store an infinite date",
									attname)));
				if (wire == CRM_FMT_UNIX || wire == CRM_FMT_LOCAL)
				{
					int			overflow = 0;
					Timestamp	midnight = date2timestamp_opt_overflow(date, &overflow);

					if (overflow != 0)
						time_out_of_range(attname);
					return time_json(midnight, false, wire, time_zone, attname);
				}
				j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
				return json_string(psprintf("%04d-%02d-%02d", y, m, d));
			}
		case TIMESTAMPTZOID:
			return time_json(DatumGetTimestampTz(value), true, wire, time_zone,
							 attname);
		case TIMESTAMPOID:
			/* a timestamp column holds the API zone's wall clock, as it was read */
			return time_json(DatumGetTimestamp(value), false, wire, time_zone,
							 attname);
		case TIMEOID:
			return time_of_day_json(DatumGetTimeADT(value));
		case INTERVALOID:
			{
				Interval   *iv = DatumGetIntervalP(value);

				if (iv->month != 0 || iv->time < 0 || iv->day < 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("column \"%s\": only a non-negative duration in days, hours and minutes can be sent",
									attname)));
				return time_of_day_json(iv->time + iv->day * USECS_PER_DAY);
			}
	}

	elemtype = get_element_type(base);
	if (OidIsValid(elemtype))
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		json_t	   *result = json_array();

		if (ARR_NDIM(DatumGetArrayTypeP(value)) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\": only one-dimensional arrays can be sent",
							attname)));
		crm_array_elements(value, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
			json_array_append_new(result,
								  crm_datum_to_json(elems[i], elemtype, nulls[i],
													attname, wire, time_zone));
		return result;
	}

	{
		Oid			output;
		bool		varlena;
		json_t	   *string;

		getTypeOutputInfo(typid, &output, &varlena);
		string = json_string(crm_to_utf8(OidOutputFunctionCall(output, value)));
		if (string == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("column \"%s\": the value is not valid UTF-8", attname)));
		return string;
	}
}

/* Sets object[path] = value, creating the objects a dotted path runs through. */
void
crm_json_set_path(json_t *object, const char *path, json_t *value)
{
	char	   *copy = pstrdup(path);
	char	   *dot;

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

/* The elements of an array Datum, whatever its element type. */
void
crm_array_elements(Datum value, Datum **elems, bool **nulls, int *n)
{
	ArrayType  *array = DatumGetArrayTypeP(value);
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(ARR_ELEMTYPE(array), &typlen, &typbyval, &typalign);
	deconstruct_array(array, ARR_ELEMTYPE(array), typlen, typbyval, typalign,
					  elems, nulls, n);
}

/* Whether two keys are one, whether the API spells them as numbers or text. */
bool
crm_json_same_scalar(json_t *a, json_t *b)
{
	if (a == NULL || b == NULL)
		return false;
	if (json_equal(a, b))
		return true;
	if (json_is_object(a) || json_is_array(a) || json_is_object(b) || json_is_array(b))
		return false;
	return strcmp(json_is_string(a) ? json_string_value(a) : crm_json_text(a),
				  json_is_string(b) ? json_string_value(b) : crm_json_text(b)) == 0;
}
