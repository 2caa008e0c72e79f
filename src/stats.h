/*-------------------------------------------------------------------------
 *
 * stats.h
 *		What this session spent on each server's API.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_STATS_H
#define CRM_STATS_H

#include "postgres.h"

#include "counters.h"

extern void crm_stats_add(Oid serverid, const CrmCounters *delta);

#endif							/* CRM_STATS_H */
