/*-------------------------------------------------------------------------
 *
 * connection.h
 *		One reusable HTTP handle per user mapping, with its credentials.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_CONNECTION_H
#define CRM_CONNECTION_H

#include "postgres.h"

#include "foreign/foreign.h"

#include "http.h"
#include "provider.h"

/* Whether the account applies the provider's optional list filters. */
typedef enum CrmFiltersState
{
	CRM_FILTERS_UNKNOWN = 0,
	CRM_FILTERS_ON,
	CRM_FILTERS_OFF
} CrmFiltersState;

typedef struct CrmConnection
{
	Oid			umid;			/* hash key: the user mapping */
	Oid			serverid;
	CrmHttp    *http;
	bool		ready;			/* credentials installed and current */
	CrmFiltersState filters_state;	/* read once per connection */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
} CrmConnection;

extern List *crm_check_credentials(List *options, const CrmProvider *provider);
extern CrmConnection *crm_get_connection(UserMapping *user,
										 const CrmProvider *provider);

#endif							/* CRM_CONNECTION_H */
