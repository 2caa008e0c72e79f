/*-------------------------------------------------------------------------
 *
 * http.h
 *		A libcurl handle that a backend can use safely: cancellable,
 *		time-limited, retrying what is safe to retry.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_HTTP_H
#define CRM_HTTP_H

#include "postgres.h"

#include "nodes/pg_list.h"

typedef struct CrmHttp CrmHttp;

typedef struct CrmHttpSettings
{
	long		connect_timeout_ms;
	long		request_timeout_ms;
	int			max_retries;	/* extra attempts after a transient failure */
	double		requests_per_second;	/* 0: no limit */
} CrmHttpSettings;

/* What happened to one request; valid until the handle's next request. */
typedef struct CrmHttpResponse
{
	long		status;			/* HTTP status; 0 if no answer arrived */
	const char *body;			/* NUL-terminated; never NULL */
	size_t		body_len;
	const char *content_type;	/* NULL if the answer had none */
	bool		transport_failed;	/* no complete answer */
	bool		outcome_unknown;	/* ... after the request had been sent */
	bool		timed_out;		/* request_timeout or connect_timeout hit */
	bool		connected;		/* the connection was established */
	bool		transient;		/* a network failure worth another attempt */
	bool		cancelled;		/* a query cancel cut a sent write off */
	const char *transport_error;	/* libcurl's words when transport_failed */
	int			retries;		/* attempts beyond the first */
	double		wait_ms;		/* time on the wire, backoff included */
	size_t		bytes;			/* body bytes received, all attempts */
} CrmHttpResponse;

extern CrmHttp *crm_http_create(void);
extern void crm_http_destroy(CrmHttp *http);
extern void crm_http_set_headers(CrmHttp *http, List *header_lines);
extern char *crm_http_redact(CrmHttp *http, const char *text);
extern void crm_http_request(CrmHttp *http, const CrmHttpSettings *settings,
							 const char *method, const char *url,
							 const char *body, bool idempotent,
							 bool changes_data, CrmHttpResponse *response);

#endif							/* CRM_HTTP_H */
