/*-------------------------------------------------------------------------
 *
 * modify.h
 *		INSERT, UPDATE and DELETE on crm_fdw foreign tables, and what their
 *		planning shares with direct modification.
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

#include "option.h"
#include "provider.h"

/* shared with direct_modify.c */
extern const CrmEntity *crm_modify_entity(Oid relid, CrmServerOptions *server,
										  ForeignServer **fserver,
										  bool missing_ok);
extern const CrmEntity *crm_written_entity(Relation rel, CrmServerOptions *server,
										   ForeignServer **fserver);
extern void crm_check_entity_writable(Relation rel, const CrmProvider *provider,
									  const CrmEntity *entity, CmdType operation);
extern AttrNumber crm_modify_key_attnum(Relation rel, const CrmEntity *entity);
extern List *crm_written_attrs(PlannerInfo *root, CmdType operation,
							   Index resultRelation);
extern void crm_check_written_column(Relation rel, const CrmEntity *entity,
									 const CrmProvider *provider,
									 CmdType operation, AttrNumber attnum,
									 const char *field);
extern bool crm_check_routes(Relation rel, const CrmEntity *entity,
							 const CrmProvider *provider, CmdType operation,
							 Oid relid, List *attrs);
extern AttrNumber crm_carry_attnum(Relation rel, const CrmEntity *entity,
								   const char *written);
extern List *crm_returning_attrs(ModifyTable *plan, int subplan_index,
								 Index resultRelation, Relation rel);

/* the callbacks */
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
extern TupleTableSlot **crm_exec_batch_insert(EState *estate, ResultRelInfo *rinfo,
											  TupleTableSlot **slots,
											  TupleTableSlot **planSlots,
											  int *numSlots);
extern int	crm_modify_batch_size(ResultRelInfo *rinfo);
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

extern void crm_modify_init(void);
extern void crm_check_written_columns(Relation rel, const CrmEntity *entity,
									  const CrmProvider *provider, CmdType operation,
									  List *attrs);
extern void crm_explain_routes(List *parts, const CrmEntity *entity,
							   int batch_size, ExplainState *es);

#endif							/* CRM_MODIFY_H */
