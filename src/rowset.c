/*-------------------------------------------------------------------------
 *
 * rowset.c
 *		Turns an answer's items into table rows, as the entity declares:
 *		the items themselves, or the elements of arrays inside each item,
 *		level by level (amoCRM's stages are the statuses inside each
 *		pipeline; a lead's custom field values are the values inside each
 *		of its fields), each row keeping the items around it, which its
 *		columns may read with "^" paths.
 *
 * An item whose array is absent, null or empty makes no row.  Walks the
 * answer in place: nothing is copied, and nothing is allocated per row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "provider.h"
#include "rowset.h"

void
crm_rowset_start(CrmRowSet *set, json_t *items, const char *const *unnest)
{
	memset(set, 0, sizeof(*set));
	set->items = items;
	set->unnest = unnest;
	for (int i = 0; unnest && unnest[i]; i++)
		set->depth++;
	if (set->depth > CRM_MAX_UNNEST)
		elog(ERROR, "an entity unnests more than %d levels", CRM_MAX_UNNEST);
	set->arrays[0] = items;
	set->row.depth = set->depth;
}

/* A row of one object, for answers that are no listing (a write's). */
void
crm_row_of(CrmRow *row, json_t *object)
{
	memset(row, 0, sizeof(*row));
	row->levels[0] = object;
	row->depth = 0;
}

/*
 * The next row, depth first; false after the last.  At each level the
 * next element that is an object, holding a row at every level below.
 */
bool
crm_rowset_next(CrmRowSet *set, CrmRow *row)
{
	int			level = set->started ? set->depth : 0;

	if (!set->started)
	{
		set->started = true;
		set->index[0] = 0;
	}

	while (level >= 0)
	{
		json_t	   *array = set->arrays[level];
		json_t	   *element;

		if (array == NULL || set->index[level] >= json_array_size(array))
		{
			/* this level is done: the next element one level up */
			level--;
			continue;
		}
		element = json_array_get(array, set->index[level]++);
		if (!json_is_object(element) && level < set->depth)
			continue;
		set->row.levels[level] = element;
		if (level == set->depth)
		{
			*row = set->row;
			return true;
		}
		/* down into this element's array */
		{
			json_t	   *inner = crm_json_path(element, set->unnest[level]);

			level++;
			set->arrays[level] = json_is_array(inner) ? inner : NULL;
			set->index[level] = 0;
		}
	}
	return false;
}

/* How many rows the items make, for the counters. */
size_t
crm_rowset_count(json_t *items, const char *const *unnest)
{
	CrmRowSet	set;
	CrmRow		row;
	size_t		n = 0;

	if (unnest == NULL || unnest[0] == NULL)
		return json_array_size(items);
	crm_rowset_start(&set, items, unnest);
	while (crm_rowset_next(&set, &row))
		n++;
	return n;
}
