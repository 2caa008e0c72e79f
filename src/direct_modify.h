/*-------------------------------------------------------------------------
 *
 * direct_modify.h
 *		UPDATE and DELETE by key, without reading the rows first.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_DIRECT_MODIFY_H
#define CRM_DIRECT_MODIFY_H

#include "postgres.h"

#include "commands/explain.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"

extern bool crm_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
								   Index resultRelation, int subplan_index);
extern void crm_begin_direct_modify(ForeignScanState *node, int eflags);
extern TupleTableSlot *crm_iterate_direct_modify(ForeignScanState *node);
extern void crm_end_direct_modify(ForeignScanState *node);
extern void crm_explain_direct_modify(ForeignScanState *node, ExplainState *es);

#endif							/* CRM_DIRECT_MODIFY_H */
