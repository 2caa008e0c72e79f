/*-------------------------------------------------------------------------
 *
 * provider.c
 *		The list of known CRMs, and helpers every provider shares for
 *		looking up entities and spelling URLs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "provider.h"

static const CrmProvider *const providers[] = {
	&crm_pipedrive_provider,
	NULL
};

const CrmProvider *
crm_find_provider(const char *name)
{
	for (int i = 0; providers[i]; i++)
		if (strcmp(providers[i]->name, name) == 0)
			return providers[i];
	return NULL;
}

/* The index-th provider, or NULL past the last. */
const CrmProvider *
crm_provider_at(int index)
{
	for (int i = 0; providers[i]; i++)
		if (i == index)
			return providers[i];
	return NULL;
}

/* "a, b, c" for hints. */
const char *
crm_provider_names(void)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; providers[i]; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", providers[i]->name);
	return buf.data;
}

const CrmEntity *
crm_find_entity(const CrmProvider *provider, const char *name)
{
	for (const CrmEntity *e = provider->entities; e->name; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

const char *
crm_entity_names(const CrmProvider *provider)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const CrmEntity *e = provider->entities; e->name; e++)
		appendStringInfo(&buf, "%s%s", e == provider->entities ? "" : ", ",
						 e->name);
	return buf.data;
}

const CrmColumn *
crm_find_column(const CrmEntity *entity, const char *name)
{
	for (const CrmColumn *c = entity->columns; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/*
 * Percent-encodes everything but RFC 3986's unreserved characters and the
 * few that are harmless inside a query value (":", "@", "/"), so that
 * timestamps stay readable in logs and EXPLAIN.  Commas are encoded: they
 * separate list values.
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

void
crm_append_encoded(StringInfo buf, const char *value)
{
	append_encoded(buf, value, "-._~:@/");
}

/*
 * A parameter's value in a query string.  Providers use this rather than
 * crm_append_encoded(): EXPLAIN's stand-ins for values known only at run
 * time ("{$1}") must stay readable.
 */
void
crm_append_param_value(StringInfo buf, const CrmParam *param, const char *value)
{
	if (param->placeholder)
		appendStringInfoString(buf, value);
	else
		crm_append_encoded(buf, value);
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

/* "?name=" for a query's first parameter, "&name=" for the others. */
void
crm_append_query_name(StringInfo buf, const char *name)
{
	appendStringInfoChar(buf, strchr(buf->data, '?') ? '&' : '?');
	crm_append_encoded(buf, name);
	appendStringInfoChar(buf, '=');
}

void
crm_append_query_param(StringInfo buf, const char *name, const char *value)
{
	crm_append_query_name(buf, name);
	crm_append_encoded(buf, value);
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
