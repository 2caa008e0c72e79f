/*-------------------------------------------------------------------------
 *
 * plan.h
 *		The planner's view of a foreign table: its conditions sorted into
 *		pushed and local, row estimates, costs counted in API requests, the
 *		access paths it offers, and the plan it makes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_PLAN_H
#define CRM_PLAN_H

#include "postgres.h"

#include "foreign/foreign.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"

#include "option.h"
#include "pushdown.h"

/* Planner state of a foreign table, in baserel->fdw_private. */
typedef struct CrmRelInfo
{
	ForeignTable *table;
	ForeignServer *server;
	CrmServerOptions server_options;
	CrmTableOptions table_options;
	const CrmEntity *entity;
	CrmColumnMap map;
	List	   *pushed;			/* RestrictInfos the API evaluates */
	List	   *local;			/* RestrictInfos only PostgreSQL evaluates */
	bool		all_exact;		/* pushed ones select exactly their rows */
	int			page_size;
	double		full_rows;		/* rows of the entity without conditions */
	double		remote_rows;	/* use_remote_estimate: rows the API gave
								 * for the pushed conditions; < 0: unknown */
} CrmRelInfo;

extern CrmRelInfo *crm_rel_info(PlannerInfo *root, RelOptInfo *baserel,
								Oid foreigntableid);
extern void crm_estimate_size(PlannerInfo *root, RelOptInfo *baserel,
							  CrmRelInfo *info);
extern int	crm_full_pages(CrmRelInfo *info);
extern void crm_add_paths(PlannerInfo *root, RelOptInfo *baserel,
						  CrmRelInfo *info);
extern ForeignScan *crm_make_plan(PlannerInfo *root, RelOptInfo *baserel,
								  Oid foreigntableid, ForeignPath *best_path,
								  List *tlist, List *scan_clauses,
								  Plan *outer_plan);

#endif							/* CRM_PLAN_H */
