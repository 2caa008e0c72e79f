/*-------------------------------------------------------------------------
 *
 * crm_fdw.c
 *		Foreign data wrapper for CRM APIs: the handler and its callbacks.
 *
 * The callbacks stay short and delegate: src/plan.c plans (with
 * src/pushdown.c deciding what the API evaluates), src/scan.c runs scans,
 * src/modify.c writes, src/option.c owns options, and src/providers/
 * describe each CRM.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "direct_modify.h"
#include "import.h"
#include "modify.h"
#include "plan.h"
#include "request.h"
#include "scan.h"

PG_MODULE_MAGIC;

/*
 * jansson allocates in the current memory context, so a page's JSON goes
 * away with its context, also when an ERROR interrupts the scan.  Failing
 * allocations return NULL to jansson instead of raising inside it.
 */
static void *
crm_json_malloc(size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
crm_json_free(void *ptr)
{
	if (ptr)
		pfree(ptr);
}

void		_PG_init(void);

void
_PG_init(void)
{
	json_set_alloc_funcs(crm_json_malloc, crm_json_free);

	DefineCustomBoolVariable("crm_fdw.log_requests",
							 "Reports every CRM API request as a NOTICE and a server log line.",
							 "Method, path, body, HTTP status, retries and whether the statement cache answered; credentials never appear.",
							 &crm_log_requests,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("crm_fdw");
	crm_modify_init();
}

static void
crmGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	CrmRelInfo *info = crm_rel_info(root, baserel, foreigntableid);

	baserel->fdw_private = info;
	crm_estimate_size(root, baserel, info);
}

static void
crmGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	crm_add_paths(root, baserel, (CrmRelInfo *) baserel->fdw_private);
}

static ForeignScan *
crmGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses,
				  Plan *outer_plan)
{
	return crm_make_plan(root, baserel, foreigntableid, best_path, tlist,
						 scan_clauses, outer_plan);
}

static void
crmBeginForeignScan(ForeignScanState *node, int eflags)
{
	crm_scan_begin(node, eflags);
}

static TupleTableSlot *
crmIterateForeignScan(ForeignScanState *node)
{
	return crm_scan_next(node);
}

static void
crmReScanForeignScan(ForeignScanState *node)
{
	crm_scan_rescan(node);
}

static void
crmEndForeignScan(ForeignScanState *node)
{
	crm_scan_end(node);
}

static void
crmExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	crm_scan_explain(node, es);
}

static int
crmIsForeignRelUpdatable(Relation rel)
{
	return crm_is_updatable(rel);
}

static void
crmAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
						   RangeTblEntry *target_rte, Relation target_relation)
{
	crm_add_update_targets(root, rtindex, target_rte, target_relation);
}

static List *
crmPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
					 Index resultRelation, int subplan_index)
{
	return crm_plan_modify(root, plan, resultRelation, subplan_index);
}

static void
crmBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					  List *fdw_private, int subplan_index, int eflags)
{
	crm_begin_modify(mtstate, rinfo, fdw_private, subplan_index, eflags);
}

static TupleTableSlot *
crmExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return crm_exec_insert(estate, rinfo, slot, planSlot);
}

static TupleTableSlot *
crmExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return crm_exec_update(estate, rinfo, slot, planSlot);
}

static TupleTableSlot *
crmExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return crm_exec_delete(estate, rinfo, slot, planSlot);
}

static TupleTableSlot **
crmExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot **slots, TupleTableSlot **planSlots,
						  int *numSlots)
{
	return crm_exec_batch_insert(estate, rinfo, slots, planSlots, numSlots);
}

static int
crmGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	return crm_modify_batch_size(rinfo);
}

static bool
crmPlanDirectModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
					int subplan_index)
{
	return crm_plan_direct_modify(root, plan, resultRelation, subplan_index);
}

static void
crmBeginDirectModify(ForeignScanState *node, int eflags)
{
	crm_begin_direct_modify(node, eflags);
}

static TupleTableSlot *
crmIterateDirectModify(ForeignScanState *node)
{
	return crm_iterate_direct_modify(node);
}

static void
crmEndDirectModify(ForeignScanState *node)
{
	crm_end_direct_modify(node);
}

static void
crmExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	crm_explain_direct_modify(node, es);
}

static void
crmBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	crm_begin_insert(mtstate, rinfo);
}

static void
crmEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	crm_end_modify(estate, rinfo);
}

static void
crmEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	crm_end_modify(estate, rinfo);
}

static void
crmExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						List *fdw_private, int subplan_index, ExplainState *es)
{
	crm_explain_modify(mtstate, rinfo, fdw_private, subplan_index, es);
}

static List *
crmImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return crm_import_schema(stmt, serverOid);
}

PG_FUNCTION_INFO_V1(crm_fdw_handler);

Datum
crm_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = crmGetForeignRelSize;
	routine->GetForeignPaths = crmGetForeignPaths;
	routine->GetForeignPlan = crmGetForeignPlan;
	routine->BeginForeignScan = crmBeginForeignScan;
	routine->IterateForeignScan = crmIterateForeignScan;
	routine->ReScanForeignScan = crmReScanForeignScan;
	routine->EndForeignScan = crmEndForeignScan;
	routine->ExplainForeignScan = crmExplainForeignScan;
	routine->IsForeignRelUpdatable = crmIsForeignRelUpdatable;
	routine->AddForeignUpdateTargets = crmAddForeignUpdateTargets;
	routine->PlanForeignModify = crmPlanForeignModify;
	routine->BeginForeignModify = crmBeginForeignModify;
	routine->ExecForeignInsert = crmExecForeignInsert;
	routine->ExecForeignUpdate = crmExecForeignUpdate;
	routine->ExecForeignDelete = crmExecForeignDelete;
	routine->ExecForeignBatchInsert = crmExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = crmGetForeignModifyBatchSize;
	routine->PlanDirectModify = crmPlanDirectModify;
	routine->BeginDirectModify = crmBeginDirectModify;
	routine->IterateDirectModify = crmIterateDirectModify;
	routine->EndDirectModify = crmEndDirectModify;
	routine->ExplainDirectModify = crmExplainDirectModify;
	routine->EndForeignModify = crmEndForeignModify;
	routine->BeginForeignInsert = crmBeginForeignInsert;
	routine->EndForeignInsert = crmEndForeignInsert;
	routine->ExplainForeignModify = crmExplainForeignModify;
	routine->ImportForeignSchema = crmImportForeignSchema;

	PG_RETURN_POINTER(routine);
}
