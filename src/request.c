/*-------------------------------------------------------------------------
 *
 * request.c
 *		Sends one composed request through the connection's HTTP handle,
 *		counts what it cost, answers repeats from the statement cache, logs
 *		it when asked, and has its answer judged; a failure is an ERROR.
 *
 * Also reads, once per connection, whether the account applies the
 * provider's optional list filters.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "commands/explain.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "answer.h"
#include "calls.h"
#include "compose.h"
#include "json_datum.h"
#include "request.h"
#include "stats.h"

/* Where a server's requests go: its parsed options and its provider. */
void
crm_target_init(CrmTarget *target, ForeignServer *server)
{
	memset(target, 0, sizeof(*target));
	crm_server_options(server, &target->server);
	target->provider = target->server.provider;
	target->server_name = pstrdup(server->servername);
	target->serverid = server->serverid;
}

/*
 * The connection of the user's mapping, and with an executor state, that
 * statement's cache; planning (estate NULL) caches nothing.
 */
void
crm_target_connect(CrmTarget *target, Oid userid, EState *estate)
{
	target->conn = crm_get_connection(GetUserMapping(userid, target->serverid),
									  target->provider);
	target->cache = estate ? crm_statement_cache(estate) : NULL;
}

/* ---- the statement cache ---- */

/*
 * Read answers of one statement, keyed by user mapping and request (its
 * method, path and body): a
 * nested loop that looks up the same key for many outer rows asks the API
 * once.  Bounded, so that a statement's memory stays flat; it lives in the
 * statement's executor memory and goes with it.
 */
#define CRM_CACHE_MAX_BYTES		(8 * 1024 * 1024)
/*
 * Lookups repeat; pages of a listing rarely do, and copying each would
 * cost a full scan more than it could ever save.
 */
#define CRM_CACHE_MAX_ANSWER	(64 * 1024)

struct CrmStatementCache
{
	EState	   *estate;
	HTAB	   *answers;
	size_t		bytes;
	MemoryContextCallback reset;
};

typedef struct CrmCachedAnswer
{
	uint64		hash;			/* hash key: of the request's full text */
	char	   *request;		/* "umid METHOD path body", to rule out collisions */
	long		status;
	char	   *content_type;
	char	   *body;			/* NULL: no body */
	size_t		len;
} CrmCachedAnswer;

static List *statement_caches = NIL;	/* live caches, in TopMemoryContext */

static void cache_clear(CrmStatementCache *cache);

static void
forget_cache(void *arg)
{
	statement_caches = list_delete_ptr(statement_caches, arg);
}

CrmStatementCache *
crm_statement_cache(EState *estate)
{
	CrmStatementCache *cache;
	HASHCTL		ctl;
	MemoryContext old;
	ListCell   *lc;

	foreach(lc, statement_caches)
	{
		cache = (CrmStatementCache *) lfirst(lc);
		if (cache->estate == estate)
			return cache;
	}

	cache = MemoryContextAllocZero(estate->es_query_cxt, sizeof(CrmStatementCache));
	cache->estate = estate;
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(CrmCachedAnswer);
	ctl.hcxt = estate->es_query_cxt;
	cache->answers = hash_create("crm_fdw statement cache", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	cache->reset.func = forget_cache;
	cache->reset.arg = cache;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, &cache->reset);

	old = MemoryContextSwitchTo(TopMemoryContext);
	statement_caches = lappend(statement_caches, cache);
	MemoryContextSwitchTo(old);
	return cache;
}

/*
 * After a write, answers read before it are stale: in this statement, and
 * in a statement around it (a function it calls may write).
 */
void
crm_statement_caches_clear(void)
{
	ListCell   *lc;

	foreach(lc, statement_caches)
		cache_clear((CrmStatementCache *) lfirst(lc));
}

static void
cache_clear(CrmStatementCache *cache)
{
	HASH_SEQ_STATUS scan;
	CrmCachedAnswer *entry;

	hash_seq_init(&scan, cache->answers);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		pfree(entry->request);
		if (entry->body)
			pfree(entry->body);
		if (entry->content_type)
			pfree(entry->content_type);
		hash_search(cache->answers, &entry->hash, HASH_REMOVE, NULL);
	}
	cache->bytes = 0;
}

/* crm_fdw.log_requests: every request as a NOTICE and a server log line. */
bool		crm_log_requests = false;

/*
 * What was asked and what came of it.  The message holds what a test can
 * compare (method, path, body, status, retries, the cache); DETAIL the
 * bytes and milliseconds, which vary.  Credentials travel only in headers,
 * which are never shown.
 */
static void
log_request(CrmTarget *target, const CrmRequest *request,
			const CrmHttpResponse *response)
{
	StringInfoData outcome;
	char	   *what = crm_utf8_for_message(crm_request_text(request));
	char	   *detail = NULL;

	initStringInfo(&outcome);
	if (response == NULL)
		appendStringInfoString(&outcome, "answered by the statement cache");
	else
	{
		if (response->transport_failed)
			appendStringInfo(&outcome, "no answer (%s)", response->transport_error);
		else
			appendStringInfo(&outcome, "HTTP %ld", response->status);
		if (response->retries > 0)
			appendStringInfo(&outcome, " after %d %s", response->retries,
							 response->retries == 1 ? "retry" : "retries");
		detail = psprintf("%zu bytes in %.3f ms from server \"%s\".",
						  response->bytes, response->wait_ms, target->server_name);
	}

	/* the same line for the server's log and for the session */
	ereport(LOG_SERVER_ONLY,
			(errmsg("crm_fdw request: %s -> %s", what, outcome.data),
			 detail ? errdetail_internal("%s", detail) : 0,
			 errhidestmt(true)));
	ereport(NOTICE,
			(errmsg("crm_fdw request: %s -> %s", what, outcome.data),
			 detail ? errdetail_internal("%s", detail) : 0));
}

static void
report_transport_error(CrmTarget *target, const CrmRequest *request,
					   const CrmHttpResponse *response)
{
	if (response->timed_out)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("%s request timed out", target->provider->display_name),
				 response->connected ?
				 errdetail("No complete answer within request_timeout, %ld ms.",
						   target->server.http.request_timeout_ms) :
				 errdetail("No connection within connect_timeout, %ld ms.",
						   target->server.http.connect_timeout_ms),
				 errhint("Raise the timeout with ALTER SERVER %s OPTIONS (SET %s '...'), in seconds.",
						 target->server_name,
						 response->connected ? "request_timeout" : "connect_timeout"),
				 errcontext("%s", crm_request_context(request))));

	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not get an answer from %s",
					target->provider->display_name),
			 errdetail("%s", response->transport_error),
			 errhint("Check the url option of server \"%s\".", target->server_name),
			 errcontext("%s", crm_request_context(request))));
}

/* Keeps a read's answer for the rest of the statement, if it fits. */
static void
cache_answer(CrmStatementCache *cache, uint64 hash, const char *key,
			 const CrmAnswer *answer)
{
	MemoryContext cxt = cache->estate->es_query_cxt;
	CrmCachedAnswer *entry;
	bool		found;

	if (answer->body_len > CRM_CACHE_MAX_ANSWER ||
		cache->bytes + answer->body_len > CRM_CACHE_MAX_BYTES)
		return;
	entry = hash_search(cache->answers, &hash, HASH_ENTER, &found);
	if (found)
		return;					/* a colliding request holds the slot */
	entry->request = MemoryContextStrdup(cxt, key);
	entry->status = answer->status;
	entry->content_type = answer->content_type ?
		MemoryContextStrdup(cxt, answer->content_type) : NULL;
	entry->body = NULL;
	if (answer->body_len > 0)
	{
		entry->body = MemoryContextAlloc(cxt, answer->body_len + 1);
		memcpy(entry->body, answer->body, answer->body_len);
		entry->body[answer->body_len] = '\0';
	}
	entry->len = answer->body_len;
	cache->bytes += answer->body_len + strlen(key);
}

/*
 * Sends a request (or finds its answer in the statement cache) and judges
 * the answer into *answer.  With raise, every failure is an ERROR;
 * without, it is left in *answer for the caller to judge (writes, whose
 * outcome may be unknown).  What it cost goes into *counters and the
 * session's totals.
 */
static void
send_request(CrmTarget *target, const CrmEntity *entity, CrmRequest *request,
			 CrmCounters *counters, CrmAnswer *answer, bool raise)
{
	CrmHttpResponse response;
	CrmCounters delta;
	char	   *url;
	char	   *body = request->body ? crm_json_text(request->body) : NULL;
	char	   *cache_key = NULL;
	uint64		hash = 0;

	memset(&delta, 0, sizeof(delta));
	memset(answer, 0, sizeof(*answer));
	answer->is_item = request->is_item || request->parent_in_path;

	if (target->cache && request->idempotent && !request->is_write)
	{
		CrmCachedAnswer *cached;

		cache_key = psprintf("%u %s %s %s", target->conn->umid, request->method,
							 request->path.data, body ? body : "");
		hash = hash_bytes_extended((const unsigned char *) cache_key,
								   strlen(cache_key), 0);
		cached = hash_search(target->cache->answers, &hash, HASH_FIND, NULL);
		if (cached && strcmp(cached->request, cache_key) == 0)
		{
			delta.cached = 1;
			crm_counters_add(counters, &delta);
			crm_stats_add(target->serverid, &delta);
			if (crm_log_requests)
				log_request(target, request, NULL);
			answer->status = cached->status;
			answer->content_type = cached->content_type;
			answer->body = cached->body ? cached->body : "";
			answer->body_len = cached->len;
			crm_judge_answer(target->provider, entity, answer);
			return;
		}
	}

	url = psprintf("%s%s", target->server.url, request->path.data);
	crm_http_request(target->conn->http, &target->server.http, request->method,
					 url, body, request->idempotent, request->is_write,
					 &response);

	delta.requests = 1 + response.retries;
	delta.retries = response.retries;
	delta.bytes = response.bytes;
	delta.wait_ms = response.wait_ms;
	crm_counters_add(counters, &delta);
	crm_stats_add(target->serverid, &delta);
	if (crm_log_requests)
		log_request(target, request, &response);

	if (response.transport_failed)
	{
		if (raise)
			report_transport_error(target, request, &response);
		answer->kind = CRM_ANSWER_FAILED;
		answer->transport_failed = true;
		answer->maybe_sent = response.outcome_unknown;
		answer->transport_error = response.timed_out ?
			psprintf("no complete answer within request_timeout, %ld ms",
					 target->server.http.request_timeout_ms) :
			crm_utf8_for_message(response.transport_error);
		return;
	}

	answer->status = response.status;
	answer->content_type = response.content_type;
	answer->body = response.body;
	answer->body_len = response.body_len;
	crm_judge_answer(target->provider, entity, answer);
	if (answer->kind == CRM_ANSWER_FAILED && raise)
		crm_report_failure(target, request, answer);

	/* the handle's buffer is reused by the next request: keep a copy */
	if (answer->body_len > 0)
		answer->body = pnstrdup(answer->body, answer->body_len);
	if (cache_key && answer->kind != CRM_ANSWER_FAILED)
		cache_answer(target->cache, hash, cache_key, answer);
}

/* A read: every failure is an ERROR. */
void
crm_send(CrmTarget *target, const CrmEntity *entity, CrmRequest *request,
		 CrmCounters *counters, CrmAnswer *answer)
{
	send_request(target, entity, request, counters, answer, true);
}

/* A write: the caller judges every outcome, failures included. */
void
crm_send_write(CrmTarget *target, const CrmEntity *entity, CrmRequest *request,
			   CrmCounters *counters, CrmAnswer *answer)
{
	send_request(target, entity, request, counters, answer, false);
}

/*
 * One page of a call: composed at the pager's position, sent, its items
 * found, the pager advanced and the page counted.  Returns the items (a new
 * JSON array, in the current memory context).
 */
json_t *
crm_fetch_page(CrmTarget *target, const CrmEntity *entity, const CrmCall *call,
			   CrmPager *pager, int64 rows_so_far, CrmCounters *counters)
{
	CrmRequest	request;
	CrmAnswer	answer;
	json_t	   *items;
	size_t		listed;
	int			size = crm_pager_request_size(pager, rows_so_far);

	crm_compose_read(target->provider, entity, call, pager, size, &request);
	crm_send(target, entity, &request, counters, &answer);
	items = crm_answer_items(target, entity, &request, &answer, &listed);
	crm_pager_advance(pager, answer.kind == CRM_ANSWER_ROWS ? answer.json : NULL,
					  listed, size);
	/* an item is one answer, whatever paging data it carries */
	if (call->item_key)
		pager->done = true;
	crm_count_page(target, counters, json_array_size(items));
	return items;
}

/* Every row of one call, page after page. */
json_t *
crm_fetch_all(CrmTarget *target, const CrmEntity *entity, const CrmCall *call,
			  CrmCounters *counters)
{
	json_t	   *rows = json_array();
	CrmPager	pager;
	int64		so_far = 0;

	crm_pager_start(&pager, target->provider, entity,
					crm_page_size(&target->server, entity), 0, CurrentMemoryContext);
	do
	{
		json_t	   *items;

		CHECK_FOR_INTERRUPTS();
		items = crm_fetch_page(target, entity, call, &pager, so_far, counters);
		so_far += json_array_size(items);
		json_array_extend(rows, items);
	} while (!pager.done);
	crm_pager_finish(&pager);
	return rows;
}

/* Every row of the entity's whole listing, as a query without conditions reads it. */
json_t *
crm_fetch_listing(CrmTarget *target, const CrmEntity *entity, CrmCounters *counters)
{
	json_t	   *rows = json_array();
	bool		no_rows;
	ListCell   *lc;

	foreach(lc, crm_build_calls(entity, NIL, 0, &no_rows))
		json_array_extend(rows, crm_fetch_all(target, entity, (CrmCall *) lfirst(lc),
											  counters));
	return rows;
}

/*
 * An item whose endpoint gives less than the listing, found in the listing
 * its own values narrow (its day, its client...); as it was if not there.
 */
json_t *
crm_complete_item(CrmTarget *target, const CrmEntity *entity, json_t *item,
				  CrmCounters *counters)
{
	json_t	   *key = json_object_get(item, entity->key);
	CrmCall		call;
	json_t	   *listed;

	memset(&call, 0, sizeof(call));
	for (const CrmFilter *f = entity->filters; f && f->column; f++)
	{
		json_t	   *v = crm_json_path(item, f->column);
		char	   *text;
		CrmParam   *param;

		for (const char *const *c = entity->item_completion; *c; c++)
		{
			if (strcmp(*c, f->column) != 0 || v == NULL || json_is_null(v))
				continue;
			text = json_is_string(v) ? pstrdup(json_string_value(v)) : crm_json_text(v);
			/* a time narrows to its day, both bounds */
			if (f->format == CRM_FMT_DATE && strlen(text) > 10)
				text[10] = '\0';
			param = palloc0(sizeof(CrmParam));
			param->filter = f;
			param->values = list_make1(text);
			call.params = lappend(call.params, param);
			if (f->upper_param)
			{
				param = palloc0(sizeof(CrmParam));
				param->filter = f;
				param->upper = true;
				param->values = list_make1(text);
				call.params = lappend(call.params, param);
			}
		}
	}
	listed = crm_fetch_all(target, entity, &call, counters);
	for (size_t i = 0; key && i < json_array_size(listed); i++)
		if (crm_json_same_scalar(json_object_get(json_array_get(listed, i), entity->key), key))
			return json_array_get(listed, i);
	return item;
}

/* A page's worth of rows, counted. */
void
crm_count_page(CrmTarget *target, CrmCounters *counters, size_t rows)
{
	CrmCounters delta;

	memset(&delta, 0, sizeof(delta));
	delta.pages = 1;
	delta.rows = rows;
	crm_counters_add(counters, &delta);
	crm_stats_add(target->serverid, &delta);
}

/*
 * Whether the account leaves the provider's optional list filters off
 * (amoCRM's is_api_filter_enabled): read once per connection, and again
 * after ALTER SERVER or ALTER USER MAPPING.
 */
bool
crm_filters_off(CrmTarget *target)
{
	const CrmFiltersProbe *probe = target->provider->filters_probe;

	if (probe == NULL)
		return false;
	if (target->conn->filters_state == CRM_FILTERS_UNKNOWN)
	{
		CrmRequest	request;
		CrmAnswer	answer;
		CrmCounters counters;
		json_t	   *enabled;

		memset(&counters, 0, sizeof(counters));
		crm_request_init(&request, "GET");
		appendStringInfoString(&request.path, probe->path);
		crm_send(target, NULL, &request, &counters, &answer);
		enabled = answer.kind == CRM_ANSWER_ROWS ?
			crm_json_path(answer.json, probe->enabled_path) : NULL;
		/* an account that does not say is taken at its word: filters on */
		target->conn->filters_state = json_is_false(enabled) ?
			CRM_FILTERS_OFF : CRM_FILTERS_ON;
	}
	return target->conn->filters_state == CRM_FILTERS_OFF;
}

/*
 * EXPLAIN ANALYZE's account of what a node spent on the API: a scan's
 * requests, cache hits, pages and rows, or a write's rows (rows_written
 * >= 0), and for both retries, bytes and time waited.
 */
void
crm_explain_counters(ExplainState *es, const CrmCounters *c, int64 rows_written)
{
	if (es->format == EXPLAIN_FORMAT_TEXT)
	{
		appendStringInfoSpaces(es->str, es->indent * 2);
		appendStringInfoString(es->str, "CRM API:");
		if (rows_written >= 0)
			appendStringInfo(es->str, " rows written=" INT64_FORMAT
							 " requests=" INT64_FORMAT, rows_written, c->requests);
		else
			appendStringInfo(es->str, " requests=" INT64_FORMAT " cached=" INT64_FORMAT
							 " pages=" INT64_FORMAT " rows=" INT64_FORMAT,
							 c->requests, c->cached, c->pages, c->rows);
		appendStringInfo(es->str, " retries=" INT64_FORMAT " bytes=" INT64_FORMAT
						 " wait=%.3f ms\n", c->retries, c->bytes, c->wait_ms);
		return;
	}
	if (rows_written >= 0)
		ExplainPropertyInteger("CRM Rows Written", NULL, rows_written, es);
	ExplainPropertyInteger("CRM Requests Sent", NULL, c->requests, es);
	if (rows_written < 0)
	{
		ExplainPropertyInteger("CRM Cached Answers", NULL, c->cached, es);
		ExplainPropertyInteger("CRM Pages", NULL, c->pages, es);
		ExplainPropertyInteger("CRM Rows Received", NULL, c->rows, es);
	}
	ExplainPropertyInteger("CRM Retries", NULL, c->retries, es);
	ExplainPropertyInteger("CRM Bytes", NULL, c->bytes, es);
	ExplainPropertyFloat("CRM Wait Time", "ms", c->wait_ms, 3, es);
}
