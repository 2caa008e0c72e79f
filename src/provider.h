/*-------------------------------------------------------------------------
 *
 * provider.h
 *		The contract between the generic FDW machinery and one CRM.
 *
 * A provider is one C file holding a const CrmProvider: declarative tables
 * of its entities (endpoints, paging, columns, pushable filters, the shape
 * of its answers) plus the few functions where vendors really differ: how
 * credentials are sent, how an answer's body reports a failure, and how a
 * written row is shaped.
 *
 * Everything a provider declares is read by generic code: compose.c spells
 * requests from filters and paging, paging.c follows pages, answer.c turns
 * an answer into rows or a classified failure, rowset.c makes table rows of
 * nested arrays.  Providers never touch libcurl, the catalogs or the
 * executor.  A fourth CRM is one new file and one line in provider.c.
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
#define CRM_OP_RANGE	(CRM_OP_LOWER | CRM_OP_UPPER)

/*
 * How a value is spelled on the wire: in pushed conditions, in answers and
 * in written bodies.  "The zone" is the server's time zone option where the
 * provider has one, else the provider's own (CrmProvider.time_zone).
 */
typedef enum CrmValueFormat
{
	CRM_FMT_AUTO = 0,			/* columns: as the JSON has it */
	CRM_FMT_INTEGER,			/* 42 */
	CRM_FMT_NUMBER,				/* 42.5: numeric ranges */
	CRM_FMT_TEXT,				/* as is */
	CRM_FMT_BOOL,				/* true / false */
	CRM_FMT_BOOL01,				/* 1 / 0 */
	CRM_FMT_RFC3339,			/* 2026-01-31T12:00:00Z, UTC */
	CRM_FMT_UNIX,				/* seconds since the epoch */
	CRM_FMT_DATE,				/* 2026-01-31, a day in the zone */
	CRM_FMT_LOCAL				/* 2026-01-31 12:00:00, wall time in the zone */
} CrmValueFormat;

/* How several values of one filter go into one request. */
typedef enum CrmListStyle
{
	CRM_LIST_COMMA = 0,			/* ids=1,2,3 */
	CRM_LIST_REPEAT,			/* filter[id][]=1&filter[id][]=2 */
	CRM_LIST_INDEXED,			/* param holds "{i}": filter[x][0]=1&filter[x][1]=2 */
	CRM_LIST_JSON				/* a JSON array in the body: "pid":[1,2] */
} CrmListStyle;

/*
 * A value the API takes in another spelling that one of its entities
 * translates: SalesMan filters and writes a user by login, where rows carry
 * the user's id.  Read with the entity's listing, once per statement.
 */
typedef struct CrmLookup
{
	const char *entity;			/* whose rows translate */
	const char *from_field;		/* the value as the row has it: "iduser" */
	const char *to_field;		/* the value the API takes: "login" */
} CrmLookup;

/*
 * One condition the API can evaluate, on the field `column` (a JSON path as
 * columns spell it, see CrmColumn.field).
 *
 * For equality and IN lists the value goes in `param`.  For ranges, lower
 * bounds (>, >=) go in `param` and are inclusive, upper bounds (<, <=) go in
 * `upper_param`, exclusive unless upper_inclusive.  Ranges are rounded
 * outwards to the format's granularity; PostgreSQL rechecks every condition,
 * so a filter only ever has to return a superset of the matching rows.
 *
 * A pair filter (pair_column set) is sent only together with a condition on
 * pair_column, entry by entry: amoCRM's statuses need a pipeline each.
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
	CrmListStyle list_style;
	bool		in_path;		/* value fills {param} in the list path */
	bool		required;		/* the listing cannot be asked for without it */
	const char *const *domain;	/* if set, the only values rows can hold; an
								 * in-path filter with a domain and no
								 * condition reads each value's path in turn */
	const char *pair_column;
	const char *pair_param;
	bool		account_feature;	/* applied only where the account has API
									 * filtering (CrmProvider.filters_probe) */
	bool		fan_out;		/* with a domain: no condition reads each
								 * value in turn (a listing that shows one
								 * value's rows at a time) */
	const char *const *value_map;	/* column value, API value, ..., NULL */
	const CrmLookup *lookup;	/* the API takes the value translated */

	/*
	 * Sent when the query bounds no side of it: where the API's default is
	 * narrower than "everything" (SalesMan lists today's rows without
	 * dates).  With absent_completes, sent only opposite a bound the query
	 * gives, for an API that misreads a one-sided range.
	 */
	const char *absent_value;
	const char *upper_absent_value;
	bool		absent_completes;
} CrmFilter;

/* What an entity lets crm_fdw do: crm_entity_writes() gives these bits. */
#define CRM_WRITE_INSERT	0x01
#define CRM_WRITE_UPDATE	0x02
#define CRM_WRITE_DELETE	0x04

/* Column flags. */
#define CRM_COL_READONLY	0x01	/* the API sets it; writes must not */
#define CRM_COL_KEY			0x02	/* row identity */
#define CRM_COL_CALL_VALUE	0x04	/* not in the answer: taken from the request */
#define CRM_COL_NOT_IN_ITEM	0x08	/* the item endpoint leaves it out, or gives
									 * it otherwise: a query reading it lists */

/*
 * A field of an entity, with the SQL type IMPORT and the docs suggest.
 *
 * field is a dotted JSON path when it is not the name; a number selects an
 * array element, and each leading "^" climbs one level from a row unnested
 * out of an array to the item around it ("^name": the pipeline's name on a
 * stage).  request_option names what the entity's option parameter must
 * ask for before the answer carries the field (amoCRM's with=contacts,
 * Pipedrive's include_fields=source_lead_id).
 */
typedef struct CrmColumn
{
	const char *name;
	const char *type;
	uint32		flags;
	const char *description;	/* the vendor's, for COMMENT ON COLUMN */
	const char *field;			/* JSON path when it is not the name */
	CrmValueFormat wire;		/* how the answer spells it; AUTO: as JSON has it */
	const char *request_option;
	const char *write_param;	/* written under this name, not field's */
	const CrmLookup *write_lookup;	/* written translated */
} CrmColumn;

/* Paging styles. */
typedef enum CrmPagingStyle
{
	CRM_PAGING_NONE = 0,		/* one answer holds everything */
	CRM_PAGING_CURSOR,			/* an opaque cursor from the answer */
	CRM_PAGING_OFFSET,			/* the position is a row offset (start) */
	CRM_PAGING_PAGE,			/* page numbers from 1 */
	CRM_PAGING_PAGE_INDEX		/* page indexes from 0 */
} CrmPagingStyle;

/* Where an answer says that another page follows, and where. */
typedef enum CrmNextFrom
{
	CRM_NEXT_SHORT_PAGE = 0,	/* a page shorter than the size is the last */
	CRM_NEXT_CURSOR,			/* a string at next_path; null, "" or absent: last */
	CRM_NEXT_LINK,				/* a link at next_path; absent: last page */
	CRM_NEXT_MORE_FLAG			/* a boolean at more_path; the next offset at
								 * next_path if given, else rows so far */
} CrmNextFrom;

/*
 * How an entity's listing is paged, declared.  Paths may list alternatives
 * separated by "|" (the first present one counts).  An empty page, or an
 * answer the provider classifies as "no rows" (amoCRM's 204), always ends.
 */
typedef struct CrmPaging
{
	CrmPagingStyle style;
	const char *size_param;		/* "limit"; NULL: the server fixes the size */
	const char *position_param; /* "cursor", "start", "page", "offset" */
	int			max_size;		/* the vendor's maximum (or fixed) page size */
	CrmNextFrom next_from;
	const char *next_path;
	const char *more_path;
} CrmPaging;

/*
 * How an entity takes one kind of write: one route for INSERT or DELETE,
 * one or more for UPDATE (each for some columns: SalesMan changes a deal's
 * stage through another call than its other fields).
 *
 * path may hold {key} (the row's key) and {column}, a value of the row
 * that picks the path (amoCRM notes go to the path of their entity type);
 * rows are grouped by path.  A route with batch_size takes a JSON array of
 * up to that many items a request; answers hold the written items at
 * answer_items, in the order sent (or matched by request_id_param, a
 * position each item carries).
 */
typedef struct CrmWriteRoute
{
	const char *method;
	const char *path;
	int			batch_size;		/* > 0: items go in arrays of up to this many */
	int			default_batch;	/* the batch size unless batch_size says less */
	const char *answer_items;	/* the written item(s) in the answer */
	const char *const *columns; /* UPDATE: the route of these columns */
	const char *key_param;		/* the key goes in each item under this name */
	const char *request_id_param;	/* each item's position, echoed back */
	bool		answer_is_row;	/* the answer holds the whole row as written */
	const char *batch_wrapper;	/* a batch is {wrapper: [items]}, not [items] */
	const char *answer_key;		/* where an answer item holds the new key */

	/*
	 * Fields sent with every write of the route, from the row as it is:
	 * an API that empties or ignores what it is not sent (SalesMan's
	 * person/update blanks the fields left out).  Such a route needs the
	 * row read first, and the table must have the columns.
	 */
	const char *const *carry;
} CrmWriteRoute;

/*
 * An entity: one foreign table's worth of rows.
 *
 * Rows are the items found at rows_path in a listing's answer (item_path's
 * answer: at item_rows_path), or, with unnest, the elements of arrays inside
 * each item, level by level; or, with constant_rows, a list the vendor
 * documents, read without any request.
 */
typedef struct CrmEntity
{
	const char *name;			/* foreign table's entity option */
	const char *description;	/* what it is, for COMMENT ON TABLE */
	const char *list_path;		/* may hold {param} placeholders */
	const char *item_path;		/* "{key}" placeholder; NULL: no item endpoint */
	const char *item_key_param; /* the key goes in this parameter, not the path */
	const char *key;			/* key field, NULL if the entity has none */
	const CrmPaging *paging;	/* NULL: one answer holds every row */
	const char *rows_path;		/* NULL: the answer is the array of items */
	const char *item_rows_path; /* NULL: the item answer is the item */
	const char *const *unnest;	/* arrays whose elements are the rows */
	const char *constant_rows;	/* JSON array: rows without a request */
	const char *const *fixed_params;	/* name, value, name, value..., NULL */
	const char *request_option_param;	/* with, include_fields: CrmColumn */
	const char *hidden_when;	/* a boolean field: true rows are not in the table */
	double		default_rows;	/* planner's row estimate */
	int			flavor;			/* provider-private: API version, envelope */
	const CrmColumn *columns;	/* terminated by a NULL name */
	const CrmFilter *filters;	/* terminated by a NULL column */
	const CrmWriteRoute *insert;
	const CrmWriteRoute *insert_batch;	/* for more than one row, if another */
	const CrmWriteRoute *update;	/* routes, until one with a NULL method */
	const CrmWriteRoute *delete;
	const char *no_delete_hint; /* why the API cannot delete, when it cannot */
	bool		object_rows;	/* rows are the members of an object at
								 * rows_path: {"key": name, "value": value} */

	/*
	 * Filters whose values, taken from an item, narrow a listing that holds
	 * it whole: where the item endpoint gives less than the listing
	 * (CRM_COL_NOT_IN_ITEM) and a query reads it, the item is completed
	 * from that listing (SalesMan's history/info gives one contact of
	 * several; the day, client and deal of the record find it listed).
	 * Without them, such a query lists instead of fetching items.
	 */
	const char *const *item_completion;
} CrmEntity;

/* A rendered query parameter: the filter it came from and its values. */
typedef struct CrmParam
{
	const CrmFilter *filter;
	bool		upper;			/* the upper bound of a range filter */
	List	   *values;			/* char * each; several for lists */
	List	   *pair_values;	/* pair filters: the pair column's, parallel */
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
	const char *request_options;	/* "contacts,loss_reason" or NULL */
} CrmCall;

/* A request as compose.c spells it; the URL is relative to the server. */
typedef struct CrmRequest
{
	const char *method;
	StringInfoData path;		/* path and query string */
	json_t	   *body;			/* NULL for none */
	bool		idempotent;		/* may be resent on a transient failure */
	bool		is_write;		/* changes data: never cached */
	bool		is_item;		/* an item endpoint: "no such item" is no rows */
	bool		parent_in_path; /* the path names a parent item: likewise */
} CrmRequest;

/*
 * What an answer is, as the provider judges it.  Failures fall into
 * classes, and answer.c gives each class one SQLSTATE, message and hint
 * for every provider.
 */
typedef enum CrmAnswerKind
{
	CRM_ANSWER_ROWS = 0,		/* a success: rows (maybe none) */
	CRM_ANSWER_NO_ROWS,			/* no such item, or an empty listing */
	CRM_ANSWER_FAILED
} CrmAnswerKind;

typedef enum CrmFailure
{
	CRM_FAIL_AUTHENTICATION,	/* the credentials are wrong */
	CRM_FAIL_FORBIDDEN,			/* not allowed, account blocked or unpaid */
	CRM_FAIL_INVALID_INPUT,		/* the API refused what was sent */
	CRM_FAIL_RATE_LIMITED,
	CRM_FAIL_TRANSIENT,			/* the server failed; another try may do */
	CRM_FAIL_MISSING,			/* no such endpoint or method */
	CRM_FAIL_BAD_ANSWER			/* an answer crm_fdw cannot read */
} CrmFailure;

typedef struct CrmAnswer
{
	/* what came back */
	long		status;
	const char *content_type;
	const char *body;
	size_t		body_len;
	json_t	   *json;			/* the decoded body; NULL if none or not JSON */
	bool		is_item;		/* for one item, or a parent's: 404 is no rows */

	/* the provider's verdict */
	CrmAnswerKind kind;
	CrmFailure	failure;
	const char *vendor_code;	/* the vendor's own code, for DETAIL */
	const char *vendor_message; /* the vendor's own words, for DETAIL */
	const char *vendor_hint;	/* what the provider knows this failure means */
	bool		refused;		/* the API certainly did nothing (as a 4xx
								 * says; a provider may know it otherwise) */
	List	   *failed_items;	/* a refused batch: positions of the culprits */
	bool		transport_failed;	/* no complete answer came */
	bool		maybe_sent;		/* ... after the request had left */
	const char *transport_error;
} CrmAnswer;

/* What an item of a write's answer says of its row. */
typedef enum CrmItemVerdict
{
	CRM_ITEM_WRITTEN,
	CRM_ITEM_REFUSED,
	CRM_ITEM_UNKNOWN
} CrmItemVerdict;

/* An option a provider adds to the generic ones, and where it goes. */
typedef enum CrmOptionPlace
{
	CRM_OPTION_SERVER,
	CRM_OPTION_USER_MAPPING
} CrmOptionPlace;

typedef enum CrmOptionKind
{
	CRM_OPTKIND_SECRET,			/* a credential: never shown, user mappings only */
	CRM_OPTKIND_TEXT,
	CRM_OPTKIND_TIME_ZONE		/* the zone of the server's naive times */
} CrmOptionKind;

typedef struct CrmProviderOption
{
	const char *name;
	CrmOptionPlace place;
	CrmOptionKind kind;
} CrmProviderOption;

/*
 * A request whose answer says whether the account applies the entities'
 * account_feature filters; read once per connection.
 */
typedef struct CrmFiltersProbe
{
	const char *path;
	const char *enabled_path;	/* a boolean in the answer */
	const char *setting;		/* the account setting, for messages */
} CrmFiltersProbe;

typedef struct CrmProvider
{
	const char *name;			/* server option provider = ... */
	const char *display_name;	/* for messages */
	const CrmEntity *entities;	/* terminated by a NULL name */
	const CrmProviderOption *options;	/* terminated by a NULL name */
	const char *credential_hint;	/* what a user mapping needs */
	const char *time_zone;		/* zone of naive times, unless an option says */
	const char *url_example;	/* an account's base URL, for hints */
	const char *const *api_paths;	/* path prefixes crm_fdw appends to url */
	bool		params_in_body; /* parameters travel in a JSON body */
	const char *default_method; /* of reads; NULL: GET */
	double		requests_per_second;	/* default rate limit; 0: none */
	const CrmFiltersProbe *filters_probe;

	/*
	 * What the API stores faithfully, so that a value it would mangle is
	 * refused before it is sent: characters of at most this many UTF-8
	 * bytes (3: a MySQL "utf8" column), and naive times within these
	 * years.  0: no bound.
	 */
	int			max_char_bytes;
	int			min_year;
	int			max_year;

	/*
	 * The API stores what it is sent otherwise than sent (SalesMan cleans
	 * text and reorders company titles) and its answers do not say how:
	 * RETURNING reads every row it returns back.
	 */
	bool		rewrites_values;

	/*
	 * Checks the user mapping's options and appends "Header: value" strings
	 * to *headers.  Raises an ERROR if the credentials are incomplete.
	 */
	void		(*auth_headers) (List *options, List **headers);

	/*
	 * Judges an answer (status, body, decoded JSON): sets kind, and for a
	 * failure its class and the vendor's code and words.  NULL: by HTTP
	 * status alone.
	 */
	void		(*classify) (const CrmEntity *entity, CrmAnswer *answer);

	/*
	 * Undoes, in place, what the API does to an item on the way out (HTML
	 * line breaks added to text, placeholders for "none").  NULL: as is.
	 */
	void		(*shape_read) (const CrmEntity *entity, json_t *item);

	/*
	 * Reshapes one written item to the API's taste, in place: body holds
	 * the written columns as the generic conversion made them.  NULL: as is.
	 */
	void		(*shape_write) (const CrmEntity *entity, CmdType operation,
								json_t *body);

	/*
	 * What an item of a write's answer says of its row: written, refused
	 * (certainly not written), or failed in a way that leaves it open;
	 * *message set for the latter two.  NULL: an object is written.
	 */
	CrmItemVerdict (*item_written) (const CrmEntity *entity, CmdType operation,
									json_t *item, const char **message);
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
extern const CrmColumn *crm_find_column_by_field(const CrmEntity *entity,
												 const char *field);
extern const char *crm_column_name_of(const CrmEntity *entity,
									  const char *field);
extern json_t *crm_json_path(json_t *value, const char *path);
extern char *crm_json_path_which(json_t *value, const char *path);
extern void crm_failure_from_status(CrmAnswer *answer);
extern const char *crm_json_string_at(json_t *value, const char *path);

extern const CrmProvider crm_pipedrive_provider;
extern const CrmProvider crm_amocrm_provider;
extern const CrmProvider crm_salesman_provider;

#endif							/* CRM_PROVIDER_H */
