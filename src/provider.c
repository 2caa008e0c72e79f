/*-------------------------------------------------------------------------
 *
 * provider.c
 *		The list of known CRMs, and what every provider's declarations are
 *		read with: lookups of entities and columns, JSON paths, and the
 *		judgement of an answer by its HTTP status alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "provider.h"

static const CrmProvider *const providers[] = {
	&crm_pipedrive_provider,
	&crm_amocrm_provider,
	&crm_salesman_provider,
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

/* The declared column that reads this field (its field, else its name). */
const CrmColumn *
crm_find_column_by_field(const CrmEntity *entity, const char *field)
{
	for (const CrmColumn *c = entity->columns; c->name; c++)
		if (strcmp(c->field ? c->field : c->name, field) == 0)
			return c;
	return NULL;
}

/* The name of the declared column that reads a field, else the field. */
const char *
crm_column_name_of(const CrmEntity *entity, const char *field)
{
	const CrmColumn *column = crm_find_column_by_field(entity, field);

	return column ? column->name : field;
}

/* One dotted path, without alternatives. */
static json_t *
json_path_one(json_t *value, const char *path, size_t len)
{
	const char *p = path;
	const char *end = path + len;

	while (value && p < end)
	{
		const char *dot = memchr(p, '.', end - p);
		size_t		n = dot ? (size_t) (dot - p) : (size_t) (end - p);
		char	   *key = pnstrdup(p, n);

		if (json_is_object(value))
			value = json_object_get(value, key);
		else if (json_is_array(value) && n > 0 && strspn(key, "0123456789") == n)
			value = json_array_get(value, (size_t) strtol(key, NULL, 10));
		else
			value = NULL;
		pfree(key);
		p += n + (dot ? 1 : 0);
	}
	return value;
}

/*
 * The value at a dotted path ("additional_data.next_cursor"), or NULL.
 * Alternatives separated by "|" are tried in turn; the first present wins.
 */
json_t *
crm_json_path(json_t *value, const char *path)
{
	const char *p = path;

	for (;;)
	{
		const char *bar = strchr(p, '|');
		size_t		len = bar ? (size_t) (bar - p) : strlen(p);
		json_t	   *found = json_path_one(value, p, len);

		if (found || bar == NULL)
			return found;
		p = bar + 1;
	}
}

/* Which of a path's alternatives is present, for messages; else the first. */
char *
crm_json_path_which(json_t *value, const char *path)
{
	const char *p = path;

	for (;;)
	{
		const char *bar = strchr(p, '|');
		size_t		len = bar ? (size_t) (bar - p) : strlen(p);

		if (json_path_one(value, p, len) != NULL)
			return pnstrdup(p, len);
		if (bar == NULL)
			return pnstrdup(path, strcspn(path, "|"));
		p = bar + 1;
	}
}

/* The string at a path, or NULL if it is absent or not a string. */
const char *
crm_json_string_at(json_t *value, const char *path)
{
	return json_string_value(crm_json_path(value, path));
}

/*
 * The verdict HTTP alone gives; providers refine it with what the body
 * says.  2xx with a body is rows; 204 and 404 on an item are no rows.
 */
void
crm_failure_from_status(CrmAnswer *answer)
{
	long		status = answer->status;

	answer->kind = CRM_ANSWER_FAILED;
	if (status >= 200 && status <= 299)
	{
		if (status == 204 || answer->body_len == 0)
			answer->kind = CRM_ANSWER_NO_ROWS;
		else if (answer->json == NULL)
			answer->failure = CRM_FAIL_BAD_ANSWER;
		else
			answer->kind = CRM_ANSWER_ROWS;
		/* an empty body where a body belongs is a failure to answer */
		if (status != 204 && answer->body_len == 0)
		{
			answer->kind = CRM_ANSWER_FAILED;
			answer->failure = CRM_FAIL_BAD_ANSWER;
		}
		return;
	}
	switch (status)
	{
		case 401:
			answer->failure = CRM_FAIL_AUTHENTICATION;
			break;
		case 402:
		case 403:
			answer->failure = CRM_FAIL_FORBIDDEN;
			break;
		case 404:
		case 410:
			if (answer->is_item)
				answer->kind = CRM_ANSWER_NO_ROWS;
			else
				answer->failure = CRM_FAIL_MISSING;
			break;
		case 405:
			answer->failure = CRM_FAIL_MISSING;
			break;
		case 400:
		case 409:
		case 413:
		case 415:
		case 422:
			answer->failure = CRM_FAIL_INVALID_INPUT;
			break;
		case 429:
			answer->failure = CRM_FAIL_RATE_LIMITED;
			break;
		default:
			answer->failure = status >= 500 ? CRM_FAIL_TRANSIENT :
				CRM_FAIL_BAD_ANSWER;
			break;
	}
}
