/*-------------------------------------------------------------------------
 *
 * rowset.h
 *		The table rows an answer's items make: each item, or the elements
 *		of arrays nested in it, with the items around them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_ROWSET_H
#define CRM_ROWSET_H

#include "postgres.h"

#include "crm_json.h"

#define CRM_MAX_UNNEST	4

/* One table row: the object at levels[depth], inside levels[depth - 1]... */
typedef struct CrmRow
{
	json_t	   *levels[CRM_MAX_UNNEST + 1];
	int			depth;
} CrmRow;

typedef struct CrmRowSet
{
	json_t	   *items;			/* the answer's items: a JSON array */
	const char *const *unnest;	/* array paths, one per level; NULL: none */
	int			depth;
	size_t		index[CRM_MAX_UNNEST + 1];	/* next element at each level */
	json_t	   *arrays[CRM_MAX_UNNEST + 1];
	CrmRow		row;
	bool		started;
} CrmRowSet;

extern void crm_rowset_start(CrmRowSet *set, json_t *items,
							 const char *const *unnest);
extern bool crm_rowset_next(CrmRowSet *set, CrmRow *row);
extern void crm_row_of(CrmRow *row, json_t *object);
extern size_t crm_rowset_count(json_t *items, const char *const *unnest);

#endif							/* CRM_ROWSET_H */
