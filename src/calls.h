/*-------------------------------------------------------------------------
 *
 * calls.h
 *		When a scan starts: the pushed conditions' values spelled as the
 *		API spells them, and the fewest calls that fetch their rows.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_CALLS_H
#define CRM_CALLS_H

#include "postgres.h"

#include "provider.h"
#include "pushdown.h"

/* A condition with its value spelled. */
typedef struct CrmRenderedCondition
{
	const CrmCondition *cond;
	List	   *values;			/* API spellings (char *); NIL: matches nothing */
	bool		unbounded;		/* no restriction at all (an infinite bound) */
	bool		placeholder;	/* EXPLAIN: one stand-in for unknown values */
} CrmRenderedCondition;

extern void crm_render_condition(const CrmEntity *entity,
								 const CrmCondition *cond, Datum value,
								 bool isnull, const char *time_zone,
								 CrmRenderedCondition *out);
extern List *crm_build_calls(const CrmEntity *entity, List *rendered,
							 int full_pages, bool *no_rows);
extern char *crm_request_options(const CrmEntity *entity, Relation rel,
								 List *attnums);

#endif							/* CRM_CALLS_H */
