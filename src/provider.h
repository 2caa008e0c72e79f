/*-------------------------------------------------------------------------
 *
 * provider.h
 *		The contract between the generic FDW machinery and one CRM.
 *
 * A provider is one C file holding a const CrmProvider: declarative tables
 * of its entities (endpoints, columns, pushable filters) plus a handful of
 * functions for what really differs between vendors: how credentials are
 * sent, how a request URL is spelled, how an answer is unwrapped into rows
 * and how the vendor reports errors.
 *
 * Providers never touch libcurl, the catalogs or the executor: they see
 * decoded JSON and rendered parameter values, and build requests.  That
 * keeps a fourth CRM down to one new file and one line in provider.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_PROVIDER_H
#define CRM_PROVIDER_H

#include "postgres.h"

#include "crm_json.h"

#include "lib/stringinfo.h"
#include "nodes/nodes.h"
#include "nodes/pg_list.h"

/* Comparison operators a filter can express; a bit set in CrmFilter.ops. */
#define CRM_OP_EQ		0x01	/* col = value */
#define CRM_OP_IN		0x02	/* col IN (...), col = ANY(array) */
#define CRM_OP_GE		0x04
#define CRM_OP_GT		0x08
#define CRM_OP_LT		0x10
#define CRM_OP_LE		0x20
#define CRM_OP_BOOL		0x40	/* bare boolean column, or NOT column */
#define CRM_OP_LOWER	(CRM_OP_GE | CRM_OP_GT)
#define CRM_OP_UPPER	(CRM_OP_LT | CRM_OP_LE)

/* How a pushed value is spelled in a request. */
typedef enum CrmValueFormat
{
	CRM_FMT_INTEGER,			/* 42 */
	CRM_FMT_TEXT,				/* as is */
	CRM_FMT_BOOL,				/* true / false */
	CRM_FMT_RFC3339,			/* 2026-01-31T12:00:00Z, whole seconds, UTC */
	CRM_FMT_DATE,				/* 2026-01-31, UTC date */
	CRM_FMT_UNIX				/* seconds since the epoch */
} CrmValueFormat;

/*
 * One condition the API can evaluate, on the JSON field `column`.
 *
 * For equality and IN lists the value goes in `param`.  For ranges, lower
 * bounds (>, >=) go in `param` and are inclusive, upper bounds (<, <=) go in
 * `upper_param`, exclusive unless upper_inclusive.  Ranges are rounded
 * outwards to the format's granularity; PostgreSQL rechecks every condition,
 * so a filter only ever has to return a superset of the matching rows.
 */
typedef struct CrmFilter
{
	const char *column;
	uint32		ops;
	CrmValueFormat format;
	const char *param;
	const char *upper_param;
	bool		upper_inclusive;
	int			max_list;		/* values per request for IN; 0: no limit */
	bool		in_path;		/* value fills {param} in the list path */
	bool		required;		/* the endpoint cannot be listed without it */
	const char *const *domain;	/* if set, the only values rows can hold */
} CrmFilter;

/* What an entity lets crm_fdw do; a bit set in CrmEntity.writes. */
#define CRM_WRITE_INSERT	0x01
#define CRM_WRITE_UPDATE	0x02
#define CRM_WRITE_DELETE	0x04

/* Column flags. */
#define CRM_COL_READONLY	0x01	/* the API sets it; writes must not */
#define CRM_COL_KEY			0x02	/* row identity */
#define CRM_COL_CALL_VALUE	0x04	/* not in the answer: taken from the request */

/* A field of an entity, with the SQL type IMPORT and the docs suggest. */
typedef struct CrmColumn
{
	const char *name;
	const char *type;
	uint32		flags;
	const char *description;	/* the vendor's, for COMMENT ON COLUMN */
	const char *field;			/* JSON path when it is not the name */
} CrmColumn;

/* Paging styles; a provider interprets CrmEntity.paging with these. */
typedef enum CrmPaging
{
	CRM_PAGING_NONE,			/* one answer holds everything */
	CRM_PAGING_CURSOR,			/* opaque cursor in the answer */
	CRM_PAGING_OFFSET,			/* start/limit */
	CRM_PAGING_PAGE				/* page number */
} CrmPaging;

typedef struct CrmEntity
{
	const char *name;			/* foreign table's entity option */
	const char *list_path;		/* may hold {param} placeholders */
	const char *item_path;		/* "{key}" placeholder; NULL: no item endpoint */
	const char *key;			/* key column, NULL if the entity has none */
	CrmPaging	paging;
	int			max_page_size;	/* vendor's maximum limit; 0: not paged */
	double		default_rows;	/* planner's row estimate */
	int			flavor;			/* provider-private: API version, envelope */
	const CrmColumn *columns;	/* terminated by a NULL name */
	const CrmFilter *filters;	/* terminated by a NULL column */
	uint32		writes;			/* CRM_WRITE_* the API offers */
	const char *description;	/* what the entity is, for COMMENT ON TABLE */
} CrmEntity;

/* A rendered query parameter: the filter it came from and its values. */
typedef struct CrmParam
{
	const CrmFilter *filter;
	bool		upper;			/* the upper bound of a range filter */
	List	   *values;			/* char * each; several for lists */
	bool		placeholder;	/* EXPLAIN's {expression}: append verbatim */
} CrmParam;

/*
 * One logical call of a scan: either the item endpoint for one key, or the
 * list endpoint with parameters, followed page by page.
 */
typedef struct CrmCall
{
	const char *item_key;		/* non-NULL: fetch this one item */
	bool		item_key_placeholder;	/* EXPLAIN's {expression} */
	List	   *params;			/* CrmParam *, in the entity's filter order */
} CrmCall;

/* Where a paged scan stands; providers fill it from each answer. */
typedef struct CrmPage
{
	int			number;			/* pages fetched so far in this call */
	int64		offset;			/* next start / page for offset paging */
	char	   *cursor;			/* next cursor; palloc'd */
	bool		done;			/* no further page */
} CrmPage;

/* A request as the provider spells it; the URL is relative to the server. */
typedef struct CrmRequest
{
	const char *method;
	StringInfoData path;		/* path and query string */
	json_t	   *body;			/* NULL for none */
} CrmRequest;

/* An option a provider adds to the generic ones, and where it goes. */
typedef enum CrmOptionPlace
{
	CRM_OPTION_SERVER,
	CRM_OPTION_USER_MAPPING
} CrmOptionPlace;

typedef struct CrmProviderOption
{
	const char *name;
	CrmOptionPlace place;
	bool		secret;			/* a credential: never shown, user mappings only */
} CrmProviderOption;

typedef struct CrmProvider
{
	const char *name;			/* server option provider = ... */
	const char *display_name;	/* for messages */
	const CrmEntity *entities;	/* terminated by a NULL name */
	const CrmProviderOption *options;	/* terminated by a NULL name */
	const char *credential_hint;	/* what a user mapping needs */
	const char *naive_time_zone;	/* zone of times sent without one */
	const char *url_example;	/* an account's base URL, for hints */
	const char *const *api_paths;	/* path prefixes crm_fdw appends to url */

	/*
	 * Checks the user mapping's options and appends "Header: value" strings
	 * to *headers.  Raises an ERROR if the credentials are incomplete.
	 */
	void		(*auth_headers) (List *options, List **headers);

	/* Spells the request for one page of a call. */
	void		(*build_request) (const CrmEntity *entity, const CrmCall *call,
								  const CrmPage *page, int limit,
								  CrmRequest *request);

	/*
	 * Unwraps a decoded 2xx answer: returns the array of row objects and
	 * advances *page.  Returns NULL with *error set when the answer reports
	 * a failure in its body.
	 */
	json_t	   *(*extract_rows) (const CrmEntity *entity, const CrmCall *call,
								 json_t *answer, CrmPage *page,
								 const char **error);

	/* The vendor's own words from an error answer, or NULL. */
	const char *(*error_message) (json_t *answer);

	/*
	 * Spells a write of one row: INSERT (item NULL), UPDATE or DELETE of the
	 * item with item->item_key.  body holds the written columns as the
	 * generic conversion made them (times RFC 3339 in UTC, dates YYYY-MM-DD,
	 * times of day HH:MM:SS); the provider may reshape it to its API's taste.
	 */
	void		(*build_write) (const CrmEntity *entity, CmdType operation,
								const CrmCall *item, json_t *body,
								CrmRequest *request);

	/*
	 * The row object a write answered with (for RETURNING and the new key),
	 * or NULL with *error set when the answer reports a failure.
	 */
	json_t	   *(*extract_written) (const CrmEntity *entity, CmdType operation,
									json_t *answer, const char **error);
} CrmProvider;

/* provider.c */
extern const CrmProvider *crm_find_provider(const char *name);
extern const CrmProvider *crm_provider_at(int index);
extern const char *crm_provider_names(void);
extern const CrmEntity *crm_find_entity(const CrmProvider *provider,
										const char *name);
extern const char *crm_entity_names(const CrmProvider *provider);
extern const CrmColumn *crm_find_column(const CrmEntity *entity,
										const char *name);
extern void crm_append_path(StringInfo buf, const CrmEntity *entity,
							const char *template_path, const CrmCall *call);
extern void crm_append_query_name(StringInfo buf, const char *name);
extern void crm_append_query_param(StringInfo buf, const char *name,
								   const char *value);
extern void crm_append_encoded(StringInfo buf, const char *value);
extern void crm_append_param_value(StringInfo buf, const CrmParam *param,
								   const char *value);
extern bool crm_call_has_path_params(const CrmCall *call);

extern const CrmProvider crm_pipedrive_provider;

#endif							/* CRM_PROVIDER_H */
