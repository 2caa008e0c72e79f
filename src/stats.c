/*-------------------------------------------------------------------------
 *
 * stats.c
 *		Session totals of API use per server, and the SQL functions that
 *		show and reset them: crm_fdw_stats(), crm_fdw_stats_reset().
 *
 * Totals are added as requests complete, not when a scan ends, so a query
 * that fails or is cancelled is still accounted for.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "access/htup_details.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "stats.h"

typedef struct CrmStatsEntry
{
	Oid			serverid;		/* hash key */
	CrmCounters counters;
} CrmStatsEntry;

static HTAB *session_stats = NULL;

void
crm_stats_add(Oid serverid, const CrmCounters *delta)
{
	CrmStatsEntry *entry;
	bool		found;

	if (session_stats == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CrmStatsEntry);
		session_stats = hash_create("crm_fdw session stats", 8, &ctl,
									HASH_ELEM | HASH_BLOBS);
	}
	entry = hash_search(session_stats, &serverid, HASH_ENTER, &found);
	if (!found)
		memset(&entry->counters, 0, sizeof(entry->counters));
	crm_counters_add(&entry->counters, delta);
}

/* Milliseconds as numeric with three decimals: microseconds, no float noise. */
static Datum
milliseconds_numeric(double ms)
{
	return DirectFunctionCall2(numeric_round,
							   DirectFunctionCall1(float8_numeric, Float8GetDatum(ms)),
							   Int32GetDatum(3));
}

/*
 * The session's totals, one row per server.  Version 1.0 of the extension
 * declared seven columns (no cached, wait_ms as float8); a database not yet
 * updated keeps calling that shape.
 */
static void
stats_rows(FunctionCallInfo fcinfo, bool with_cached)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	CrmStatsEntry *entry;

	/* spelled InitMaterializedSRF from 15.1 on; this name works on every 15.x */
	SetSingleFuncCall(fcinfo, 0);
	if (session_stats == NULL)
		return;

	hash_seq_init(&scan, session_stats);
	while ((entry = (CrmStatsEntry *) hash_seq_search(&scan)) != NULL)
	{
		ForeignServer *server = GetForeignServerExtended(entry->serverid,
														 FSV_MISSING_OK);
		Datum		values[8];
		bool		nulls[8] = {false};
		int			n = 0;

		/* a server dropped since: its totals go with it */
		if (server == NULL)
			continue;
		values[n++] = CStringGetTextDatum(server->servername);
		values[n++] = Int64GetDatum(entry->counters.requests);
		if (with_cached)
			values[n++] = Int64GetDatum(entry->counters.cached);
		values[n++] = Int64GetDatum(entry->counters.pages);
		values[n++] = Int64GetDatum(entry->counters.rows);
		values[n++] = Int64GetDatum(entry->counters.bytes);
		values[n++] = Int64GetDatum(entry->counters.retries);
		values[n++] = with_cached ? milliseconds_numeric(entry->counters.wait_ms) :
			Float8GetDatum(entry->counters.wait_ms);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(crm_fdw_stats);

Datum
crm_fdw_stats(PG_FUNCTION_ARGS)
{
	stats_rows(fcinfo, false);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(crm_fdw_stats_1_1);

Datum
crm_fdw_stats_1_1(PG_FUNCTION_ARGS)
{
	stats_rows(fcinfo, true);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(crm_fdw_stats_reset);

Datum
crm_fdw_stats_reset(PG_FUNCTION_ARGS)
{
	if (session_stats)
	{
		hash_destroy(session_stats);
		session_stats = NULL;
	}
	PG_RETURN_VOID();
}
