/*-------------------------------------------------------------------------
 *
 * lookup.h
 *		Values translated through one of the provider's entities.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_LOOKUP_H
#define CRM_LOOKUP_H

#include "postgres.h"

#include "counters.h"
#include "provider.h"
#include "request.h"

extern List *crm_lookup_values(CrmTarget *target, const CrmLookup *lookup,
							   List *values, CrmCounters *counters);
extern char *crm_lookup_value(CrmTarget *target, const CrmLookup *lookup,
							  const char *value, CrmCounters *counters);

#endif							/* CRM_LOOKUP_H */
