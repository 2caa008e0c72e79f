/*-------------------------------------------------------------------------
 *
 * counters.h
 *		What a scan, a write or a session spent on a CRM's API.
 *
 * Its own header so that the code that counts (request.c) and the code
 * that keeps the session's totals (stats.c) depend on it, not on each
 * other.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_COUNTERS_H
#define CRM_COUNTERS_H

#include "postgres.h"

typedef struct CrmCounters
{
	int64		requests;
	int64		pages;
	int64		rows;
	int64		bytes;
	int64		retries;
	int64		cached;			/* requests answered by the statement cache */
	double		wait_ms;
} CrmCounters;

static inline void
crm_counters_add(CrmCounters *sum, const CrmCounters *part)
{
	sum->requests += part->requests;
	sum->pages += part->pages;
	sum->rows += part->rows;
	sum->bytes += part->bytes;
	sum->retries += part->retries;
	sum->cached += part->cached;
	sum->wait_ms += part->wait_ms;
}

#endif							/* CRM_COUNTERS_H */
