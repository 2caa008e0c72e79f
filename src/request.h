/*-------------------------------------------------------------------------
 *
 * request.h
 *		One CRM request: sent, counted, checked, decoded.
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
#include "option.h"
#include "provider.h"

/* What a scan or a write spent on the API. */
typedef struct CrmCounters
{
	int64		requests;
	int64		pages;
	int64		rows;
	int64		bytes;
	int64		retries;
	int64		cached;			/* requests answered by the statement cache */
	double		wait_ms;
} CrmCounters;

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
extern json_t *crm_send(CrmTarget *target, CrmRequest *request,
						bool missing_ok, CrmCounters *counters);
extern json_t *crm_fetch_page(CrmTarget *target, const CrmEntity *entity,
							  const CrmCall *call, CrmPage *page, int limit,
							  CrmCounters *counters);
extern void crm_counters_add(CrmCounters *sum, const CrmCounters *part);
extern void crm_explain_counters(ExplainState *es, const CrmCounters *counters,
								 int64 rows_written);
extern CrmStatementCache *crm_statement_cache(EState *estate);
extern void crm_statement_caches_clear(void);

#endif							/* CRM_REQUEST_H */
