/*-------------------------------------------------------------------------
 *
 * option.c
 *		Which options exist where, validation at CREATE and ALTER time,
 *		and typed access to them at plan and run time.
 *
 * Secrets (tokens, keys) are accepted on user mappings only, and no message
 * from this file ever repeats an option's value when the option is secret.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include <math.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/varlena.h"
#include "pgtime.h"

#include "option.h"

#define DEFAULT_CONNECT_TIMEOUT_S	10
#define DEFAULT_REQUEST_TIMEOUT_S	30
#define DEFAULT_MAX_RETRIES			2

typedef struct CrmOption
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
	bool		secret;
	const CrmProvider *provider;	/* NULL: every provider's */
	CrmOptionKind kind;			/* a provider's option: what it holds */
} CrmOption;

/* The options every provider has; providers declare more (credentials). */
static const CrmOption generic_options[] = {
	{"provider", ForeignServerRelationId},
	{"url", ForeignServerRelationId},
	{"connect_timeout", ForeignServerRelationId},
	{"request_timeout", ForeignServerRelationId},
	{"max_retries", ForeignServerRelationId},
	{"requests_per_second", ForeignServerRelationId},
	{"page_size", ForeignServerRelationId},
	{"batch_size", ForeignServerRelationId},
	{"use_remote_estimate", ForeignServerRelationId},
	{"entity", ForeignTableRelationId},
	{"rows", ForeignTableRelationId},
	{"use_remote_estimate", ForeignTableRelationId},
	{"strict_columns", ForeignTableRelationId},
	{"batch_size", ForeignTableRelationId},
	{"field", AttributeRelationId},
	{NULL}
};

static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "a server";
		case UserMappingRelationId:
			return "a user mapping";
		case ForeignTableRelationId:
			return "a foreign table";
		case AttributeRelationId:
			return "a column";
		default:
			return "this object";
	}
}

static Oid
place_catalog(CrmOptionPlace place)
{
	return place == CRM_OPTION_SERVER ? ForeignServerRelationId : UserMappingRelationId;
}

/*
 * Every option there is: the generic ones, then each provider's.  Returns
 * false past the last; *option is a copy, valid until the next call.
 */
static bool
option_at(int index, CrmOption *option)
{
	int			n = 0;

	for (const CrmOption *o = generic_options; o->name; o++)
		if (n++ == index)
		{
			*option = *o;
			return true;
		}
	for (int i = 0; crm_provider_at(i); i++)
	{
		const CrmProvider *p = crm_provider_at(i);

		for (const CrmProviderOption *o = p->options; o && o->name; o++)
			if (n++ == index)
			{
				option->name = o->name;
				option->context = place_catalog(o->place);
				option->secret = (o->kind == CRM_OPTKIND_SECRET);
				option->provider = p;
				option->kind = o->kind;
				return true;
			}
	}
	return false;
}

/*
 * The option of that name for this catalog (and this provider, if known),
 * else any of that name; false if there is none.
 */
static bool
find_option(const char *name, Oid context, const CrmProvider *provider,
			CrmOption *found)
{
	CrmOption	o;
	bool		any = false;

	for (int i = 0; option_at(i, &o); i++)
	{
		if (strcmp(o.name, name) != 0)
			continue;
		if (o.context == context &&
			(o.provider == NULL || provider == NULL || o.provider == provider))
		{
			*found = o;
			return true;
		}
		if (!any)
			*found = o;
		any = true;
	}
	return any;
}

static bool
listed_before(int index, const CrmOption *option, Oid context,
			  const CrmProvider *provider)
{
	CrmOption	o;

	for (int i = 0; i < index && option_at(i, &o); i++)
		if (o.context == context && strcmp(o.name, option->name) == 0 &&
			(o.provider == NULL || provider == NULL || o.provider == provider))
			return true;
	return false;
}

static char *
options_for(Oid context, const CrmProvider *provider)
{
	StringInfoData buf;
	CrmOption	o;

	initStringInfo(&buf);
	for (int i = 0; option_at(i, &o); i++)
	{
		if (o.context != context ||
			(o.provider && provider && o.provider != provider))
			continue;
		/* each name once, though several providers may declare it */
		if (!listed_before(i, &o, context, provider))
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", o.name);
	}
	return buf.len ? buf.data : "(none)";
}

static double
parse_rows(DefElem *def)
{
	const char *value = defGetString(def);
	char	   *end;
	double		rows;

	errno = 0;
	rows = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || isnan(rows) ||
		rows < 0 || rows > 1e12)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"rows\": \"%s\"", value),
				 errhint("Give the number of rows the entity holds, such as 25000.")));
	return rows;
}

static bool
parse_bool_option(DefElem *def)
{
	bool		result;

	if (!parse_bool(defGetString(def), &result))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, defGetString(def)),
				 errhint("Give true or false.")));
	return result;
}

/* A rate: requests per second, fractions allowed; 0 turns the limit off. */
static double
parse_rate(DefElem *def)
{
	const char *value = defGetString(def);
	char	   *end;
	double		rate;

	errno = 0;
	rate = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || isnan(rate) ||
		rate < 0 || rate > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, value),
				 errhint("Give the most requests a second this session may send, such as 7 or 0.5; 0 sends without a limit.")));
	return rate;
}

/* A time zone PostgreSQL knows, such as Europe/Moscow or UTC. */
static const char *
parse_time_zone(DefElem *def)
{
	const char *value = defGetString(def);

	if (*value == '\0' || pg_tzset(value) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, value),
				 errhint("Give the account's time zone by name, such as Europe/Moscow or UTC (see pg_timezone_names).")));
	return value;
}

/* Seconds, fractions allowed, as milliseconds. */
static long
parse_seconds(DefElem *def)
{
	const char *value = defGetString(def);
	char	   *end;
	double		seconds;

	errno = 0;
	seconds = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || isnan(seconds) ||
		seconds <= 0 || seconds > 86400)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, value),
				 errhint("Give a number of seconds greater than 0, such as 10 or 2.5.")));
	return Max((long) (seconds * 1000), 1);
}

static int
parse_int_option(DefElem *def, int min, int max, const char *hint)
{
	const char *value = defGetString(def);
	char	   *end;
	long		n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || n < min || n > max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, value),
				 errhint("%s", hint)));
	return (int) n;
}

static const CrmProvider *
parse_provider(DefElem *def)
{
	const CrmProvider *provider = crm_find_provider(defGetString(def));

	if (provider == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("unknown CRM provider \"%s\"", defGetString(def)),
				 errhint("Valid providers are: %s.", crm_provider_names())));
	return provider;
}

/* The provider whose API path a URL already names, if any. */
static const CrmProvider *
url_names_api_path(const char *path, const char **api_path)
{
	for (int i = 0; crm_provider_at(i); i++)
	{
		const CrmProvider *p = crm_provider_at(i);

		for (const char *const *a = p->api_paths; a && *a; a++)
		{
			const char *hit = strstr(path, *a);
			size_t		len = strlen(*a);

			while (hit)
			{
				if (hit[len] == '\0' || hit[len] == '/')
				{
					*api_path = *a;
					return p;
				}
				hit = strstr(hit + 1, *a);
			}
		}
	}
	return NULL;
}

/*
 * The account's base URL.  Credentials never travel in a URL, and the FDW
 * owns the path and query that follow it.  provider may be NULL when the
 * option list names none (the validator then reports that instead).
 */
static char *
parse_url(DefElem *def, const CrmProvider *provider)
{
	char	   *url = pstrdup(defGetString(def));
	const char *example = provider ? provider->url_example : "https://acme.example.com";
	const char *authority;
	const char *path;
	const char *port;
	const char *api_path;
	const CrmProvider *api_owner;
	size_t		len;

	if (strncmp(url, "https://", 8) == 0)
		authority = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		authority = url + 7;
	else
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"url\": \"%s\"", url),
				 errhint("Give the account's base URL, such as %s.", example)));

	if (*authority == '\0' || *authority == '/' || *authority == ':')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"url\" has no host name"),
				 errhint("Give the account's base URL, such as %s.", example)));
	if (memchr(authority, '@', strcspn(authority, "/")) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"url\" must not contain credentials"),
				 errhint("Put credentials in a user mapping: CREATE USER MAPPING FOR ... SERVER ... OPTIONS (...).")));
	if (strpbrk(url, "?#"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"url\" must not contain a query string or fragment"),
				 errhint("Give only the base URL; crm_fdw appends the API paths and parameters.")));
	for (const char *p = url; *p; p++)
		if ((unsigned char) *p <= ' ' || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("option \"url\" must not contain spaces or control characters")));

	/* a port, after the host (or after an IPv6 literal's "]") */
	path = authority + strcspn(authority, "/");
	port = authority;
	if (*authority == '[')
		port = memchr(authority, ']', path - authority);
	port = port ? memchr(port, ':', path - port) : NULL;
	if (port)
	{
		char	   *digits = pnstrdup(port + 1, path - port - 1);
		long		n = 0;

		if (*digits == '\0' || strspn(digits, "0123456789") != strlen(digits) ||
			strlen(digits) > 5 || (n = strtol(digits, NULL, 10)) < 1 || n > 65535)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid port \"%s\" in option \"url\"", digits),
					 errhint("A port is a number from 1 to 65535; leave it out for the scheme's default.")));
	}

	api_owner = url_names_api_path(path, &api_path);
	if (api_owner)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"url\" must be the account's base URL, not an API path: \"%s\"",
						url),
				 errdetail("crm_fdw appends %s's API path, %s/..., itself.",
						   api_owner->display_name, api_path),
				 errhint("Give the URL without \"%s\" and what follows, such as %s.",
						 api_path, (provider ? provider : api_owner)->url_example)));

	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	return url;
}

static void
check_secret(DefElem *def)
{
	const char *value = defGetString(def);

	if (*value == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"%s\" must not be empty", def->defname)));
	/* it becomes an HTTP header: no line breaks, no header injection */
	for (const char *p = value; *p; p++)
		if ((unsigned char) *p < ' ' || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("option \"%s\" contains a control character",
							def->defname),
					 errhint("Copy the token again without line breaks.")));
}

static void
check_field(DefElem *def)
{
	const char *value = defGetString(def);
	size_t		len = strlen(value);

	if (len == 0 || value[0] == '.' || value[len - 1] == '.' ||
		strstr(value, "..") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"field\": \"%s\"", value),
				 errhint("Give a JSON key, or a dotted path of keys such as \"creator_user_id.name\"; a number selects an array element.")));
}

static int
max_page_size(const CrmProvider *provider)
{
	int			max = 0;

	for (const CrmEntity *e = provider->entities; e->name; e++)
		if (e->paging && e->paging->size_param)
			max = Max(max, e->paging->max_size);
	return max;
}

/*
 * Values are taken as written: " 100" or "deals " is a copy-and-paste slip
 * that would otherwise surface only at the first query, or never.
 */
static void
check_no_stray_spaces(DefElem *def, bool secret)
{
	const char *value = defGetString(def);
	size_t		len = strlen(value);

	if (len > 0 && (isspace((unsigned char) value[0]) ||
					isspace((unsigned char) value[len - 1])))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 secret ?
				 errmsg("option \"%s\" begins or ends with white space",
						def->defname) :
				 errmsg("option \"%s\" begins or ends with white space: \"%s\"",
						def->defname, value),
				 errhint("Give the value without the leading or trailing spaces.")));
}

PG_FUNCTION_INFO_V1(crm_fdw_validator);

Datum
crm_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	const CrmProvider *provider = NULL;
	DefElem    *url = NULL;
	DefElem    *page_size = NULL;
	ListCell   *lc;

	/* a server's provider decides which options it takes */
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (catalog == ForeignServerRelationId &&
			strcmp(def->defname, "provider") == 0)
		{
			check_no_stray_spaces(def, false);
			provider = parse_provider(def);
		}
	}

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		CrmOption	option;

		if (!find_option(def->defname, catalog, provider, &option))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 errhint("Valid options on %s are: %s.",
							 context_name(catalog), options_for(catalog, provider))));
		if (option.context != catalog)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" belongs on %s, not on %s",
							def->defname, context_name(option.context),
							context_name(catalog)),
					 option.secret ?
					 errhint("Credentials are accepted on user mappings only: CREATE USER MAPPING FOR ... SERVER ... OPTIONS (%s '...').",
							 def->defname) :
					 errhint("Valid options on %s are: %s.",
							 context_name(catalog), options_for(catalog, provider))));
		if (option.provider && provider && option.provider != provider)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" is not a %s option",
							def->defname, provider->display_name),
					 errhint("Valid options on a %s server are: %s.",
							 provider->display_name,
							 options_for(catalog, provider))));
		check_no_stray_spaces(def, option.secret);

		if (strcmp(def->defname, "url") == 0)
			url = def;
		else if (strcmp(def->defname, "connect_timeout") == 0 ||
				 strcmp(def->defname, "request_timeout") == 0)
			(void) parse_seconds(def);
		else if (strcmp(def->defname, "max_retries") == 0)
			(void) parse_int_option(def, 0, 10,
									"Give a whole number from 0 to 10.");
		else if (strcmp(def->defname, "requests_per_second") == 0)
			(void) parse_rate(def);
		else if (strcmp(def->defname, "batch_size") == 0)
			(void) parse_int_option(def, 1, 10000,
									"Give the most rows one write request may carry, such as 50; the API's own bound still applies.");
		else if (strcmp(def->defname, "page_size") == 0)
			page_size = def;
		else if (option.provider && option.kind == CRM_OPTKIND_TIME_ZONE)
			(void) parse_time_zone(def);
		else if (option.secret)
			check_secret(def);
		else if (strcmp(def->defname, "entity") == 0)
		{
			if (*defGetString(def) == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"entity\" must not be empty")));
		}
		else if (strcmp(def->defname, "field") == 0)
			check_field(def);
		else if (strcmp(def->defname, "rows") == 0)
			(void) parse_rows(def);
		else if (strcmp(def->defname, "use_remote_estimate") == 0 ||
				 strcmp(def->defname, "strict_columns") == 0)
			(void) parse_bool_option(def);
	}

	if (catalog == ForeignServerRelationId)
	{
		if (provider == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("a crm_fdw server needs the option \"provider\""),
					 errhint("Add OPTIONS (provider '...', url '...'); valid providers are: %s.",
							 crm_provider_names())));
		if (url == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("a crm_fdw server needs the option \"url\""),
					 errhint("Give the account's base URL, such as url '%s'.",
							 provider->url_example)));
		(void) parse_url(url, provider);
		if (page_size)
		{
			int			max = max_page_size(provider);

			(void) parse_int_option(page_size, 1, max,
									psprintf("%s returns at most %d rows per page.",
											 provider->display_name, max));
		}
	}

	PG_RETURN_VOID();
}

void
crm_server_options(ForeignServer *server, CrmServerOptions *options)
{
	DefElem    *url = NULL;
	ListCell   *lc;

	memset(options, 0, sizeof(*options));
	options->http.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_S * 1000L;
	options->http.request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_S * 1000L;
	options->http.max_retries = DEFAULT_MAX_RETRIES;
	options->http.requests_per_second = -1;

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "provider") == 0)
			options->provider = parse_provider(def);
		else if (strcmp(def->defname, "requests_per_second") == 0)
			options->http.requests_per_second = parse_rate(def);
		else if (strcmp(def->defname, "url") == 0)
			url = def;
		else if (strcmp(def->defname, "connect_timeout") == 0)
			options->http.connect_timeout_ms = parse_seconds(def);
		else if (strcmp(def->defname, "request_timeout") == 0)
			options->http.request_timeout_ms = parse_seconds(def);
		else if (strcmp(def->defname, "max_retries") == 0)
			options->http.max_retries = parse_int_option(def, 0, 10, "");
		else if (strcmp(def->defname, "page_size") == 0)
			options->page_size = parse_int_option(def, 1, INT_MAX, "");
		else if (strcmp(def->defname, "use_remote_estimate") == 0)
			options->use_remote_estimate = parse_bool_option(def);
		else if (strcmp(def->defname, "batch_size") == 0)
			options->batch_size = parse_int_option(def, 1, 10000, "");
	}

	if (url && options->provider)
		options->url = parse_url(url, options->provider);
	if (options->provider)
	{
		if (options->http.requests_per_second < 0)
			options->http.requests_per_second = options->provider->requests_per_second;
		options->time_zone = options->provider->time_zone;
		/* the provider's zone option, if it has one and it is set */
		foreach(lc, server->options)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			for (const CrmProviderOption *o = options->provider->options;
				 o && o->name; o++)
				if (o->kind == CRM_OPTKIND_TIME_ZONE &&
					strcmp(o->name, def->defname) == 0)
					options->time_zone = parse_time_zone(def);
		}
	}

	/* the validator makes these impossible, unless it was bypassed */
	if (options->provider == NULL || options->url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" lacks the option \"%s\"", server->servername,
						options->provider == NULL ? "provider" : "url")));
}

void
crm_table_options(ForeignTable *table, const CrmServerOptions *server,
				  bool missing_ok, CrmTableOptions *options)
{
	const CrmProvider *provider = server->provider;
	const char *entity_name = NULL;
	bool		named_by_option;
	ListCell   *lc;

	memset(options, 0, sizeof(*options));
	options->rows = -1;
	options->use_remote_estimate = server->use_remote_estimate;
	options->strict_columns = true;
	options->batch_size = server->batch_size;
	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "entity") == 0)
			entity_name = defGetString(def);
		else if (strcmp(def->defname, "rows") == 0)
			options->rows = parse_rows(def);
		else if (strcmp(def->defname, "use_remote_estimate") == 0)
			options->use_remote_estimate = parse_bool_option(def);
		else if (strcmp(def->defname, "strict_columns") == 0)
			options->strict_columns = parse_bool_option(def);
		else if (strcmp(def->defname, "batch_size") == 0)
			options->batch_size = parse_int_option(def, 1, 10000, "");
	}
	named_by_option = (entity_name != NULL);
	if (!named_by_option)
		entity_name = get_rel_name(table->relid);

	options->entity = crm_find_entity(provider, entity_name);
	if (options->entity == NULL && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
				 errmsg("%s has no entity \"%s\"", provider->display_name,
						entity_name),
				 errdetail("Foreign table \"%s\" takes its entity from %s.",
						   get_rel_name(table->relid),
						   named_by_option ? "its option \"entity\"" : "its name"),
				 errhint("Valid entities are: %s.", crm_entity_names(provider))));
}

/*
 * The JSON path a column reads: its option "field", else the entity's own
 * mapping for a column of that name, else the column's name.
 */
char *
crm_column_field(Oid relid, AttrNumber attnum, const CrmEntity *entity)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	char	   *attname = get_attname(relid, attnum, false);
	const CrmColumn *column;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			return defGetString(def);
	}
	column = crm_find_column(entity, attname);
	if (column && column->field)
		return pstrdup(column->field);
	return attname;
}

/* The declared column whose name is closest to name, if any is close. */
static const char *
closest_column(const CrmEntity *entity, const char *name)
{
	const char *best = NULL;
	int			best_distance = Max(2, (int) strlen(name) / 3) + 1;

	for (const CrmColumn *c = entity->columns; c->name; c++)
	{
		int			d = varstr_levenshtein_less_equal(name, strlen(name),
													  c->name, strlen(c->name),
													  1, 1, 1, best_distance, true);

		if (d < best_distance)
		{
			best = c->name;
			best_distance = d;
		}
	}
	return best;
}

/*
 * Every column of a foreign table must read a field its entity declares,
 * or name one with OPTIONS (field ...): a misspelt column would otherwise
 * read NULL for ever.  strict_columns 'false' lets undeclared names through.
 */
void
crm_check_columns(Relation rel, const CrmProvider *provider,
				  const CrmEntity *entity, const CrmTableOptions *options)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (!options->strict_columns)
		return;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		const char *name = NameStr(attr->attname);
		const char *closest;
		bool		mapped = false;
		ListCell   *lc;

		if (attr->attisdropped || crm_find_column(entity, name))
			continue;
		foreach(lc, GetForeignColumnOptions(RelationGetRelid(rel), attr->attnum))
			if (strcmp(((DefElem *) lfirst(lc))->defname, "field") == 0)
				mapped = true;
		if (mapped)
			continue;

		closest = closest_column(entity, name);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("column \"%s\" of foreign table \"%s\" is not a field of %s %s",
						name, RelationGetRelationName(rel), provider->display_name,
						entity->name),
				 closest ?
				 errhint("Perhaps you meant \"%s\". A column may read another field with OPTIONS (field '...'), or any name with the table option strict_columns 'false'.",
						 closest) :
				 errhint("A column may read another field with OPTIONS (field '...'), or any name with the table option strict_columns 'false'.")));
	}
}

int
crm_page_size(const CrmServerOptions *server, const CrmEntity *entity)
{
	if (entity->paging == NULL)
		return 0;
	/* a size the server fixes is the size */
	if (entity->paging->size_param == NULL)
		return entity->paging->max_size;
	if (server->page_size > 0 && server->page_size < entity->paging->max_size)
		return server->page_size;
	return entity->paging->max_size;
}
