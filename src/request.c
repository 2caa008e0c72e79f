/*-------------------------------------------------------------------------
 *
 * request.c
 *		Sends one provider-spelled request through the connection's HTTP
 *		handle, counts what it cost, turns failures into ERRORs in the FDW
 *		class and decodes the JSON answer.
 *
 * Error messages name the provider, the HTTP status and the request path
 * (never the host: it may differ between the real service and a test
 * emulator), put the vendor's own words in DETAIL, and advice in HINT.
 * Anything the vendor says passes through the connection's redaction of
 * its credentials first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "commands/explain.h"
#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "stats.h"

#include "json_datum.h"
#include "request.h"

/* How much of an unexpected answer an error repeats. */
#define CRM_EXCERPT_MAX		80

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

void
crm_counters_add(CrmCounters *sum, const CrmCounters *part)
{
	sum->requests += part->requests;
	sum->pages += part->pages;
	sum->rows += part->rows;
	sum->bytes += part->bytes;
	sum->retries += part->retries;
	sum->cached += part->cached;
	sum->wait_ms += part->wait_ms;
}

/* ---- the statement cache ---- */

/*
 * GET answers of one statement, keyed by user mapping and request: a
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
	char	   *request;		/* "umid METHOD path", to rule out collisions */
	char	   *body;			/* NULL: the item does not exist (404) */
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
log_request(CrmTarget *target, CrmRequest *request, const char *body,
			const CrmHttpResponse *response)
{
	StringInfoData what;
	StringInfoData outcome;
	char	   *detail = NULL;

	initStringInfo(&what);
	appendStringInfo(&what, "%s %s", request->method, request->path.data);
	if (body)
		appendStringInfo(&what, " %s", body);

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
			(errmsg("crm_fdw request: %s -> %s",
					crm_utf8_for_message(what.data), outcome.data),
			 detail ? errdetail_internal("%s", detail) : 0,
			 errhidestmt(true)));
	ereport(NOTICE,
			(errmsg("crm_fdw request: %s -> %s",
					crm_utf8_for_message(what.data), outcome.data),
			 detail ? errdetail_internal("%s", detail) : 0));
}

/* A printable, short, credential-free excerpt of an answer body. */
static char *
excerpt(CrmTarget *target, const char *body, size_t len)
{
	/* redact before clipping, so no cut can leave part of a secret */
	char	   *text = crm_utf8_for_message(crm_http_redact(target->conn->http,
															pnstrdup(body, len)));
	int			cut;

	for (char *p = text; *p; p++)
		if ((unsigned char) *p < ' ')
			*p = ' ';
	if (strlen(text) > CRM_EXCERPT_MAX)
	{
		cut = pg_mbcliplen(text, strlen(text), CRM_EXCERPT_MAX);
		text[cut] = '\0';
		text = psprintf("%s...", text);
	}
	return text;
}

static int
status_errcode(long status)
{
	switch (status)
	{
		case 401:
		case 403:
			return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
		case 404:
		case 410:
			return ERRCODE_FDW_TABLE_NOT_FOUND;
		case 400:
		case 422:
			return ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE;
		default:
			return ERRCODE_FDW_ERROR;
	}
}

static int
status_hint(CrmTarget *target, long status)
{
	switch (status)
	{
		case 401:
			return errhint("Check the %s option of the user mapping for server \"%s\".",
						   target->provider->credential_hint, target->server_name);
		case 402:
			return errhint("The %s account's plan does not include this feature.",
						   target->provider->display_name);
		case 403:
			return errhint("The credentials lack permission for this, or a proxy in front of the API refused the request.");
		case 400:
		case 422:
			return errhint("%s refused a value this statement sent (its reason is in DETAIL): check the conditions and the values written.",
						   target->provider->display_name);
		case 404:
			return errhint("Check the url option of server \"%s\" and the entity of the foreign table.",
						   target->server_name);
		case 429:
			return errhint("The API's rate limit was exceeded; retry later, or spend fewer requests per query.");
		default:
			if (status >= 500)
				return errhint("The CRM failed to answer; retrying later may help.");
			return errhint("Check the url option of server \"%s\": the answer did not come from %s's API as crm_fdw knows it.",
						   target->server_name, target->provider->display_name);
	}
}

static void
report_http_error(CrmTarget *target, CrmRequest *request,
				  const CrmHttpResponse *response)
{
	json_error_t jerr;
	json_t	   *answer = json_loadb(response->body, response->body_len, 0, &jerr);
	const char *message = answer ? target->provider->error_message(answer) : NULL;

	ereport(ERROR,
			(errcode(status_errcode(response->status)),
			 errmsg("%s request failed with HTTP status %ld",
					target->provider->display_name, response->status),
			 message ?
			 errdetail("%s", crm_utf8_for_message(crm_http_redact(target->conn->http,
																  message))) :
			 response->body_len == 0 ?
			 errdetail("The answer had no body.") :
			 errdetail("The answer was %s, not JSON.",
					   response->content_type ? response->content_type :
					   "of no stated type"),
			 status_hint(target, response->status),
			 errcontext("%s %s", request->method, request->path.data)));
}

static void
report_transport_error(CrmTarget *target, CrmRequest *request,
					   const CrmHttpResponse *response)
{
	if (response->outcome_unknown && strcmp(request->method, "GET") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("%s request failed after it was sent; whether %s acted on it is unknown",
						target->provider->display_name,
						target->provider->display_name),
				 response->timed_out ?
				 errdetail("No complete answer within request_timeout, %ld ms.",
						   target->server.http.request_timeout_ms) :
				 errdetail("%s", response->transport_error),
				 errhint("Check in %s before repeating the statement: it was not resent, to avoid writing twice.",
						 target->provider->display_name),
				 errcontext("%s %s", request->method, request->path.data)));

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
				 errcontext("%s %s", request->method, request->path.data)));

	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not get an answer from %s",
					target->provider->display_name),
			 errdetail("%s", response->transport_error),
			 errhint("Check the url option of server \"%s\".", target->server_name),
			 errcontext("%s %s", request->method, request->path.data)));
}

/*
 * jansson's reason, without the "near '...'" it quotes from the body: a
 * fragment of a secret there would escape redaction.
 */
static char *
decode_error_text(const json_error_t *jerr)
{
	char	   *text = pstrdup(jerr->text);
	char	   *near = strstr(text, " near ");

	if (near)
		*near = '\0';
	return text;
}

static json_t *
decode_answer(CrmTarget *target, CrmRequest *request, const char *body,
			  size_t len, long status, const char *content_type)
{
	json_t	   *answer;
	json_error_t jerr;

	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("%s answered HTTP %ld with an empty body",
						target->provider->display_name, status),
				 errhint("Something between crm_fdw and %s may have failed; check the url option of server \"%s\", and retry.",
						 target->provider->display_name, target->server_name),
				 errcontext("%s %s", request->method, request->path.data)));

	answer = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
	if (answer == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("%s answered with a body that is not JSON",
						target->provider->display_name),
				 errdetail("%s at character %d of \"%s\" (%s).",
						   decode_error_text(&jerr), jerr.position,
						   excerpt(target, body, len),
						   content_type ? content_type : "no content type"),
				 errhint("A proxy or gateway in front of %s may have answered instead of the API; check the url option of server \"%s\".",
						 target->provider->display_name, target->server_name),
				 errcontext("%s %s", request->method, request->path.data)));
	return answer;
}

/* Keeps a GET answer for the rest of the statement, if it fits. */
static void
cache_answer(CrmStatementCache *cache, uint64 hash, const char *key,
			 const char *body, size_t len)
{
	CrmCachedAnswer *entry;
	bool		found;

	if (len > CRM_CACHE_MAX_ANSWER || cache->bytes + len > CRM_CACHE_MAX_BYTES)
		return;
	entry = hash_search(cache->answers, &hash, HASH_ENTER, &found);
	if (found)
		return;					/* a colliding request holds the slot */
	entry->request = MemoryContextStrdup(cache->estate->es_query_cxt, key);
	entry->body = body ? MemoryContextAlloc(cache->estate->es_query_cxt, len + 1) : NULL;
	if (body)
	{
		memcpy(entry->body, body, len);
		entry->body[len] = '\0';
	}
	entry->len = len;
	cache->bytes += len + strlen(key);
}

/*
 * Sends a request and returns its decoded 2xx answer.  With missing_ok, a
 * 404 returns NULL (an item that does not exist).  Every other failure is
 * an ERROR.  What it cost goes into *counters and the session's totals.
 */
json_t *
crm_send(CrmTarget *target, CrmRequest *request, bool missing_ok,
		 CrmCounters *counters)
{
	CrmHttpResponse response;
	CrmCounters delta;
	char	   *url;
	char	   *body = NULL;
	char	   *cache_key = NULL;
	uint64		hash = 0;

	memset(&delta, 0, sizeof(delta));

	if (target->cache && request->body == NULL &&
		strcmp(request->method, "GET") == 0)
	{
		CrmCachedAnswer *cached;

		cache_key = psprintf("%u GET %s", target->conn->umid, request->path.data);
		hash = hash_bytes_extended((const unsigned char *) cache_key,
								   strlen(cache_key), 0);
		cached = hash_search(target->cache->answers, &hash, HASH_FIND, NULL);
		if (cached && strcmp(cached->request, cache_key) == 0 &&
			(cached->body != NULL || missing_ok))
		{
			delta.cached = 1;
			crm_counters_add(counters, &delta);
			crm_stats_add(target->serverid, &delta);
			if (crm_log_requests)
				log_request(target, request, NULL, NULL);
			if (cached->body == NULL)
				return NULL;
			return decode_answer(target, request, cached->body, cached->len,
								 200, "application/json");
		}
	}

	url = psprintf("%s%s", target->server.url, request->path.data);
	if (request->body)
		body = crm_json_text(request->body);

	crm_http_request(target->conn->http, &target->server.http, request->method,
					 url, body, &response);

	delta.requests = 1 + response.retries;
	delta.retries = response.retries;
	delta.bytes = response.bytes;
	delta.wait_ms = response.wait_ms;
	crm_counters_add(counters, &delta);
	crm_stats_add(target->serverid, &delta);
	if (crm_log_requests)
		log_request(target, request, body, &response);

	if (response.transport_failed)
		report_transport_error(target, request, &response);
	if (response.status == 404 && missing_ok)
	{
		if (cache_key)
			cache_answer(target->cache, hash, cache_key, NULL, 0);
		return NULL;
	}
	if (response.status < 200 || response.status > 299)
		report_http_error(target, request, &response);

	if (cache_key && response.body_len > 0)
		cache_answer(target->cache, hash, cache_key, response.body,
					 response.body_len);
	return decode_answer(target, request, response.body, response.body_len,
						 response.status, response.content_type);
}

/*
 * One page of a call: the provider spells the request, the answer is
 * unwrapped into its array of rows, *page advances.  An item that does not
 * exist is an empty page.
 */
json_t *
crm_fetch_page(CrmTarget *target, const CrmEntity *entity, const CrmCall *call,
			   CrmPage *page, int limit, CrmCounters *counters)
{
	CrmRequest	request;
	CrmCounters delta;
	json_t	   *answer;
	json_t	   *rows;
	const char *error = NULL;

	initStringInfo(&request.path);
	target->provider->build_request(entity, call, page, limit, &request);
	/*
	 * An item, or the children of an item (a deal's flow), that does not
	 * exist answers 404: that is no rows, not a failure.
	 */
	answer = crm_send(target, &request,
					  call->item_key != NULL || crm_call_has_path_params(call),
					  counters);

	if (answer == NULL)
	{
		rows = json_array();
		page->done = true;
	}
	else
	{
		rows = target->provider->extract_rows(entity, call, answer, page, &error);
		if (rows == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("%s request failed", target->provider->display_name),
					 errdetail("%s", crm_utf8_for_message(crm_http_redact(target->conn->http,
																		  error))),
					 errhint("%s reported the failure in an answer that was otherwise a success; check the conditions of the query.",
							 target->provider->display_name),
					 errcontext("%s %s", request.method, request.path.data)));
		if (!json_is_array(rows))
			elog(ERROR, "provider returned rows that are not an array");
	}

	memset(&delta, 0, sizeof(delta));
	delta.pages = 1;
	delta.rows = json_array_size(rows);
	crm_counters_add(counters, &delta);
	crm_stats_add(target->serverid, &delta);
	return rows;
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
