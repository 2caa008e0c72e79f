/*-------------------------------------------------------------------------
 *
 * connection.c
 *		A cache, per backend, of HTTP handles keyed by user mapping.
 *
 * Reusing the handle keeps the TCP/TLS connection alive between requests
 * and statements.  ALTER SERVER and ALTER USER MAPPING invalidate an entry;
 * the next use installs the new credentials on the same handle.  Scans copy
 * the server options they need, so an invalidation in the middle of a query
 * never pulls memory from under them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "commands/defrem.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "connection.h"

static HTAB *connections = NULL;

static void
invalidate_connections(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	CrmConnection *entry;

	hash_seq_init(&scan, connections);
	while ((entry = (CrmConnection *) hash_seq_search(&scan)) != NULL)
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID && entry->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && entry->mapping_hashvalue == hashvalue))
			entry->ready = false;
	}
}

/*
 * A user mapping's options are this provider's credentials, all of them: a
 * credential of another provider is a mistake worth naming.  Returns the
 * headers they make.
 */
List *
crm_check_credentials(List *options, const CrmProvider *provider)
{
	List	   *headers = NIL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		bool		known = false;

		for (const CrmProviderOption *o = provider->options; o->name; o++)
			if (o->place == CRM_OPTION_USER_MAPPING &&
				strcmp(o->name, def->defname) == 0)
				known = true;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" is not a %s credential",
							def->defname, provider->display_name),
					 errhint("A user mapping for a %s server takes %s.",
							 provider->display_name, provider->credential_hint)));
	}
	provider->auth_headers(options, &headers);
	return headers;
}

CrmConnection *
crm_get_connection(UserMapping *user, const CrmProvider *provider)
{
	CrmConnection *entry;
	bool		found;

	if (connections == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CrmConnection);
		connections = hash_create("crm_fdw connections", 8, &ctl,
								  HASH_ELEM | HASH_BLOBS);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, invalidate_connections, 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, invalidate_connections, 0);
	}

	entry = hash_search(connections, &user->umid, HASH_ENTER, &found);
	if (!found)
	{
		entry->http = NULL;
		entry->ready = false;
		entry->serverid = user->serverid;
		entry->server_hashvalue =
			GetSysCacheHashValue1(FOREIGNSERVEROID,
								  ObjectIdGetDatum(user->serverid));
		entry->mapping_hashvalue =
			GetSysCacheHashValue1(USERMAPPINGOID, ObjectIdGetDatum(user->umid));
	}
	if (entry->http == NULL)
		entry->http = crm_http_create();

	if (!entry->ready)
	{
		List	   *headers = crm_check_credentials(user->options, provider);

		crm_http_set_headers(entry->http, headers);
		list_free_deep(headers);
		entry->filters_state = CRM_FILTERS_UNKNOWN;
		entry->ready = true;
	}
	return entry;
}
