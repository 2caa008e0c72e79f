/*-------------------------------------------------------------------------
 *
 * http.c
 *		libcurl, and nothing else: one easy handle per connection, reused
 *		for keep-alive; timeouts; query cancel; retries of what is safe to
 *		retry.
 *
 * Never raises an ERROR from inside a libcurl callback (a longjmp through
 * libcurl would leave the handle corrupt): callbacks only record what
 * happened, and errors are raised after curl_easy_perform() returns.
 * Never reads the catalogs and never shapes vendor errors: callers get a
 * CrmHttpResponse and decide.  Credential headers live only in libcurl's
 * header list and are wiped before they are freed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "utils/timeout.h"
#include "lib/stringinfo.h"
#include "utils/wait_event.h"
#include "common/pg_prng.h"
#include "storage/proc.h"
#include "access/xact.h"
#include <math.h>

#include "http.h"

/* A page of a CRM answer is a few MB at most; refuse to buffer absurd ones. */
#define CRM_MAX_ANSWER_BYTES	(64 * 1024 * 1024)

/*
 * Backoff before retry n (from 0) when the server gave no Retry-After: at
 * least the floor, so that a retry never follows at once.
 */
#define CRM_BACKOFF_FLOOR_MS	10
#define CRM_BACKOFF_BASE_MS		250
#define CRM_BACKOFF_MAX_MS		8000
/* A Retry-After longer than this is reported instead of waited out. */
#define CRM_RETRY_AFTER_MAX_MS	30000

struct CrmHttp
{
	CURL	   *curl;
	struct curl_slist *headers;	/* for requests without a body */
	struct curl_slist *body_headers;	/* same, plus Content-Type */
	char	   *buf;			/* answer body, malloc'd, reused */
	size_t		len;
	size_t		cap;
	bool		too_large;
	char		errbuf[CURL_ERROR_SIZE];
	int			ncredentials;	/* trailing header lines that are secret */

	/* when the last requests left, for requests_per_second: a ring */
	TimestampTz *sent;
	int			sent_cap;
	int			sent_next;
};

static bool curl_initialized = false;

static long retry_after_seconds(CURL *curl);

static size_t
write_answer(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	CrmHttp    *http = (CrmHttp *) userdata;
	size_t		n = size * nmemb;

	if (http->len + n + 1 > CRM_MAX_ANSWER_BYTES)
	{
		http->too_large = true;
		return 0;
	}
	if (http->len + n + 1 > http->cap)
	{
		size_t		cap = Max(http->cap * 2, Max(http->len + n + 1, 65536));
		char	   *buf = realloc(http->buf, cap);

		if (buf == NULL)
			return 0;
		http->buf = buf;
		http->cap = cap;
	}
	memcpy(http->buf + http->len, ptr, n);
	http->len += n;
	http->buf[http->len] = '\0';
	return n;
}

/*
 * libcurl calls this at least once a second, also while waiting for bytes;
 * aborting the transfer is how query cancel and statement_timeout reach a
 * request in flight.  The interrupt itself is serviced after perform.
 */
static int
check_interrupts(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
				 curl_off_t ultotal, curl_off_t ulnow)
{
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
}

CrmHttp *
crm_http_create(void)
{
	CrmHttp    *http;

	if (!curl_initialized)
	{
		if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not initialize libcurl")));
		curl_initialized = true;
	}

	http = calloc(1, sizeof(CrmHttp));
	if (http == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	http->curl = curl_easy_init();
	if (http->curl == NULL)
	{
		free(http);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not create a libcurl handle")));
	}
	return http;
}

static void
wipe_headers(struct curl_slist *list)
{
	for (struct curl_slist *h = list; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(list);
}

void
crm_http_destroy(CrmHttp *http)
{
	if (http == NULL)
		return;
	wipe_headers(http->headers);
	wipe_headers(http->body_headers);
	curl_easy_cleanup(http->curl);
	free(http->buf);
	free(http->sent);
	free(http);
}

static struct curl_slist *
append_header(struct curl_slist *list, const char *line)
{
	struct curl_slist *result = curl_slist_append(list, line);

	if (result == NULL)
	{
		wipe_headers(list);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	return result;
}

/*
 * Replaces the per-connection headers (credentials and the like).  The
 * strings in header_lines are copied, then wiped: callers pass secrets.
 */
void
crm_http_set_headers(CrmHttp *http, List *header_lines)
{
	struct curl_slist *headers = NULL;
	struct curl_slist *body_headers = NULL;
	ListCell   *lc;

	wipe_headers(http->headers);
	wipe_headers(http->body_headers);
	http->headers = http->body_headers = NULL;

	headers = append_header(headers, "Accept: application/json");
	headers = append_header(headers, "User-Agent: crm_fdw/1.0");
	/* no "100 Continue" round trip before bodies */
	body_headers = append_header(body_headers, "Expect:");
	body_headers = append_header(body_headers, "Accept: application/json");
	body_headers = append_header(body_headers, "User-Agent: crm_fdw/1.0");
	/* exactly this: SalesMan ignores the body of "...; charset=utf-8" */
	body_headers = append_header(body_headers, "Content-Type: application/json");
	foreach(lc, header_lines)
	{
		char	   *line = (char *) lfirst(lc);

		headers = append_header(headers, line);
		body_headers = append_header(body_headers, line);
		explicit_bzero(line, strlen(line));
	}
	http->headers = headers;
	http->body_headers = body_headers;
	http->ncredentials = list_length(header_lines);
}

/*
 * Returns text with every credential value replaced by "***", for text that
 * came from elsewhere (a vendor's error message could quote a token).
 */
char *
crm_http_redact(CrmHttp *http, const char *text)
{
	char	   *result = pstrdup(text);
	int			nfixed = 0;

	for (struct curl_slist *h = http->headers; h; h = h->next)
		nfixed++;
	nfixed -= http->ncredentials;

	for (struct curl_slist *h = http->headers; h; h = h->next)
	{
		const char *secret;
		char	   *hit;

		if (nfixed-- > 0)
			continue;
		secret = strchr(h->data, ':');
		if (secret == NULL)
			continue;
		secret++;
		while (*secret == ' ')
			secret++;
		if (strncmp(secret, "Bearer ", 7) == 0)
			secret += 7;
		if (strlen(secret) < 4)
			continue;
		while ((hit = strstr(result, secret)) != NULL)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			appendBinaryStringInfo(&buf, result, hit - result);
			appendStringInfoString(&buf, "***");
			appendStringInfoString(&buf, hit + strlen(secret));
			result = buf.data;
		}
	}
	return result;
}


/* Did the request leave the client?  Then a failure leaves its fate open. */
static bool
request_was_sent(CrmHttp *http, CURLcode code)
{
	long		sent = 0;

	switch (code)
	{
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
			return false;
		default:
			curl_easy_getinfo(http->curl, CURLINFO_REQUEST_SIZE, &sent);
			return sent > 0;
	}
}

static void
setopt_failed(CURLcode code)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
			 errmsg("could not configure libcurl: %s", curl_easy_strerror(code))));
}

#define SETOPT(h, opt, val) \
	do { CURLcode c_ = curl_easy_setopt((h), (opt), (val)); \
		 if (c_ != CURLE_OK) setopt_failed(c_); } while (0)

/* One attempt; fills *response, raises only for cancel and setup errors. */
static void
perform_once(CrmHttp *http, const CrmHttpSettings *settings,
			 const char *method, const char *url, const char *body,
			 bool idempotent, bool changes_data, CrmHttpResponse *response,
			 long *retry_after)
{
	CURL	   *curl = http->curl;
	CURLcode	code;
	curl_off_t	total_us = 0;
	char	   *content_type = NULL;

	/* keeps live connections, forgets the previous request's options */
	curl_easy_reset(curl);
	http->len = 0;
	http->too_large = false;
	http->errbuf[0] = '\0';
	if (http->buf)
		http->buf[0] = '\0';

	SETOPT(curl, CURLOPT_URL, url);
	SETOPT(curl, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SETOPT(curl, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* a redirect would carry the credential headers to another host */
	SETOPT(curl, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(curl, CURLOPT_CONNECTTIMEOUT_MS, settings->connect_timeout_ms);
	SETOPT(curl, CURLOPT_TIMEOUT_MS, settings->request_timeout_ms);
	SETOPT(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(curl, CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(curl, CURLOPT_ERRORBUFFER, http->errbuf);
	SETOPT(curl, CURLOPT_WRITEFUNCTION, write_answer);
	SETOPT(curl, CURLOPT_WRITEDATA, http);
	SETOPT(curl, CURLOPT_NOPROGRESS, 0L);
	SETOPT(curl, CURLOPT_XFERINFOFUNCTION, check_interrupts);
	SETOPT(curl, CURLOPT_HTTPHEADER, body ? http->body_headers : http->headers);

	/*
	 * libcurl silently resends a request whose reused connection died
	 * before any answer byte: for a POST the server may have acted on, that
	 * would write twice.  A fresh connection has no such race.
	 */
	if (!idempotent)
		SETOPT(curl, CURLOPT_FRESH_CONNECT, 1L);

	if (strcmp(method, "GET") == 0)
		SETOPT(curl, CURLOPT_HTTPGET, 1L);
	else
	{
		if (strcmp(method, "POST") == 0)
			SETOPT(curl, CURLOPT_POST, 1L);
		else
			SETOPT(curl, CURLOPT_CUSTOMREQUEST, method);
		if (body)
		{
			SETOPT(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body));
			SETOPT(curl, CURLOPT_POSTFIELDS, body);
		}
	}

	pgstat_report_wait_start(PG_WAIT_EXTENSION);
	code = curl_easy_perform(curl);
	pgstat_report_wait_end();

	curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us);
	response->wait_ms += total_us / 1000.0;
	response->bytes += http->len;

	if (code == CURLE_ABORTED_BY_CALLBACK)
	{
		/*
		 * A cancel that cuts off a write after it left leaves the write's
		 * fate open: that is what the caller must report, so the cancel is
		 * handed back as the answer.  It stays pending, and takes effect at
		 * the next check if the caller's error does not end the statement.
		 */
		if (changes_data && !ProcDiePending && QueryCancelPending &&
			request_was_sent(http, code))
		{
			response->transport_failed = true;
			response->outcome_unknown = true;
			response->cancelled = true;
			response->transport_error =
				get_timeout_indicator(STATEMENT_TIMEOUT, false) ?
				"the statement was canceled by statement_timeout" :
				get_timeout_indicator(LOCK_TIMEOUT, false) ?
				"the statement was canceled by lock_timeout" :
				"the statement was canceled at the user's request";
			return;
		}
		CHECK_FOR_INTERRUPTS();
		/* interrupts were held off: still do not pretend it succeeded */
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling CRM request due to user request")));
	}

	response->body = http->buf ? http->buf : "";
	response->body_len = http->len;
	response->status = 0;
	response->content_type = NULL;
	response->transport_failed = false;
	response->outcome_unknown = false;
	response->timed_out = false;
	response->transient = false;
	response->cancelled = false;
	response->transport_error = NULL;
	*retry_after = -1;

	if (code != CURLE_OK)
	{
		response->transport_failed = true;
		response->outcome_unknown = request_was_sent(http, code);
		/* the caller's time limit: another attempt would exceed it */
		response->timed_out = (code == CURLE_OPERATION_TIMEDOUT);
		/* what another attempt may cure: the network, not the request */
		response->transient = (code == CURLE_COULDNT_RESOLVE_HOST ||
							   code == CURLE_COULDNT_CONNECT ||
							   code == CURLE_SEND_ERROR ||
							   code == CURLE_RECV_ERROR ||
							   code == CURLE_GOT_NOTHING ||
							   code == CURLE_PARTIAL_FILE);
		{
			curl_off_t	connect_us = 0;

			curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
			response->connected = connect_us > 0;
		}
		if (http->too_large)
			response->transport_error =
				psprintf("the answer is larger than %d MB",
						 CRM_MAX_ANSWER_BYTES / (1024 * 1024));
		else
			response->transport_error =
				pstrdup(http->errbuf[0] ? http->errbuf : curl_easy_strerror(code));
		return;
	}

	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK &&
		content_type)
		response->content_type = pstrdup(content_type);
	*retry_after = retry_after_seconds(curl);
}

/*
 * The Retry-After header's seconds, or -1 when there is none: libcurl's
 * CURLINFO_RETRY_AFTER says 0 for "no header", which would make every
 * retry immediate.  An HTTP date is taken as "no advice".
 */
static long
retry_after_seconds(CURL *curl)
{
	struct curl_header *header;
	char	   *end;
	long		seconds;

	if (curl_easy_header(curl, "Retry-After", 0, CURLH_HEADER, -1, &header) != CURLHE_OK)
		return -1;
	errno = 0;
	seconds = strtol(header->value, &end, 10);
	while (*end == ' ')
		end++;
	if (end == header->value || *end != '\0' || errno != 0 || seconds < 0)
		return -1;
	return seconds;
}

/*
 * Exponential backoff with full jitter: before retry n (from 0) a random
 * wait of up to base * 2^n, capped, so that clients that failed together
 * do not retry together.
 */
static long
backoff_ms(int attempt)
{
	long		ceiling = Min((long) CRM_BACKOFF_BASE_MS << Min(attempt, 10),
							  CRM_BACKOFF_MAX_MS);

	return CRM_BACKOFF_FLOOR_MS +
		(long) (pg_prng_double(&pg_global_prng_state) * (ceiling - CRM_BACKOFF_FLOOR_MS));
}

/* Milliseconds left before statement_timeout; -1 if there is none. */
static long
statement_time_left_ms(void)
{
	long		secs;
	int			usecs;
	long		elapsed;

	if (StatementTimeout <= 0)
		return -1;
	TimestampDifference(GetCurrentStatementStartTimestamp(),
						GetCurrentTimestamp(), &secs, &usecs);
	elapsed = secs * 1000 + usecs / 1000;
	return Max(StatementTimeout - elapsed, 0);
}

/*
 * Transient failures worth another attempt, and how long to wait first.
 * A request that is not idempotent is retried only when the server cannot
 * have acted on it: it never left this machine, or the rate limiter turned
 * it away.  A wait that statement_timeout would cut short is not begun:
 * the failure is reported instead.
 */
static bool
should_retry(bool idempotent, const CrmHttpResponse *response,
			 long retry_after, int attempt, long *delay_ms)
{
	bool		transient;
	long		left;

	if (response->cancelled)
		return false;
	if (response->transport_failed)
		transient = response->transient &&
			(!response->outcome_unknown || idempotent);
	else if (response->status == 429)
		transient = true;
	else if (response->status == 502 || response->status == 503 ||
			 response->status == 504)
		transient = idempotent;
	else
		transient = false;

	if (!transient)
		return false;

	if (retry_after >= 0)
	{
		if (retry_after * 1000 > CRM_RETRY_AFTER_MAX_MS)
			return false;
		*delay_ms = retry_after * 1000;
	}
	else
		*delay_ms = backoff_ms(attempt);
	left = statement_time_left_ms();
	if (left >= 0 && *delay_ms >= left)
		return false;
	return true;
}

/* Sleeps, but wakes up for query cancel and postmaster death. */
static void
interruptible_sleep(long ms)
{
	TimestampTz end = GetCurrentTimestamp() + ms * 1000;

	for (;;)
	{
		long		left = (long) ((end - GetCurrentTimestamp()) / 1000);

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * requests_per_second: waits until sending now keeps every window of the
 * limit's length within its count.  A rate of r allows floor(r) requests a
 * second (one every 1/r seconds below 1); a few milliseconds of margin
 * keep the server's clock, which sees them arrive, from counting more.
 */
#define CRM_RATE_MARGIN_MS	20

static void
wait_for_rate(CrmHttp *http, double rate)
{
	int			count;
	int64		window_us;
	TimestampTz oldest;
	TimestampTz now;

	if (rate <= 0)
		return;
	count = rate >= 1 ? (int) floor(rate) : 1;
	window_us = rate >= 1 ? USECS_PER_SEC : (int64) (USECS_PER_SEC / rate);
	if (http->sent_cap != count)
	{
		TimestampTz *ring = calloc(count, sizeof(TimestampTz));

		if (ring == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		free(http->sent);
		http->sent = ring;
		http->sent_cap = count;
		http->sent_next = 0;
	}
	/* the request count ago, if it is in the window, holds this one back */
	oldest = http->sent[http->sent_next];
	now = GetCurrentTimestamp();
	if (oldest != 0 && now < oldest + window_us + CRM_RATE_MARGIN_MS * 1000)
		interruptible_sleep((long) ((oldest + window_us - now) / 1000) +
							CRM_RATE_MARGIN_MS);
	http->sent[http->sent_next] = GetCurrentTimestamp();
	http->sent_next = (http->sent_next + 1) % count;
}

void
crm_http_request(CrmHttp *http, const CrmHttpSettings *settings,
				 const char *method, const char *url, const char *body,
				 bool idempotent, bool changes_data, CrmHttpResponse *response)
{
	memset(response, 0, sizeof(*response));

	for (int attempt = 0;; attempt++)
	{
		long		retry_after;
		long		delay_ms;

		wait_for_rate(http, settings->requests_per_second);
		perform_once(http, settings, method, url, body, idempotent, changes_data,
					 response, &retry_after);
		if (attempt >= settings->max_retries ||
			!should_retry(idempotent, response, retry_after, attempt, &delay_ms))
			break;
		interruptible_sleep(delay_ms);
		response->wait_ms += delay_ms;
		response->retries++;
	}
}
