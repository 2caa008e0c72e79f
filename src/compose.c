/*-------------------------------------------------------------------------
 *
 * compose.c
 *		Spells a call as the request its provider expects: the path from
 *		the entity's template, the filters as the API names them (comma
 *		lists, repeated or indexed brackets, JSON arrays), fixed and option
 *		parameters, and the paging parameters of the page asked for, in a
 *		query string or a JSON body.
 *
 * Parameter names keep their brackets (filter[id][]) so that EXPLAIN, the
 * request log and the emulator's log read as the vendor's docs do; values
 * are percent-encoded.  EXPLAIN's stand-ins for values known only at run
 * time ("{$1}") are written as they are.
 *
 * Never sends anything and never decides what to ask for: calls.c does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "compose.h"
#include "json_datum.h"

void
crm_request_init(CrmRequest *request, const char *method)
{
	memset(request, 0, sizeof(*request));
	request->method = method;
	initStringInfo(&request->path);
	request->idempotent = true;
}

/* "POST /path {body}", for EXPLAIN and messages. */
char *
crm_request_text(const CrmRequest *request)
{
	if (request->body)
		return psprintf("%s %s %s", request->method, request->path.data,
						crm_json_text(request->body));
	return psprintf("%s %s", request->method, request->path.data);
}

/*
 * The request as an error's CONTEXT names it.  A write's body is left out:
 * the writer's own context names the rows and values it carried, which for
 * a batch is shorter and says more.
 */
char *
crm_request_context(const CrmRequest *request)
{
	if (request->is_write)
		return psprintf("%s %s", request->method, request->path.data);
	return crm_utf8_for_message(crm_request_text(request));
}

/*
 * Percent-encodes everything but RFC 3986's unreserved characters and the
 * ones listed safe, so that timestamps stay readable in logs and EXPLAIN.
 * Commas are encoded: they separate list values.
 */
static void
append_encoded(StringInfo buf, const char *value, const char *safe)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || strchr(safe, *p))
			appendStringInfoChar(buf, (char) *p);
		else
		{
			appendStringInfoChar(buf, '%');
			appendStringInfoChar(buf, hex[*p >> 4]);
			appendStringInfoChar(buf, hex[*p & 0x0F]);
		}
	}
}

static void
append_value(StringInfo buf, const char *value, bool verbatim)
{
	if (verbatim)
		appendStringInfoString(buf, value);
	else
		append_encoded(buf, value, "-._~:@/");
}

/* "?name=" for a query's first parameter, "&name=" for the others. */
static void
append_query_name(StringInfo buf, const char *name)
{
	appendStringInfoChar(buf, strchr(buf->data, '?') ? '&' : '?');
	/* brackets stay as the docs spell them: filter[id][] */
	append_encoded(buf, name, "-._~[]");
	appendStringInfoChar(buf, '=');
}

void
crm_append_query_param(StringInfo buf, const char *name, const char *value)
{
	append_query_name(buf, name);
	append_value(buf, value, false);
}

/* Whether a call's path names a parent item (deals/{id}/flow). */
bool
crm_call_has_path_params(const CrmCall *call)
{
	ListCell   *lc;

	foreach(lc, call->params)
		if (((CrmParam *) lfirst(lc))->filter->in_path)
			return true;
	return false;
}

/*
 * Appends a path template, filling each {name} with the call's item key (if
 * name is the entity's key) or with the value of the in-path filter whose
 * parameter is name.
 */
void
crm_append_path(StringInfo buf, const CrmEntity *entity,
				const char *template_path, const CrmCall *call)
{
	const char *p = template_path;

	while (*p)
	{
		const char *open = strchr(p, '{');
		const char *close;
		char	   *name;
		const char *value = NULL;
		bool		verbatim = false;
		ListCell   *lc;

		if (open == NULL || (close = strchr(open, '}')) == NULL)
		{
			appendStringInfoString(buf, p);
			break;
		}
		appendBinaryStringInfo(buf, p, open - p);
		name = pnstrdup(open + 1, close - open - 1);

		if (call->item_key && entity->key && strcmp(name, entity->key) == 0)
		{
			value = call->item_key;
			verbatim = call->item_key_placeholder;
		}
		foreach(lc, call->params)
		{
			CrmParam   *param = (CrmParam *) lfirst(lc);

			if (param->filter->in_path && strcmp(param->filter->param, name) == 0)
			{
				value = (const char *) linitial(param->values);
				verbatim = param->placeholder;
			}
		}
		if (value == NULL)
			elog(ERROR, "no value for {%s} in %s", name, template_path);
		if (verbatim)
			appendStringInfoString(buf, value);
		else
			/* a key must stay one path segment */
			append_encoded(buf, value, "-._~");
		pfree(name);
		p = close + 1;
	}
}

/* A parameter's value as JSON in a body: numbers as numbers. */
static json_t *
body_value(CrmValueFormat format, const char *text, bool placeholder)
{
	char	   *end;

	if (!placeholder && (format == CRM_FMT_INTEGER || format == CRM_FMT_UNIX))
	{
		long long	n = strtoll(text, &end, 10);

		if (*text && *end == '\0')
			return json_integer(n);
	}
	if (!placeholder && format == CRM_FMT_NUMBER)
	{
		double		d = strtod(text, &end);

		if (*text && *end == '\0')
			return json_real(d);
	}
	if (!placeholder && (format == CRM_FMT_BOOL))
		return json_boolean(strcmp(text, "true") == 0);
	return json_string(text);
}

/* A name template's {i} replaced by an entry's index. */
static char *
indexed_name(const char *name, int index)
{
	const char *hole = strstr(name, "{i}");

	if (hole == NULL)
		return pstrdup(name);
	return psprintf("%.*s%d%s", (int) (hole - name), name, index, hole + 3);
}

/* One filter's values into the query string. */
static void
append_query_filter(StringInfo buf, const CrmParam *param)
{
	const CrmFilter *filter = param->filter;
	const char *name = param->upper ? filter->upper_param : filter->param;
	ListCell   *lc;
	int			i = 0;

	if (filter->pair_column && strstr(filter->pair_param, "{i}") == NULL)
	{
		/* the pair's one value, then this filter's values in its style */
		append_query_name(buf, filter->pair_param);
		append_value(buf, (const char *) linitial(param->pair_values),
					 param->placeholder);
	}
	else if (filter->pair_column)
	{
		ListCell   *pc;

		forboth(lc, param->values, pc, param->pair_values)
		{
			/* the pair first: amoCRM's docs spell pipeline_id, then status_id */
			append_query_name(buf, indexed_name(filter->pair_param, i));
			append_value(buf, (const char *) lfirst(pc), param->placeholder);
			append_query_name(buf, indexed_name(name, i));
			append_value(buf, (const char *) lfirst(lc), param->placeholder);
			i++;
		}
		return;
	}

	switch (filter->list_style)
	{
		case CRM_LIST_COMMA:
		case CRM_LIST_JSON:
			append_query_name(buf, name);
			foreach(lc, param->values)
			{
				if (lc != list_head(param->values))
					appendStringInfoChar(buf, ',');
				append_value(buf, (const char *) lfirst(lc), param->placeholder);
			}
			break;
		case CRM_LIST_REPEAT:
		case CRM_LIST_INDEXED:
			foreach(lc, param->values)
			{
				append_query_name(buf, indexed_name(name, i++));
				append_value(buf, (const char *) lfirst(lc), param->placeholder);
			}
			break;
	}
}

/* One filter's values into a JSON body. */
static void
add_body_filter(json_t *body, const CrmParam *param)
{
	const CrmFilter *filter = param->filter;
	const char *name = param->upper ? filter->upper_param : filter->param;
	ListCell   *lc;

	/* a dotted name nests: "filter.clid" is {"filter": {"clid": ...}} */
	if (filter->list_style == CRM_LIST_COMMA && list_length(param->values) > 1)
	{
		StringInfoData joined;

		initStringInfo(&joined);
		foreach(lc, param->values)
			appendStringInfo(&joined, "%s%s", joined.len ? "," : "",
							 (const char *) lfirst(lc));
		crm_json_set_path(body, name, json_string(joined.data));
	}
	else if (filter->list_style == CRM_LIST_JSON || list_length(param->values) > 1)
	{
		json_t	   *array = json_array();

		foreach(lc, param->values)
			json_array_append_new(array, body_value(filter->format,
													(const char *) lfirst(lc),
													param->placeholder));
		crm_json_set_path(body, name, array);
	}
	else
		crm_json_set_path(body, name,
						  body_value(filter->format,
									 (const char *) linitial(param->values),
									 param->placeholder));
}

/* A parameter that is not a filter: fixed ones, options, paging. */
static void
add_param(const CrmProvider *provider, CrmRequest *request, const char *name,
		  const char *value, bool number)
{
	if (provider->params_in_body)
		crm_json_set_path(request->body, name,
						  number ? json_integer(strtoll(value, NULL, 10)) :
						  json_string(value));
	else
		crm_append_query_param(&request->path, name, value);
}

/* with=contacts,loss_reason: the commas separate, as the docs write them */
static void
add_options(const CrmProvider *provider, CrmRequest *request, const char *name,
			const char *options)
{
	if (provider->params_in_body)
	{
		json_object_set_new(request->body, name, json_string(options));
		return;
	}
	append_query_name(&request->path, name);
	append_encoded(&request->path, options, "-._~:@/,");
}

/*
 * The request for one page of a read: the item of call->item_key, or the
 * listing with call's parameters at the pager's position, asking for size
 * rows.
 */
void
crm_compose_read(const CrmProvider *provider, const CrmEntity *entity,
				 const CrmCall *call, const CrmPager *pager, int size,
				 CrmRequest *request)
{
	const CrmPaging *paging = entity->paging;
	ListCell   *lc;

	crm_request_init(request, provider->default_method ? provider->default_method : "GET");
	if (provider->params_in_body)
		request->body = crm_json_object();

	if (call->item_key)
	{
		request->is_item = true;
		crm_append_path(&request->path, entity, entity->item_path, call);
		if (entity->item_key_param)
		{
			if (provider->params_in_body)
				json_object_set_new(request->body, entity->item_key_param,
									body_value(CRM_FMT_INTEGER, call->item_key,
											   call->item_key_placeholder));
			else
			{
				append_query_name(&request->path, entity->item_key_param);
				append_value(&request->path, call->item_key,
							 call->item_key_placeholder);
			}
		}
		if (call->request_options)
			add_options(provider, request, entity->request_option_param,
						call->request_options);
		return;
	}

	crm_append_path(&request->path, entity, entity->list_path, call);
	foreach(lc, call->params)
	{
		CrmParam   *param = (CrmParam *) lfirst(lc);

		/* a parent item in the path (not one of a known set of paths) */
		if (param->filter->in_path && param->filter->domain == NULL)
			request->parent_in_path = true;
	}
	foreach(lc, call->params)
	{
		CrmParam   *param = (CrmParam *) lfirst(lc);

		if (param->filter->in_path)
			continue;
		if (provider->params_in_body)
			add_body_filter(request->body, param);
		else
			append_query_filter(&request->path, param);
	}
	for (const char *const *f = entity->fixed_params; f && f[0]; f += 2)
		add_param(provider, request, f[0], f[1], false);
	if (call->request_options)
		add_options(provider, request, entity->request_option_param,
					call->request_options);

	if (paging == NULL || paging->style == CRM_PAGING_NONE)
		return;
	switch (paging->style)
	{
		case CRM_PAGING_CURSOR:
			if (paging->size_param)
				add_param(provider, request, paging->size_param,
						  psprintf("%d", size), true);
			if (pager && pager->cursor)
				add_param(provider, request, paging->position_param,
						  pager->cursor, false);
			break;
		case CRM_PAGING_OFFSET:
			if (pager && pager->position > 0)
				add_param(provider, request, paging->position_param,
						  psprintf(INT64_FORMAT, pager->position), true);
			if (paging->size_param)
				add_param(provider, request, paging->size_param,
						  psprintf("%d", size), true);
			break;
		case CRM_PAGING_PAGE:
		case CRM_PAGING_PAGE_INDEX:
			if (paging->size_param)
				add_param(provider, request, paging->size_param,
						  psprintf("%d", size), true);
			add_param(provider, request, paging->position_param,
					  psprintf(INT64_FORMAT, pager ? pager->position :
							   (paging->style == CRM_PAGING_PAGE ? 1 : 0)),
					  true);
			break;
		case CRM_PAGING_NONE:
			break;
	}
}
