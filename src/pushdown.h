/*-------------------------------------------------------------------------
 *
 * pushdown.h
 *		While planning: which conditions a CRM's API can evaluate, and the
 *		scan spec a plan carries to the executor.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_PUSHDOWN_H
#define CRM_PUSHDOWN_H

#include "postgres.h"

#include "nodes/pathnodes.h"

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

/* Which columns of a foreign table read the fields the API filters on. */
typedef struct CrmColumnMap
{
	const CrmEntity *entity;
	AttrNumber *filter_attnum;	/* per filter: the column it reads, or 0 */
	AttrNumber	key_attnum;		/* column holding the entity key, or 0 */
	bool		filters_off;	/* the account applies no account_feature filter */
	bool		no_item;		/* the query reads what the item endpoint
								 * leaves out: keys are found by listing */
	bool		complete_items; /* ... or each item, once fetched, is
								 * completed from a listing it narrows */
} CrmColumnMap;

/* What a plan carries to the executor (fdw_private), and back. */
typedef struct CrmScanSpec
{
	const char *entity_name;
	List	   *conditions;		/* CrmCondition *, by value_index */
	int			limit_hint;		/* rows the query needs at most; 0: unknown */
	int			full_pages;		/* estimated pages of an unfiltered listing */
	List	   *retrieved_attrs;	/* integer list of attnums to convert */
	bool		filters_off;	/* the account's filtering is off */
	bool		complete_items; /* an item is completed from the listing */
} CrmScanSpec;

extern void crm_column_map(Relation rel, const CrmEntity *entity,
						   bool filters_off, CrmColumnMap *map);
extern bool crm_classify(PlannerInfo *root, RelOptInfo *baserel,
						 const CrmColumnMap *map, Expr *clause,
						 CrmCondition *cond);
extern List *crm_retrieved_attrs(RelOptInfo *baserel, Oid foreigntableid,
								 List *scan_clauses);
extern const char *crm_missing_required(const CrmEntity *entity,
										List *conditions);
extern const CrmFilter *crm_condition_filter(const CrmEntity *entity,
											 const CrmCondition *cond);
extern CrmValueFormat crm_condition_format(const CrmEntity *entity,
										   const CrmCondition *cond);
extern List *crm_spec_to_list(CrmScanSpec *spec);
extern void crm_spec_from_list(List *list, CrmScanSpec *spec);

#endif							/* CRM_PUSHDOWN_H */
