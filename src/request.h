/*-------------------------------------------------------------------------
 *
 * request.h
 *		One CRM request: sent, counted, cached, logged, and its answer
 *		judged.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_REQUEST_H
#define CRM_REQUEST_H

#include "postgres.h"

#include "crm_json.h"

#include "commands/explain.h"
#include "nodes/execnodes.h"

#include "connection.h"
#include "counters.h"
#include "option.h"
#include "paging.h"
#include "provider.h"

typedef struct CrmStatementCache CrmStatementCache;

/* Everything a request needs to know about where it goes. */
typedef struct CrmTarget
{
	const CrmProvider *provider;
	CrmServerOptions server;
	const char *server_name;
	Oid			serverid;
	CrmConnection *conn;
	CrmStatementCache *cache;	/* NULL: no caching */
} CrmTarget;

extern bool crm_log_requests;

extern void crm_target_init(CrmTarget *target, ForeignServer *server);
extern void crm_target_connect(CrmTarget *target, Oid userid, EState *estate);
extern void crm_send(CrmTarget *target, const CrmEntity *entity,
					 CrmRequest *request, CrmCounters *counters,
					 CrmAnswer *answer);
extern void crm_send_write(CrmTarget *target, const CrmEntity *entity,
						   CrmRequest *request, CrmCounters *counters,
						   CrmAnswer *answer);
extern json_t *crm_fetch_page(CrmTarget *target, const CrmEntity *entity,
							  const CrmCall *call, CrmPager *pager,
							  int64 rows_so_far, CrmCounters *counters);
extern json_t *crm_fetch_all(CrmTarget *target, const CrmEntity *entity,
							 const CrmCall *call, CrmCounters *counters);
extern json_t *crm_fetch_listing(CrmTarget *target, const CrmEntity *entity,
								 CrmCounters *counters);
extern json_t *crm_complete_item(CrmTarget *target, const CrmEntity *entity,
								 json_t *item, CrmCounters *counters);
extern void crm_count_page(CrmTarget *target, CrmCounters *counters,
						   size_t rows);
extern bool crm_filters_off(CrmTarget *target);
extern void crm_explain_counters(ExplainState *es, const CrmCounters *counters,
								 int64 rows_written);
extern CrmStatementCache *crm_statement_cache(EState *estate);
extern void crm_statement_caches_clear(void);

#endif							/* CRM_REQUEST_H */
