/*-------------------------------------------------------------------------
 *
 * paging.c
 *		The paging engine: follows any provider's pages as its entities
 *		declare them (cursor, row offset, page number, page index; the next
 *		position from a cursor, a link, a flag, or a short page).
 *
 * Two answers would make a scan go wrong silently, so both are ERRORs
 * that name the provider and the field: paging data of the wrong type
 * (a number where a cursor belongs would end the scan after one page),
 * and a position that does not advance (the same page again and again,
 * for ever, since the statement cache answers the repeats at once).
 *
 * Providers never advance pages themselves; this file never sends a
 * request (scan.c does, through request.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "utils/memutils.h"

#include "json_datum.h"
#include "paging.h"

void
crm_pager_start(CrmPager *pager, const CrmProvider *provider,
				const CrmEntity *entity, int page_size, int limit_hint,
				MemoryContext cxt)
{
	memset(pager, 0, sizeof(*pager));
	pager->provider = provider;
	pager->entity = entity;
	pager->paging = entity->paging;
	pager->page_size = page_size;
	pager->limit_hint = limit_hint;
	pager->cxt = cxt;
	pager->position = (pager->paging && pager->paging->style == CRM_PAGING_PAGE) ? 1 : 0;
}

/* Releases what the pager holds; it may be started again. */
void
crm_pager_finish(CrmPager *pager)
{
	if (pager->cursor)
		pfree(pager->cursor);
	pager->cursor = NULL;
	pager->done = true;
}

/*
 * Rows the next request asks for.  Fewer than a page when the query needs
 * fewer; but a page number counts pages of one size, so page-numbered
 * calls ask every page for the size they asked the first.
 */
int
crm_pager_request_size(const CrmPager *pager, int64 rows_so_far)
{
	const CrmPaging *paging = pager->paging;
	int			size = pager->page_size;

	if (paging == NULL || paging->size_param == NULL || pager->limit_hint <= 0)
		return size;
	if (paging->style == CRM_PAGING_PAGE || paging->style == CRM_PAGING_PAGE_INDEX)
		return Min(size, pager->limit_hint);
	if (pager->limit_hint - rows_so_far > 0 && pager->limit_hint - rows_so_far < size)
		return (int) (pager->limit_hint - rows_so_far);
	return size;
}

/*
 * Whether a change to the rows could move rows between pages still to
 * come: true of every style that counts rows or pages.  A scan that finds
 * the rows an UPDATE or DELETE changes reads such a listing whole first.
 */
bool
crm_paging_is_positional(const CrmEntity *entity)
{
	return entity->paging &&
		(entity->paging->style == CRM_PAGING_OFFSET ||
		 entity->paging->style == CRM_PAGING_PAGE ||
		 entity->paging->style == CRM_PAGING_PAGE_INDEX);
}

static void
wrong_type(CrmPager *pager, json_t *answer, const char *path, json_t *value,
		   const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("%s answered with paging data crm_fdw cannot follow",
					pager->provider->display_name),
			 errdetail("\"%s\" is %s, where %s belongs.",
					   crm_json_path_which(answer, path),
					   crm_json_a_type_name(value), expected),
			 errhint("Reading on could skip or repeat rows of %s; check the url option of the server.",
					 pager->entity->name)));
}

static void
did_not_advance(CrmPager *pager, const char *path, const char *value)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("%s's paging did not advance", pager->provider->display_name),
			 errdetail("\"%s\" named the page just read again (%s).", path, value),
			 errhint("Reading on would repeat the same rows of %s for ever; the API's answers are inconsistent.",
					 pager->entity->name)));
}

/* The value of name=... in a link's query string, or -1. */
static int64
link_position(const char *href, const char *name)
{
	const char *query = strchr(href, '?');
	size_t		len = strlen(name);

	for (const char *p = query; p; p = strchr(p + 1, '&'))
	{
		const char *param = p + 1;

		if (strncmp(param, name, len) == 0 && param[len] == '=')
		{
			char	   *end;
			long long	n = strtoll(param + len + 1, &end, 10);

			if (end != param + len + 1 && (*end == '\0' || *end == '&' || *end == '#'))
				return (int64) n;
			return -1;
		}
	}
	return -1;
}

/*
 * Takes what an answer says of the next page.  answer is NULL when the
 * provider judged it "no rows" (amoCRM's 204); rows is how many items the
 * page held and requested_size how many it asked for.
 */
void
crm_pager_advance(CrmPager *pager, json_t *answer, size_t rows, int requested_size)
{
	const CrmPaging *paging = pager->paging;
	json_t	   *next;

	pager->pages++;
	if (paging == NULL || paging->style == CRM_PAGING_NONE ||
		answer == NULL || rows == 0)
	{
		pager->done = true;
		return;
	}

	switch (paging->next_from)
	{
		case CRM_NEXT_SHORT_PAGE:
			if (requested_size <= 0 || rows < (size_t) requested_size)
				pager->done = true;
			else
				pager->position += (paging->style == CRM_PAGING_OFFSET) ? (int64) rows : 1;
			break;

		case CRM_NEXT_CURSOR:
			next = crm_json_path(answer, paging->next_path);
			if (next == NULL || json_is_null(next))
			{
				pager->done = true;
				break;
			}
			if (!json_is_string(next))
				wrong_type(pager, answer, paging->next_path, next, "a cursor string");
			if (json_string_length(next) == 0)
			{
				pager->done = true;
				break;
			}
			if (pager->cursor && strcmp(pager->cursor, json_string_value(next)) == 0)
				did_not_advance(pager, paging->next_path, pager->cursor);
			if (pager->cursor)
				pfree(pager->cursor);
			pager->cursor = MemoryContextStrdup(pager->cxt, json_string_value(next));
			break;

		case CRM_NEXT_LINK:
			next = crm_json_path(answer, paging->next_path);
			if (next == NULL || json_is_null(next))
			{
				pager->done = true;
				break;
			}
			if (!json_is_string(next))
				wrong_type(pager, answer, paging->next_path, next, "a link");
			{
				int64		n = link_position(json_string_value(next),
											  paging->position_param);

				if (n < 0)
					pager->position++;
				else if (n <= pager->position)
					did_not_advance(pager, paging->next_path,
									json_string_value(next));
				else
					pager->position = n;
			}
			break;

		case CRM_NEXT_MORE_FLAG:
			{
				json_t	   *more = crm_json_path(answer, paging->more_path);

				if (more == NULL || json_is_null(more))
				{
					pager->done = true;
					break;
				}
				if (!json_is_boolean(more))
					wrong_type(pager, answer, paging->more_path, more, "true or false");
				if (json_is_false(more))
				{
					pager->done = true;
					break;
				}
				next = paging->next_path ? crm_json_path(answer, paging->next_path) : NULL;
				if (next && !json_is_null(next))
				{
					if (!json_is_integer(next))
						wrong_type(pager, answer, paging->next_path, next, "a whole number");
					if (json_integer_value(next) <= pager->position)
						did_not_advance(pager, paging->next_path,
										psprintf("%" JSON_INTEGER_FORMAT,
												 json_integer_value(next)));
					pager->position = json_integer_value(next);
				}
				else
					pager->position += (paging->style == CRM_PAGING_OFFSET) ?
						(int64) rows : 1;
			}
			break;
	}
}
