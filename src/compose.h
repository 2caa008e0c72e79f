/*-------------------------------------------------------------------------
 *
 * compose.h
 *		Spells a call as an HTTP request: method, path, query string or
 *		JSON body, as the provider and its entity declare them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_COMPOSE_H
#define CRM_COMPOSE_H

#include "postgres.h"

#include "paging.h"
#include "provider.h"

extern void crm_compose_read(const CrmProvider *provider, const CrmEntity *entity,
							 const CrmCall *call, const CrmPager *pager,
							 int size, CrmRequest *request);
extern void crm_request_init(CrmRequest *request, const char *method);
extern char *crm_request_text(const CrmRequest *request);
extern char *crm_request_context(const CrmRequest *request);
extern void crm_append_path(StringInfo buf, const CrmEntity *entity,
							const char *template_path, const CrmCall *call);
extern void crm_append_query_param(StringInfo buf, const char *name,
								   const char *value);
extern bool crm_call_has_path_params(const CrmCall *call);

#endif							/* CRM_COMPOSE_H */
