/*-------------------------------------------------------------------------
 *
 * scan.h
 *		Executing a foreign scan: calls, pages, rows, tuples.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_SCAN_H
#define CRM_SCAN_H

#include "postgres.h"

#include "commands/explain.h"
#include "nodes/execnodes.h"

extern void crm_scan_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *crm_scan_next(ForeignScanState *node);
extern void crm_scan_rescan(ForeignScanState *node);
extern void crm_scan_end(ForeignScanState *node);
extern void crm_scan_explain(ForeignScanState *node, ExplainState *es);

#endif							/* CRM_SCAN_H */
