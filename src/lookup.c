/*-------------------------------------------------------------------------
 *
 * lookup.c
 *		Values the API takes in another spelling, translated through one of
 *		its entities: a row's user id becomes the login a filter or a write
 *		wants.
 *
 * The entity's listing is read whole; within a statement the statement
 * cache answers every read after the first, so a statement spends one
 * listing however many values it translates.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "json_datum.h"
#include "lookup.h"

/* A field's value as text: strings as they are, numbers as JSON has them. */
static char *
field_text(json_t *item, const char *field)
{
	json_t	   *v = crm_json_path(item, field);

	if (v == NULL || json_is_null(v))
		return NULL;
	return json_is_string(v) ? pstrdup(json_string_value(v)) : crm_json_text(v);
}

/* The lookup entity's rows, read once per statement. */
static json_t *
lookup_rows(CrmTarget *target, const CrmLookup *lookup, CrmCounters *counters)
{
	const CrmEntity *entity = crm_find_entity(target->provider, lookup->entity);

	if (entity == NULL)
		elog(ERROR, "provider \"%s\" has no entity \"%s\" to look values up in",
			 target->provider->name, lookup->entity);
	return crm_fetch_listing(target, entity, counters);
}

/*
 * The values translated, in their order; a value the entity does not have
 * is left out (no row can match it, and the API would take it for another).
 */
List *
crm_lookup_values(CrmTarget *target, const CrmLookup *lookup, List *values,
				  CrmCounters *counters)
{
	json_t	   *rows = lookup_rows(target, lookup, counters);
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, values)
	{
		const char *value = (const char *) lfirst(lc);

		for (size_t i = 0; i < json_array_size(rows); i++)
		{
			json_t	   *row = json_array_get(rows, i);
			char	   *from = field_text(row, lookup->from_field);
			char	   *to;

			if (from == NULL || strcmp(from, value) != 0)
				continue;
			to = field_text(row, lookup->to_field);
			if (to && *to)
				result = lappend(result, to);
			break;
		}
	}
	json_decref(rows);
	return result;
}

/* One value translated; NULL if the entity does not have it. */
char *
crm_lookup_value(CrmTarget *target, const CrmLookup *lookup, const char *value,
				 CrmCounters *counters)
{
	List	   *found = crm_lookup_values(target, lookup,
										  list_make1((char *) value), counters);

	return found ? (char *) linitial(found) : NULL;
}
