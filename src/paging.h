/*-------------------------------------------------------------------------
 *
 * paging.h
 *		One engine for every provider's paging, driven by the entity's
 *		declared CrmPaging: where a call stands, what the next request
 *		asks for, and what an answer says of the page after it.
 *
 * The position of a page-numbered call is known before its answer, so a
 * scan may later ask for pages ahead of need, or several at once, through
 * the same interface; a cursor call learns its next position only from
 * the answer before.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_PAGING_H
#define CRM_PAGING_H

#include "postgres.h"

#include "provider.h"

typedef struct CrmPager
{
	const CrmProvider *provider;
	const CrmEntity *entity;
	const CrmPaging *paging;	/* NULL: one answer */
	int			page_size;		/* rows per page for this scan; 0: not asked */
	int			limit_hint;		/* rows the query needs at most; 0: unknown */
	int			pages;			/* answers taken so far */
	int64		position;		/* the next request's start, page or index */
	char	   *cursor;			/* the next request's cursor, or NULL */
	bool		done;			/* no page follows */
	MemoryContext cxt;			/* where the cursor lives */
} CrmPager;

extern void crm_pager_start(CrmPager *pager, const CrmProvider *provider,
							const CrmEntity *entity, int page_size,
							int limit_hint, MemoryContext cxt);
extern int	crm_pager_request_size(const CrmPager *pager, int64 rows_so_far);
extern void crm_pager_advance(CrmPager *pager, json_t *answer, size_t rows,
							  int requested_size);
extern void crm_pager_finish(CrmPager *pager);
extern bool crm_paging_is_positional(const CrmEntity *entity);

#endif							/* CRM_PAGING_H */
