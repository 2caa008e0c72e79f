/*-------------------------------------------------------------------------
 *
 * plan.h
 *		Row estimates, costs counted in API requests, and the access paths
 *		a foreign table offers the planner.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_PLAN_H
#define CRM_PLAN_H

#include "postgres.h"

#include "nodes/pathnodes.h"

#include "deparse.h"

extern void crm_estimate_size(PlannerInfo *root, RelOptInfo *baserel,
							  CrmRelInfo *info);
extern int	crm_full_pages(CrmRelInfo *info);
extern void crm_add_paths(PlannerInfo *root, RelOptInfo *baserel,
						  CrmRelInfo *info);

#endif							/* CRM_PLAN_H */
