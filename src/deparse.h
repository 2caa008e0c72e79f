/*-------------------------------------------------------------------------
 *
 * deparse.h
 *		Which conditions a CRM's API can evaluate, and how a scan's
 *		requests are spelled from them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_DEPARSE_H
#define CRM_DEPARSE_H

#include "postgres.h"

#include "foreign/foreign.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"

#include "option.h"
#include "provider.h"

/* The key column: = and IN become item requests, not a filter. */
#define CRM_KEY_FILTER	(-1)

/*
 * A condition the API will evaluate.  The value is an expression evaluated
 * when the scan starts (a constant, a parameter, an outer join column or a
 * stable expression); PostgreSQL rechecks the condition on every row.
 */
typedef struct CrmCondition
{
	int			filter;			/* index into entity->filters, or CRM_KEY_FILTER */
	int			op;				/* one CRM_OP_* bit */
	Expr	   *value;			/* NULL for CRM_OP_BOOL */
	int			value_index;	/* in a plan: position of value in fdw_exprs */
	bool		bool_value;		/* CRM_OP_BOOL: col (true) or NOT col */
	Oid			value_type;		/* of the value; of its elements for IN */
	Oid			column_type;
	bool		exact;			/* the API selects exactly these rows */
} CrmCondition;

/* Planner state of a foreign table, in baserel->fdw_private. */
typedef struct CrmRelInfo
{
	ForeignTable *table;
	ForeignServer *server;
	CrmServerOptions server_options;
	CrmTableOptions table_options;
	const CrmEntity *entity;
	AttrNumber *filter_attnum;	/* per filter: the column it reads, or 0 */
	AttrNumber	key_attnum;		/* column holding the entity key, or 0 */
	List	   *pushed;			/* RestrictInfos the API evaluates */
	List	   *local;			/* RestrictInfos only PostgreSQL evaluates */
	bool		all_exact;		/* pushed ones select exactly their rows */
	int			page_size;
	double		full_rows;		/* rows of the entity without conditions */
	double		remote_rows;	/* use_remote_estimate: rows the API gave
								 * for the pushed conditions; < 0: unknown */
} CrmRelInfo;

/* What a plan carries to the executor (fdw_private), and back. */
typedef struct CrmScanSpec
{
	const char *entity_name;
	List	   *conditions;		/* CrmCondition *, by value_index */
	int			limit_hint;		/* rows the query needs at most; 0: unknown */
	int			full_pages;		/* estimated pages of an unfiltered listing */
	List	   *retrieved_attrs;	/* integer list of attnums to convert */
} CrmScanSpec;

extern CrmRelInfo *crm_rel_info(PlannerInfo *root, RelOptInfo *baserel,
								Oid foreigntableid);
extern bool crm_classify(PlannerInfo *root, RelOptInfo *baserel,
						 CrmRelInfo *info, Expr *clause, CrmCondition *cond);
extern List *crm_retrieved_attrs(RelOptInfo *baserel, Oid foreigntableid,
								 List *scan_clauses);
extern List *crm_spec_to_list(CrmScanSpec *spec);
extern void crm_spec_from_list(List *list, CrmScanSpec *spec);
extern const CrmFilter *crm_condition_filter(const CrmEntity *entity,
											 const CrmCondition *cond);

/* Execution: values rendered, calls built. */
typedef struct CrmRenderedCondition
{
	const CrmCondition *cond;
	List	   *values;			/* API spellings (char *); NIL: matches nothing */
	bool		unbounded;		/* no restriction at all (an infinite bound) */
	bool		placeholder;	/* EXPLAIN: one stand-in for unknown values */
} CrmRenderedCondition;

extern void crm_render_condition(const CrmEntity *entity,
								 const CrmCondition *cond, Datum value,
								 bool isnull, CrmRenderedCondition *out);
extern List *crm_build_calls(const CrmEntity *entity, List *rendered,
							 int full_pages, bool *no_rows);
extern const char *crm_missing_required(const CrmEntity *entity,
										List *conditions);

#endif							/* CRM_DEPARSE_H */
