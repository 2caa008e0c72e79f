/*-------------------------------------------------------------------------
 *
 * modify.h
 *		INSERT, UPDATE and DELETE on crm_fdw foreign tables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_MODIFY_H
#define CRM_MODIFY_H

#include "postgres.h"

#include "commands/explain.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"

extern int	crm_is_updatable(Relation rel);
extern void crm_add_update_targets(PlannerInfo *root, Index rtindex,
								   RangeTblEntry *target_rte, Relation rel);
extern List *crm_plan_modify(PlannerInfo *root, ModifyTable *plan,
							 Index resultRelation, int subplan_index);
extern void crm_begin_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							 List *fdw_private, int subplan_index, int eflags);
extern void crm_begin_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern TupleTableSlot *crm_exec_insert(EState *estate, ResultRelInfo *rinfo,
									   TupleTableSlot *slot,
									   TupleTableSlot *planSlot);
extern TupleTableSlot *crm_exec_update(EState *estate, ResultRelInfo *rinfo,
									   TupleTableSlot *slot,
									   TupleTableSlot *planSlot);
extern TupleTableSlot *crm_exec_delete(EState *estate, ResultRelInfo *rinfo,
									   TupleTableSlot *slot,
									   TupleTableSlot *planSlot);
extern void crm_end_modify(EState *estate, ResultRelInfo *rinfo);
extern void crm_explain_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							   List *fdw_private, int subplan_index,
							   ExplainState *es);

#endif							/* CRM_MODIFY_H */
