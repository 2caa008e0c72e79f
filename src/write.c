/*-------------------------------------------------------------------------
 *
 * write.c
 *		Writes rows through the routes an entity declares: groups them by
 *		path, packs batches where the API takes arrays, sends each request
 *		once, and judges every row's outcome honestly.
 *
 * A CRM has no transactions, and a write whose answer went missing may
 * well have been made.  So every row ends in one of three states, and the
 * messages say which: written (the API answered so), not written (the API
 * refused it with a 4xx, or it never left this machine), or unknown (no
 * answer, a 5xx, an answer that cannot be read, a cancel while it was
 * out).  Nothing unknown is reported as not written, no hint suggests
 * writing it again, and a request that changes data is never resent once
 * it may have arrived: only DELETE, idempotent by construction, is.
 *
 * Never decides what a request looks like beyond the route's declaration:
 * the provider shapes each item.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "answer.h"
#include "compose.h"
#include "json_datum.h"
#include "lookup.h"
#include "rowset.h"
#include "paging.h"
#include "write.h"

/* How many ids of already written rows a message lists. */
#define CRM_WRITTEN_IDS_SHOWN	20
/* How much of a row's values a message repeats. */
#define CRM_VALUES_SHOWN		200

uint32
crm_entity_writes(const CrmEntity *entity)
{
	return (entity->insert || entity->insert_batch ? CRM_WRITE_INSERT : 0) |
		(entity->update && entity->update->method ? CRM_WRITE_UPDATE : 0) |
		(entity->delete ? CRM_WRITE_DELETE : 0);
}

static const char *
operation_name(CmdType operation)
{
	switch (operation)
	{
		case CMD_INSERT:
			return "INSERT";
		case CMD_UPDATE:
			return "UPDATE";
		case CMD_DELETE:
			return "DELETE";
		default:
			return "write";
	}
}

/* The first segment of a field's path: what a route's columns name. */
static char *
field_head(const char *field)
{
	return pnstrdup(field, strcspn(field, "."));
}

static bool
route_takes(const CrmWriteRoute *route, const char *field)
{
	char	   *head = field_head(field);

	for (const char *const *c = route->columns; c && *c; c++)
		if (strcmp(*c, head) == 0)
			return true;
	return false;
}

/*
 * The routes that write these fields: INSERT and DELETE have one; an
 * UPDATE's fields go to the route that names them, the rest to the route
 * that names none.  A part with a NULL route holds fields no route takes.
 */
List *
crm_route_parts(const CrmEntity *entity, CmdType operation, List *fields)
{
	List	   *parts = NIL;
	ListCell   *lc;

	if (operation != CMD_UPDATE)
	{
		CrmRoutePart *part = palloc0(sizeof(CrmRoutePart));

		part->route = operation == CMD_INSERT ? entity->insert : entity->delete;
		part->fields = fields;
		return list_make1(part);
	}

	foreach(lc, fields)
	{
		const char *field = (const char *) lfirst(lc);
		const CrmWriteRoute *route = NULL;
		CrmRoutePart *part = NULL;
		ListCell   *lc2;

		for (const CrmWriteRoute *r = entity->update; r && r->method; r++)
			if (route_takes(r, field))
				route = r;
		if (route == NULL)
			for (const CrmWriteRoute *r = entity->update; r && r->method; r++)
				if (r->columns == NULL)
					route = r;
		foreach(lc2, parts)
			if (((CrmRoutePart *) lfirst(lc2))->route == route)
				part = (CrmRoutePart *) lfirst(lc2);
		if (part == NULL)
		{
			part = palloc0(sizeof(CrmRoutePart));
			part->route = route;
			parts = lappend(parts, part);
		}
		part->fields = lappend(part->fields, (char *) field);
	}
	/* an UPDATE that sets nothing still names its route */
	if (parts == NIL && entity->update && entity->update->method)
	{
		CrmRoutePart *part = palloc0(sizeof(CrmRoutePart));

		part->route = entity->update;
		parts = list_make1(part);
	}
	return parts;
}

/* The name a column of this field is written under. */
const char *
crm_written_name(const CrmEntity *entity, const char *field)
{
	const CrmColumn *column = crm_find_column_by_field(entity, field);

	return column && column->write_param ? column->write_param : field;
}

/* The column written under this name, if the entity declares it. */
const CrmColumn *
crm_written_column(const CrmEntity *entity, const char *written)
{
	for (const CrmColumn *c = entity->columns; c && c->name; c++)
		if (c->write_param && strcmp(c->write_param, written) == 0)
			return c;
	return crm_find_column_by_field(entity, written);
}

/* Whether text holds a character of more UTF-8 bytes than the API keeps. */
static const char *
too_wide_char(const char *text, int max_bytes)
{
	for (const unsigned char *p = (const unsigned char *) text; *p; p++)
		if ((max_bytes < 4 && *p >= 0xF0) || (max_bytes < 3 && *p >= 0xE0) ||
			(max_bytes < 2 && *p >= 0xC0))
			return (const char *) p;
	return NULL;
}

static void
check_text(const CrmProvider *provider, const char *attname, json_t *value)
{
	const char *wide;

	if (json_is_string(value) && provider->max_char_bytes > 0 &&
		(wide = too_wide_char(json_string_value(value), provider->max_char_bytes)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("column \"%s\": %s cannot store the character \"%s\"",
						attname, provider->display_name,
						crm_utf8_for_message(pnstrdup(wide, pg_utf_mblen((const unsigned char *) wide)))),
				 errdetail("%s keeps characters of at most %d bytes in UTF-8 and would store this one as \"?\" marks.",
						   provider->display_name, provider->max_char_bytes),
				 errhint("Leave out or replace characters outside Unicode's Basic Multilingual Plane, such as emoji.")));
	if (json_is_array(value))
		for (size_t i = 0; i < json_array_size(value); i++)
			check_text(provider, attname, json_array_get(value, i));
	if (json_is_object(value))
	{
		const char *key;
		json_t	   *member;

		json_object_foreach(value, key, member)
			check_text(provider, attname, member);
	}
}

/*
 * A column's value as written: converted as its wire format says, checked
 * against what the API stores faithfully, and set under the name it is
 * written as.
 */
void
crm_written_value(CrmWriter *w, json_t *values, const char *written,
				  Datum value, Oid typid, bool isnull, const char *attname)
{
	const CrmProvider *provider = w->target.provider;
	const CrmColumn *column = crm_written_column(w->entity, written);
	CrmValueFormat wire = column ? column->wire : CRM_FMT_AUTO;
	json_t	   *json = crm_datum_to_json(value, typid, isnull, attname, wire,
										 w->target.server.time_zone);

	check_text(provider, attname, json);
	/* a naive time outside the years the API can store it would be mangled */
	if ((wire == CRM_FMT_LOCAL || wire == CRM_FMT_DATE) && json_is_string(json) &&
		(provider->min_year > 0 || provider->max_year > 0))
	{
		int			year = atoi(json_string_value(json));

		if ((provider->min_year > 0 && year < provider->min_year) ||
			(provider->max_year > 0 && year > provider->max_year))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("column \"%s\": %s cannot store the time %s",
							attname, provider->display_name, json_string_value(json)),
					 errdetail("%s stores times from year %d to %d; it would store this one as no time at all.",
							   provider->display_name, provider->min_year, provider->max_year)));
	}
	crm_json_set_path(values, written, json);
}

/* The route that writes several rows at once where the single one cannot. */
const CrmWriteRoute *
crm_batch_route(const CrmEntity *entity, const CrmWriteRoute *route)
{
	if (route == entity->insert && entity->insert_batch)
		return entity->insert_batch;
	return route;
}

/* Rows a request takes: the option's, within the route's bound. */
int
crm_write_batch_size(const CrmWriteRoute *route, int option)
{
	if (route == NULL || route->batch_size <= 0)
		return 1;
	if (option > 0)
		return Min(option, route->batch_size);
	return route->default_batch > 0 ? route->default_batch : route->batch_size;
}

/* "PATCH /api/v4/leads, 50 rows a request", for EXPLAIN. */
char *
crm_write_route_text(const CrmWriteRoute *route, const CrmEntity *entity,
					 int batch_size)
{
	/* the key by its name, as the read requests show it */
	const char *hole = strstr(route->path, "{key}");
	char	   *path = hole && entity->key ?
		psprintf("%.*s{%s}%s", (int) (hole - route->path), route->path,
				 entity->key, hole + 5) : pstrdup(route->path);

	if (route->batch_size > 0)
		return psprintf("%s %s, up to %d row%s a request", route->method,
						path, batch_size, batch_size == 1 ? "" : "s");
	return psprintf("%s %s, one request a row", route->method, path);
}

void
crm_writer_init(CrmWriter *writer, ForeignServer *server,
				const CrmEntity *entity, CmdType operation, const char *relname)
{
	memset(writer, 0, sizeof(*writer));
	crm_target_init(&writer->target, server);
	writer->entity = entity;
	writer->operation = operation;
	writer->relname = pstrdup(relname);
	initStringInfo(&writer->written_ids);
}

static char *
values_text(const CrmWriteRow *row)
{
	char	   *text;

	if (row->values == NULL)
		return row->key ? psprintf("%s", row->key) : pstrdup("");
	text = crm_utf8_for_message(crm_json_text(row->values));
	if (strlen(text) > CRM_VALUES_SHOWN)
		text = psprintf("%.*s...", CRM_VALUES_SHOWN, text);
	return text;
}

/*
 * Every error while rows are written says which rows, with their values,
 * what became of them, and what this statement had written before.
 */
static void
writer_context(void *arg)
{
	CrmWriter  *w = (CrmWriter *) arg;
	const char *p = w->target.provider->display_name;
	StringInfoData buf;

	/*
	 * said here, so the end of the statement need not say it again; a
	 * notice or warning (the request log's, say) says nothing of the kind
	 */
	if (geterrcode() != ERRCODE_SUCCESSFUL_COMPLETION &&
		ERRCODE_TO_CATEGORY(geterrcode()) != ERRCODE_WARNING)
		w->reported = true;
	initStringInfo(&buf);
	if (w->ncurrent == 1)
	{
		CrmWriteRow *row = &w->current[0];

		appendStringInfo(&buf, "%s of row " INT64_FORMAT " of foreign table \"%s\"",
						 operation_name(w->operation), row->number, w->relname);
		if (row->key && w->operation != CMD_INSERT)
			appendStringInfo(&buf, " (%s %s)", w->entity->key ? w->entity->key : "key",
							 row->key);
		if (row->values)
			appendStringInfo(&buf, " with %s", values_text(row));
	}
	else if (w->ncurrent > 1)
		appendStringInfo(&buf, "%s of rows " INT64_FORMAT " to " INT64_FORMAT " of foreign table \"%s\", in one request",
						 operation_name(w->operation), w->current[0].number,
						 w->current[w->ncurrent - 1].number, w->relname);
	else
		appendStringInfo(&buf, "%s of foreign table \"%s\"",
						 operation_name(w->operation), w->relname);

	if (w->in_flight)
		appendStringInfo(&buf, "; it had been sent, so whether %s made the change is unknown",
						 p);
	if (w->rows_written == 0)
		appendStringInfoString(&buf, "; no row was written before it");
	else
		appendStringInfo(&buf, "; " INT64_FORMAT " row%s written before it stay%s written (%s %s%s), as %s has no transactions",
						 w->rows_written, w->rows_written == 1 ? "" : "s",
						 w->rows_written == 1 ? "s" : "",
						 w->entity->key ? w->entity->key : "id", w->written_ids.data,
						 w->rows_written > CRM_WRITTEN_IDS_SHOWN ? ", ..." : "", p);
	errcontext("%s", buf.data);
}

/*
 * Rows that statements of the current transaction wrote and that no
 * message has mentioned yet: a ROLLBACK cannot undo them, and says so.
 */
static int64 xact_rows_written = 0;
static const char *xact_provider = NULL;

static void
writes_xact_callback(XactEvent event, void *arg)
{
	if ((event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) &&
		xact_rows_written > 0)
		ereport(WARNING,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg(INT64_FORMAT " row%s written to %s in the rolled back transaction stay%s written",
						xact_rows_written, xact_rows_written == 1 ? "" : "s",
						xact_provider, xact_rows_written == 1 ? "s" : ""),
				 errhint("%s has no transactions: a rollback does not undo them.",
						 xact_provider)));
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		xact_rows_written = 0;
}

/*
 * When a statement's memory goes without crm_writer_finish having run, the
 * statement failed: in its scan, a trigger, RETURNING, anywhere.  Rows it
 * wrote stay written, and unless an error's context said so already, a
 * WARNING does.
 */
static void
statement_gone(void *arg)
{
	CrmWriter  *w = (CrmWriter *) arg;

	if (w->ended || w->rows_written == 0 || w->reported)
		return;
	ereport(WARNING,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg(INT64_FORMAT " row%s written to %s by the failed statement stay%s written",
					w->rows_written, w->rows_written == 1 ? "" : "s",
					w->target.provider->display_name,
					w->rows_written == 1 ? "s" : ""),
			 errdetail("%s of foreign table \"%s\", %s %s%s.",
					   operation_name(w->operation), w->relname,
					   w->entity->key ? w->entity->key : "id", w->written_ids.data,
					   w->rows_written > CRM_WRITTEN_IDS_SHOWN ? ", ..." : ""),
			 errhint("%s has no transactions: a rollback does not undo them.",
					 w->target.provider->display_name)));
}

/* Warns, if the statement fails after writing, that its rows stay. */
void
crm_writer_watch(CrmWriter *writer, MemoryContext statement_cxt)
{
	writer->gone.func = statement_gone;
	writer->gone.arg = writer;
	MemoryContextRegisterResetCallback(statement_cxt, &writer->gone);
}

/* The statement's writes ended well; a later ROLLBACK warns of them. */
void
crm_writer_finish(CrmWriter *writer)
{
	static bool registered = false;

	writer->ended = true;
	if (writer->rows_written > 0)
	{
		if (!registered)
		{
			RegisterXactCallback(writes_xact_callback, NULL);
			registered = true;
		}
		xact_rows_written += writer->rows_written;
		xact_provider = writer->target.provider->display_name;
	}
}

void
crm_writer_push_context(CrmWriter *writer)
{
	writer->errcallback.callback = writer_context;
	writer->errcallback.arg = writer;
	writer->errcallback.previous = error_context_stack;
	error_context_stack = &writer->errcallback;
}

void
crm_writer_pop_context(CrmWriter *writer)
{
	error_context_stack = writer->errcallback.previous;
}

static void
remember_written(CrmWriter *w, CrmWriteRow *row)
{
	json_t	   *id = (row->answer && w->entity->key) ?
		json_object_get(row->answer, w->entity->key) : NULL;
	const char *text = row->key;

	if (id && !json_is_null(id))
		text = crm_json_text(id);
	row->outcome = CRM_ROW_WRITTEN;
	/* a row two routes write is one row written */
	if (row->counted)
		return;
	row->counted = true;
	w->rows_written++;
	if (w->rows_written <= CRM_WRITTEN_IDS_SHOWN && text)
		appendStringInfo(&w->written_ids, "%s%s",
						 w->written_ids.len ? ", " : "", text);
}

/* ---- requests ---- */

/*
 * A value that picks the path must be one the path takes: the entity's
 * listing names them (notes of leads, contacts or companies), and any other
 * would reach no endpoint, or the wrong one.
 */
static void
check_path_value(const CrmEntity *entity, const char *name, const char *value)
{
	StringInfoData valid;

	for (const CrmFilter *f = entity->filters; f && f->column; f++)
	{
		if (!f->in_path || !f->domain || strcmp(f->column, name) != 0)
			continue;
		initStringInfo(&valid);
		for (const char *const *v = f->domain; *v; v++)
		{
			if (strcmp(*v, value) == 0)
				return;
			appendStringInfo(&valid, "%s%s", valid.len ? ", " : "", *v);
		}
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for column \"%s\" of a row of %s: \"%s\"",
						name, entity->name, crm_utf8_for_message(value)),
				 errhint("Valid values are: %s.", valid.data)));
	}
}

/* A path template's {key} and {column}s filled from a row. */
static char *
row_path(const CrmEntity *entity, const CrmWriteRoute *route,
		 const CrmWriteRow *row)
{
	StringInfoData buf;
	const char *p = route->path;

	initStringInfo(&buf);
	while (*p)
	{
		const char *open = strchr(p, '{');
		const char *close;
		char	   *name;
		const char *value;
		json_t	   *v;

		if (open == NULL || (close = strchr(open, '}')) == NULL)
		{
			appendStringInfoString(&buf, p);
			break;
		}
		appendBinaryStringInfo(&buf, p, open - p);
		name = pnstrdup(open + 1, close - open - 1);
		if (strcmp(name, "key") == 0)
			value = row->key;
		else
		{
			v = row->values ? json_object_get(row->values, name) : NULL;
			value = json_is_string(v) ? json_string_value(v) :
				v && !json_is_null(v) ? crm_json_text(v) : NULL;
		}
		if (value == NULL || *value == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("a row written to %s needs a value for \"%s\"",
							route->path, name),
					 errhint("The column that reads \"%s\" picks where the row is written.",
							 name)));
		check_path_value(entity, name, value);
		for (const char *c = value; *c; c++)
		{
			if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				(*c >= '0' && *c <= '9') || strchr("-._~", *c))
				appendStringInfoChar(&buf, *c);
			else
				appendStringInfo(&buf, "%%%02X", (unsigned char) *c);
		}
		pfree(name);
		p = close + 1;
	}
	return buf.data;
}

/* Whether the path uses this field (it is then not in the body). */
static bool
path_names(const CrmWriteRoute *route, const char *field)
{
	char	   *hole = psprintf("{%s}", field);

	return strstr(route->path, hole) != NULL;
}

/* A key as JSON: a number when it is one. */
static json_t *
key_json(const char *key)
{
	char	   *end;
	long long	n = strtoll(key, &end, 10);

	if (*key && *end == '\0')
		return json_integer(n);
	return json_string(key);
}

/*
 * Values the API takes in another spelling, translated (a user id to its
 * login); one the API does not know is refused before anything is sent.
 */
static void
translate_written(CrmWriter *w, json_t *item)
{
	const char *field;
	json_t	   *value;
	void	   *tmp;

	json_object_foreach_safe(item, tmp, field, value)
	{
		const CrmColumn *column = crm_written_column(w->entity, field);
		char	   *text;
		char	   *translated;

		if (column == NULL || column->write_lookup == NULL || json_is_null(value))
			continue;
		text = json_is_string(value) ? pstrdup(json_string_value(value)) :
			crm_json_text(value);
		translated = crm_lookup_value(&w->target, column->write_lookup, text,
									  &w->counters);
		if (translated == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("%s has no %s with %s %s",
							w->target.provider->display_name,
							column->write_lookup->entity,
							column->write_lookup->from_field,
							crm_utf8_for_message(text)),
					 errhint("The %s table lists the values %s takes.",
							 column->write_lookup->entity, column->name)));
		json_object_set_new(item, field, json_string(translated));
	}
}

/* One row's item as the route sends it, shaped by the provider. */
static json_t *
row_item(CrmWriter *w, const CrmWriteRoute *route, const CrmWriteRow *row,
		 bool batch)
{
	json_t	   *item = crm_json_object();
	const char *field;
	json_t	   *value;

	if (row->values)
		json_object_foreach(row->values, field, value)
		{
			if (!path_names(route, field))
				json_object_set(item, field, value);
		}
	/* what the route must be sent along, as the row is */
	for (const char *const *c = route->carry; c && *c; c++)
	{
		json_t	   *v = row->current ? json_object_get(row->current, *c) : NULL;

		if (v && json_object_get(item, *c) == NULL)
			json_object_set(item, *c, v);
	}
	translate_written(w, item);
	if (w->target.provider->shape_write)
		w->target.provider->shape_write(w->entity, w->operation, item);
	if (route->key_param && row->key)
		json_object_set_new(item, route->key_param, key_json(row->key));
	if (batch && route->request_id_param)
		json_object_set_new(item, route->request_id_param,
							json_string(psprintf(INT64_FORMAT, row->number)));
	return item;
}

/* ---- outcomes ---- */

static const char *
failure_reason(const CrmWriter *w, const CrmAnswer *answer)
{
	if (answer->transport_failed)
		return psprintf("The request was sent, and then: %s.", answer->transport_error);
	if (answer->status < 200 || answer->status > 299)
		return psprintf("%s answered HTTP %ld%s%s.", w->target.provider->display_name,
						answer->status, answer->vendor_message ? ": " : "",
						answer->vendor_message ? crm_utf8_for_message(answer->vendor_message) : "");
	if (answer->body_len == 0)
		return psprintf("%s answered HTTP %ld with no body.",
						w->target.provider->display_name, answer->status);
	if (answer->json == NULL)
		return psprintf("%s answered HTTP %ld with a body that is not JSON: \"%s\".",
						w->target.provider->display_name, answer->status,
						crm_answer_excerpt((CrmTarget *) &w->target, answer->body,
										   answer->body_len));
	if (answer->vendor_message)
		return psprintf("%s answered HTTP %ld, yet said: %s",
						w->target.provider->display_name, answer->status,
						crm_utf8_for_message(crm_http_redact(w->target.conn->http,
															 answer->vendor_message)));
	return psprintf("%s answered HTTP %ld without the written item.",
					w->target.provider->display_name, answer->status);
}

/*
 * The request left, and what it did is not known: reported as such, never
 * as "not written", and with nothing that invites writing it again.
 */
static void
outcome_unknown(CrmWriter *w, const CrmRequest *request, const CrmAnswer *answer)
{
	const char *p = w->target.provider->display_name;

	ereport(ERROR,
			(errcode(ERRCODE_TRANSACTION_RESOLUTION_UNKNOWN),
			 errmsg("the outcome of the %s is unknown: %s may have made it",
					operation_name(w->operation), p),
			 errdetail("%s", failure_reason(w, answer)),
			 answer->vendor_hint ? errhint("%s", answer->vendor_hint) :
			 errhint("Check in %s whether the change was made before writing it again; crm_fdw sent it once and did not resend it.",
					 p),
			 errcontext("%s", crm_request_context(request))));
}

/* A batch the API refused whole: which rows it named, and that none was written. */
static void
batch_refused(CrmWriter *w, const CrmWriteRoute *route, const CrmRequest *request,
			  CrmAnswer *answer, CrmWriteRow *rows, int nrows)
{
	const char *p = w->target.provider->display_name;
	StringInfoData culprits;
	ListCell   *lc;

	/* items named by request id are row numbers; others by position */
	initStringInfo(&culprits);
	foreach(lc, answer->failed_items)
	{
		int			item = lfirst_int(lc);
		int64		number = route->request_id_param ? (int64) item :
			(item >= 0 && item < nrows ? rows[item].number : -1);

		if (number >= 0)
			appendStringInfo(&culprits, "%s" INT64_FORMAT, culprits.len ? ", " : "",
							 number);
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 culprits.len ?
			 errmsg("%s refused row%s %s of the batch, and wrote none of its %d rows",
					p, strchr(culprits.data, ',') ? "s" : "", culprits.data, nrows) :
			 errmsg("%s refused a batch of %d rows, and wrote none of them", p, nrows),
			 answer->vendor_message ?
			 errdetail("%s", crm_utf8_for_message(crm_http_redact(w->target.conn->http,
																  answer->vendor_message))) :
			 errdetail("HTTP %ld.", answer->status),
			 errhint("%s writes a batch whole or not at all: fix the rows named (item numbers are the statement's row numbers) and write the batch again.",
					 p),
			 errcontext("%s", crm_request_context(request))));
}

/* Items of a batch answer, one per row, matched by request id or order. */
static json_t *
batch_item(const CrmWriteRoute *route, json_t *items, int index,
		   const CrmWriteRow *row)
{
	if (route->request_id_param)
	{
		char	   *want = psprintf(INT64_FORMAT, row->number);

		for (size_t i = 0; i < json_array_size(items); i++)
		{
			json_t	   *item = json_array_get(items, i);
			json_t	   *id = json_object_get(item, route->request_id_param);

			if ((json_is_string(id) && strcmp(json_string_value(id), want) == 0) ||
				(json_is_integer(id) && json_integer_value(id) == row->number))
				return item;
		}
	}
	return json_array_get(items, index);
}

/*
 * Written values under the fields the table reads them from: a value
 * written under a name of its own goes back to its column's field, unless
 * that field reaches across items (then the API's answer, or a read back,
 * must say).
 */
static json_t *
read_fields(const CrmEntity *entity, json_t *values)
{
	json_t	   *row = crm_json_object();
	const char *name;
	json_t	   *value;

	if (values == NULL)
		return row;
	json_object_foreach(values, name, value)
	{
		const CrmColumn *column = crm_written_column(entity, name);

		if (column && column->write_param)
		{
			const char *field = column->field ? column->field : column->name;

			if (field[0] != '^' && strchr(field, '*') == NULL)
				crm_json_set_path(row, field, json_incref(value));
			continue;
		}
		json_object_set(row, name, value);
	}
	return row;
}

/*
 * An answer item as row fields: as it is, or, where the answer holds only
 * the new key somewhere of its own ({"result": ..., "data": 25353}), the
 * key under the entity's name for it.
 */
static json_t *
answer_row(CrmWriter *w, const CrmWriteRoute *route, json_t *item)
{
	json_t	   *row;
	json_t	   *key;

	if (route->answer_key == NULL || w->entity->key == NULL)
		return item;
	row = crm_json_object();
	key = crm_json_path(item, route->answer_key);
	if (key && (json_is_integer(key) || json_is_string(key)))
		json_object_set(row, w->entity->key, key);
	return row;
}

/* Judges what one request did to its rows. */
static void
judge(CrmWriter *w, const CrmWriteRoute *route, const CrmRequest *request,
	  CrmAnswer *answer, CrmWriteRow *rows, int nrows, bool batch,
	  int64 retries_before)
{
	const CrmProvider *provider = w->target.provider;
	json_t	   *items;
	StringInfoData refused;
	StringInfoData unknown;
	int			nrefused = 0;

	if (answer->transport_failed)
	{
		/* it never left: certainly not written, and the usual error says so */
		if (!answer->maybe_sent)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not send the %s to %s",
							operation_name(w->operation), provider->display_name),
					 errdetail("%s", answer->transport_error),
					 errhint("Check the url option of server \"%s\"; this row was not written.",
							 w->target.server_name),
					 errcontext("%s", crm_request_context(request))));
		outcome_unknown(w, request, answer);
	}

	switch (answer->kind)
	{
		case CRM_ANSWER_NO_ROWS:
			/*
			 * The item is gone.  After a retried DELETE, our first attempt
			 * deleted it and its answer was lost: done.  Otherwise it
			 * vanished between the read and the write, and, as for a row
			 * deleted by a concurrent transaction, nothing is changed.
			 */
			if (request->is_item && w->operation != CMD_INSERT && nrows == 1)
			{
				if (w->operation == CMD_DELETE && w->counters.retries > retries_before)
					remember_written(w, &rows[0]);
				else
					rows[0].outcome = CRM_ROW_VANISHED;
				return;
			}
			outcome_unknown(w, request, answer);
			break;
		case CRM_ANSWER_FAILED:
			/* a 4xx is a refusal: the API did nothing */
			if (answer->refused || (answer->status >= 400 && answer->status <= 499))
			{
				if (batch && nrows > 1)
					batch_refused(w, route, request, answer, rows, nrows);
				crm_report_failure(&w->target, request, answer);
			}
			outcome_unknown(w, request, answer);
			break;
		case CRM_ANSWER_ROWS:
			break;
	}

	items = route->answer_items ? crm_json_path(answer->json, route->answer_items) :
		answer->json;
	if (!batch)
	{
		const char *message = NULL;
		json_t	   *item = json_is_array(items) ? json_array_get(items, 0) : items;

		if (w->operation == CMD_DELETE)
		{
			remember_written(w, &rows[0]);
			return;
		}
		if (item == NULL || !json_is_object(item))
			outcome_unknown(w, request, answer);
		if (provider->item_written &&
			provider->item_written(w->entity, w->operation, item, &message) !=
			CRM_ITEM_WRITTEN)
		{
			/* a success that says it failed: the change may have been made */
			answer->vendor_message = message;
			outcome_unknown(w, request, answer);
		}
		rows[0].answer = answer_row(w, route, item);
		remember_written(w, &rows[0]);
		return;
	}

	if (!json_is_array(items))
		outcome_unknown(w, request, answer);

	/* each item by itself: what was written is remembered before any error */
	initStringInfo(&refused);
	initStringInfo(&unknown);
	for (int i = 0; i < nrows; i++)
	{
		json_t	   *item = batch_item(route, items, i, &rows[i]);
		const char *message = NULL;
		CrmItemVerdict verdict = CRM_ITEM_WRITTEN;

		if (item == NULL || !json_is_object(item))
			continue;
		if (provider->item_written)
			verdict = provider->item_written(w->entity, w->operation, item, &message);
		if (verdict == CRM_ITEM_REFUSED)
		{
			appendStringInfo(&refused, "%srow " INT64_FORMAT ": %s",
							 refused.len ? "; " : "", rows[i].number,
							 message ? crm_utf8_for_message(message) : "refused");
			rows[i].outcome = CRM_ROW_REFUSED;
			nrefused++;
			continue;
		}
		if (verdict == CRM_ITEM_UNKNOWN)
		{
			appendStringInfo(&unknown, "%srow " INT64_FORMAT ": %s",
							 unknown.len ? "; " : "", rows[i].number,
							 message ? crm_utf8_for_message(message) : "failed");
			continue;
		}
		rows[i].answer = answer_row(w, route, item);
		remember_written(w, &rows[i]);
	}

	/*
	 * Rows the answer leaves open come first: they are what must be
	 * checked.  The refused ones, certain, are named with them.
	 */
	for (int i = 0; i < nrows; i++)
		if (rows[i].outcome == CRM_ROW_PENDING)
		{
			/* the batch's rows; DETAIL says which is which */
			w->current = rows;
			w->ncurrent = nrows;
			if (unknown.len || nrefused)
				answer->vendor_message =
					psprintf("%s%s%s%s", unknown.len ? "The answer says of " : "",
							 unknown.data,
							 nrefused ? (unknown.len ? "; refused, not written: " :
										 "Refused, not written: ") : "",
							 nrefused ? refused.data : "");
			outcome_unknown(w, request, answer);
		}
	if (nrefused > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("%s refused %d of the %d rows of a batch",
						provider->display_name, nrefused, nrows),
				 errdetail("%s", refused.data),
				 errhint("The other rows of the batch were written, as CONTEXT says; the refused ones were not."),
				 errcontext("%s", crm_request_context(request))));
}

static void send_rows(CrmWriter *w, const CrmWriteRoute *route, const char *path,
					  CrmWriteRow *rows, int nrows, bool batch);

/*
 * Marks the rows whose items are gone; true if any is.  One read of the
 * batch's keys tells.
 */
static bool
drop_vanished(CrmWriter *w, CrmWriteRow *rows, int nrows)
{
	List	   *keys = NIL;
	json_t	   *found;
	bool		any = false;

	if (w->entity->key == NULL)
		return false;
	for (int i = 0; i < nrows; i++)
		keys = lappend(keys, rows[i].key);
	found = crm_read_back(w, keys, NULL, false);
	if (found == NULL)
		return false;
	for (int i = 0; i < nrows; i++)
	{
		bool		there = false;

		for (size_t r = 0; r < json_array_size(found) && !there; r++)
		{
			json_t	   *id = json_object_get(json_array_get(found, r), w->entity->key);

			there = crm_json_same_scalar(id, key_json(rows[i].key));
		}
		if (!there)
		{
			rows[i].outcome = CRM_ROW_VANISHED;
			any = true;
		}
	}
	return any;
}

/* One request for rows[0..n-1], all with the same path. */
static void
send_rows(CrmWriter *w, const CrmWriteRoute *route, const char *path,
		  CrmWriteRow *rows, int nrows, bool batch)
{
	CrmRequest	request;
	CrmAnswer	answer;
	int64		retries_before = w->counters.retries;

	crm_request_init(&request, route->method);
	appendStringInfoString(&request.path, path);
	/* a delete is idempotent by construction; other writes go out once */
	request.idempotent = w->operation == CMD_DELETE;
	request.is_write = true;
	/* a write naming one item: "no such item" means it is gone */
	request.is_item = strstr(route->path, "{key}") != NULL ||
		(!batch && route->key_param != NULL);
	if (batch)
	{
		json_t	   *items = json_array();

		for (int i = 0; i < nrows; i++)
			json_array_append_new(items, row_item(w, route, &rows[i], true));
		if (route->batch_wrapper)
		{
			request.body = crm_json_object();
			json_object_set_new(request.body, route->batch_wrapper, items);
		}
		else
			request.body = items;
	}
	else if (w->operation != CMD_DELETE || rows[0].values || route->key_param)
		request.body = row_item(w, route, &rows[0], false);

	w->current = rows;
	w->ncurrent = nrows;
	CHECK_FOR_INTERRUPTS();
	w->in_flight = true;
	crm_send_write(&w->target, w->entity, &request, &w->counters, &answer);
	w->in_flight = false;
	/* what this statement, or one around it, read before may have changed */
	crm_statement_caches_clear();

	/*
	 * A batch that changes items by key is refused whole when one of them
	 * is gone (amoCRM names it in its validation errors).  The refusal
	 * proves nothing was written, so the items still there are sent again,
	 * and the gone ones are left alone, as for any UPDATE.
	 */
	if (batch && w->operation == CMD_UPDATE && answer.kind == CRM_ANSWER_FAILED &&
		!answer.transport_failed &&
		(answer.refused || (answer.status >= 400 && answer.status <= 499)) &&
		answer.failure == CRM_FAIL_INVALID_INPUT && drop_vanished(w, rows, nrows))
	{
		CrmWriteRow *still = palloc(sizeof(CrmWriteRow) * nrows);
		int			n = 0;

		for (int i = 0; i < nrows; i++)
			if (rows[i].outcome != CRM_ROW_VANISHED)
				still[n++] = rows[i];
		if (n > 0)
			send_rows(w, route, path, still, n, batch);
		for (int i = 0, k = 0; i < nrows && k < n; i++)
			if (rows[i].number == still[k].number)
				rows[i] = still[k++];
		return;
	}
	judge(w, route, &request, &answer, rows, nrows, batch, retries_before);
}

/*
 * Writes rows through a route: grouped by path, in batches of batch_size
 * where the route takes arrays, one request a row otherwise.  Each row's
 * outcome is in rows[i].outcome (written or vanished) when it returns;
 * any other outcome is an ERROR.
 */
void
crm_write_rows(CrmWriter *w, const CrmWriteRoute *route, CrmWriteRow *rows,
			   int nrows, int batch_size)
{
	char	  **paths = palloc(sizeof(char *) * Max(nrows, 1));
	bool	   *done = palloc0(sizeof(bool) * Max(nrows, 1));
	bool		batch;

	/* several rows go by the batch route, one by the single one */
	if (nrows > 1 && batch_size > 1)
		route = crm_batch_route(w->entity, route);
	batch = route->batch_size > 0;

	for (int i = 0; i < nrows; i++)
	{
		w->current = &rows[i];
		w->ncurrent = 1;
		paths[i] = row_path(w->entity, route, &rows[i]);
	}

	for (int i = 0; i < nrows; i++)
	{
		CrmWriteRow *group;
		int			n = 0;

		if (done[i])
			continue;
		if (!batch)
		{
			done[i] = true;
			send_rows(w, route, paths[i], &rows[i], 1, false);
			continue;
		}
		/* this path's rows, in their order, a batch at a time */
		group = palloc(sizeof(CrmWriteRow) * nrows);
		for (int j = i; j < nrows; j++)
			if (!done[j] && strcmp(paths[j], paths[i]) == 0)
			{
				group[n++] = rows[j];
				done[j] = true;
			}
		for (int start = 0; start < n; start += batch_size)
		{
			int			count = Min(batch_size, n - start);

			send_rows(w, route, paths[i], &group[start], count, true);
		}
		/* outcomes and answers back to the caller's rows */
		for (int j = 0, k = 0; j < nrows && k < n; j++)
			if (strcmp(paths[j], paths[i]) == 0 && rows[j].number == group[k].number)
				rows[j] = group[k++];
	}
	w->current = NULL;
	w->ncurrent = 0;
}

/* Whether two rows name the same values for the listing's path. */
static bool
same_path_values(const CrmEntity *entity, json_t *a, json_t *b)
{
	for (const CrmFilter *f = entity->filters; f && f->column; f++)
		if (f->in_path)
		{
			json_t	   *va = json_object_get(a, f->column);
			json_t	   *vb = json_object_get(b, f->column);

			if (!(va == vb || (va && vb && json_equal(va, vb))))
				return false;
		}
	return true;
}

/*
 * The rows of these keys as the API has them now, for RETURNING columns a
 * write's answer lacks: one listing by the key's list filter (in chunks it
 * takes), else the items one by one.  A listing whose path takes a value
 * (amoCRM's notes of leads) takes it from path_values.  NULL if the entity
 * offers no way to read them.
 */
json_t *
crm_read_back(CrmWriter *w, List *keys, json_t *path_values, bool listing)
{
	const CrmEntity *entity = w->entity;
	const CrmFilter *filter = NULL;
	json_t	   *rows = json_array();
	List	   *calls = NIL;
	List	   *path_params = NIL;
	ListCell   *lc;

	/* what the item endpoint leaves out: items completed, or the listing */
	if (listing && entity->item_completion && entity->item_path)
	{
		foreach(lc, keys)
		{
			CrmCall		call;
			json_t	   *items;

			memset(&call, 0, sizeof(call));
			call.item_key = (char *) lfirst(lc);
			items = crm_fetch_all(&w->target, entity, &call, &w->counters);
			if (json_array_size(items) == 1)
				json_array_append(rows, crm_complete_item(&w->target, entity,
														  json_array_get(items, 0),
														  &w->counters));
		}
		return rows;
	}
	if (listing)
	{
		json_t	   *all = crm_fetch_listing(&w->target, entity, &w->counters);

		for (size_t i = 0; i < json_array_size(all); i++)
		{
			json_t	   *item = json_array_get(all, i);
			json_t	   *key = json_object_get(item, entity->key);

			foreach(lc, keys)
				if (crm_json_same_scalar(key, key_json((char *) lfirst(lc))))
					json_array_append(rows, item);
		}
		return rows;
	}

	for (const CrmFilter *f = entity->filters; f && f->column; f++)
	{
		if (entity->key && strcmp(f->column, entity->key) == 0 &&
			(f->ops & CRM_OP_IN) && !f->in_path && f->pair_column == NULL &&
			!(f->account_feature && crm_filters_off(&w->target)))
			filter = f;
		else if (f->in_path)
		{
			/* the path the rows were written to is the one they are read from */
			json_t	   *v = path_values ? json_object_get(path_values, f->column) : NULL;
			CrmParam   *param;

			if (v == NULL || json_is_null(v))
				return NULL;
			param = palloc0(sizeof(CrmParam));
			param->filter = f;
			param->values = list_make1(json_is_string(v) ?
									   pstrdup(json_string_value(v)) : crm_json_text(v));
			path_params = lappend(path_params, param);
		}
	}
	if (filter == NULL && entity->item_path == NULL)
		return NULL;

	if (filter && (list_length(keys) > 1 || entity->item_path == NULL))
	{
		int			chunk = filter->max_list > 0 ? filter->max_list : list_length(keys);

		for (int start = 0; start < list_length(keys); start += chunk)
		{
			CrmCall    *call = palloc0(sizeof(CrmCall));
			CrmParam   *param = palloc0(sizeof(CrmParam));

			param->filter = filter;
			param->values = list_truncate(list_copy_tail(keys, start), chunk);
			call->params = lappend(list_copy(path_params), param);
			calls = lappend(calls, call);
		}
	}
	else
		foreach(lc, keys)
		{
			CrmCall    *call = palloc0(sizeof(CrmCall));

			call->item_key = (char *) lfirst(lc);
			calls = lappend(calls, call);
		}

	foreach(lc, calls)
		json_array_extend(rows, crm_fetch_all(&w->target, entity,
											  (CrmCall *) lfirst(lc), &w->counters));
	return rows;
}

/* The part of a row's values one route writes. */
static json_t *
part_values(json_t *values, CrmRoutePart *part)
{
	json_t	   *subset = crm_json_object();
	ListCell   *lc;

	foreach(lc, part->fields)
	{
		char	   *head = field_head((char *) lfirst(lc));
		json_t	   *value = json_object_get(values, head);

		if (value)
			json_object_set(subset, head, value);
	}
	return subset;
}

/*
 * Writes rows through every route their columns need, in order; a row
 * whose item vanished at the first route is not written by the others.
 */
void
crm_write_parts(CrmWriter *w, List *parts, CrmWriteRow *rows, int nrows,
				int batch_size)
{
	ListCell   *lc;

	foreach(lc, parts)
	{
		CrmRoutePart *part = (CrmRoutePart *) lfirst(lc);
		CrmWriteRow *subset = palloc0(sizeof(CrmWriteRow) * Max(nrows, 1));
		int			n = 0;

		for (int i = 0; i < nrows; i++)
		{
			if (rows[i].outcome == CRM_ROW_VANISHED)
				continue;
			subset[n] = rows[i];
			subset[n].outcome = CRM_ROW_PENDING;
			subset[n].answer = NULL;
			if (list_length(parts) > 1 && rows[i].values)
				subset[n].values = part_values(rows[i].values, part);
			n++;
		}
		crm_write_rows(w, part->route, subset, n, batch_size);
		for (int i = 0, k = 0; i < nrows && k < n; i++)
		{
			if (rows[i].number != subset[k].number)
				continue;
			/* a change one route made stays made, whatever the next found */
			if (rows[i].outcome != CRM_ROW_WRITTEN)
				rows[i].outcome = subset[k].outcome;
			rows[i].counted = subset[k].counted;
			if (subset[k].answer)
			{
				if (rows[i].answer == NULL)
					rows[i].answer = json_deep_copy(subset[k].answer);
				else
					json_object_update(rows[i].answer, subset[k].answer);
			}
			k++;
		}
	}
}

/*
 * RETURNING rows: for each written row, the values sent overlaid by what
 * the API answered, in rows[i].answer.  Where that lacks a column RETURNING
 * reads, the rows are read back from the API, all in one listing where the
 * key has a list filter.
 */
void
crm_complete_returning(CrmWriter *w, List *parts, CrmWriteRow *rows, int nrows,
					   CrmColumnConv *convs, int nconvs)
{
	const CrmEntity *entity = w->entity;
	bool		whole = list_length(parts) == 1 &&
		((CrmRoutePart *) linitial(parts))->route->answer_is_row;
	bool	   *missing = palloc0(sizeof(bool) * Max(nrows, 1));
	bool		any = false;
	bool		listing = false;

	for (int i = 0; i < nrows; i++)
	{
		json_t	   *merged;
		CrmRow		as_row;

		if (rows[i].outcome != CRM_ROW_WRITTEN)
			continue;
		merged = read_fields(entity, rows[i].values);
		if (rows[i].answer)
			json_object_update(merged, rows[i].answer);
		if (rows[i].key && entity->key && json_object_get(merged, entity->key) == NULL)
			json_object_set_new(merged, entity->key, key_json(rows[i].key));
		rows[i].answer = merged;

		crm_row_of(&as_row, merged);
		/* what the API stores may differ from what was sent: read it, unless only the key is asked */
		if (w->target.provider->rewrites_values && entity->key &&
			json_object_get(merged, entity->key))
			for (int c = 0; c < nconvs; c++)
				if (strcmp(convs[c].field, entity->key) != 0)
					missing[i] = any = true;
		for (int c = 0; c < nconvs && !whole; c++)
			if (crm_json_lookup(&as_row, &convs[c]) == NULL && entity->key &&
				json_object_get(merged, entity->key))
			{
				const CrmColumn *column = crm_find_column_by_field(entity, convs[c].field);

				missing[i] = any = true;
				if (column && (column->flags & CRM_COL_NOT_IN_ITEM))
					listing = true;
			}
	}

	/*
	 * What the API has now, over what was sent and answered: one read for
	 * the rows of each path (the rows of one statement mostly share one).
	 */
	while (any)
	{
		List	   *keys = NIL;
		int			first = -1;
		json_t	   *read;

		for (int i = 0; i < nrows; i++)
		{
			json_t	   *key;

			if (!missing[i] ||
				(first >= 0 && !same_path_values(entity, rows[first].answer,
												 rows[i].answer)))
				continue;
			if (first < 0)
				first = i;
			missing[i] = false;
			key = json_object_get(rows[i].answer, entity->key);
			keys = lappend(keys, json_is_string(key) ?
						   pstrdup(json_string_value(key)) : crm_json_text(key));
		}
		if (first < 0)
			break;

		read = crm_read_back(w, keys, rows[first].answer, listing);
		for (size_t r = 0; r < json_array_size(read); r++)
		{
			json_t	   *item = json_array_get(read, r);
			json_t	   *key = json_object_get(item, entity->key);

			for (int i = 0; i < nrows && key; i++)
			{
				json_t	   *mine = rows[i].answer ?
					json_object_get(rows[i].answer, entity->key) : NULL;

				if (crm_json_same_scalar(mine, key))
					json_object_update(rows[i].answer, item);
			}
		}
	}
}
