/*-------------------------------------------------------------------------
 *
 * option.h
 *		Options of servers, user mappings, foreign tables and columns.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_OPTION_H
#define CRM_OPTION_H

#include "postgres.h"

#include "foreign/foreign.h"
#include "utils/relcache.h"

#include "http.h"
#include "provider.h"

typedef struct CrmServerOptions
{
	const CrmProvider *provider;
	char	   *url;			/* without a trailing slash */
	CrmHttpSettings http;
	int			page_size;		/* 0: each entity's vendor maximum */
	bool		use_remote_estimate;	/* ask the API while planning */
	int			batch_size;		/* rows a write request carries; 0: vendor's */
	const char *time_zone;		/* of the API's naive times and dates */
} CrmServerOptions;

typedef struct CrmTableOptions
{
	const CrmEntity *entity;
	double		rows;			/* rows of the entity; < 0: the default */
	bool		use_remote_estimate;	/* the table's, else the server's */
	bool		strict_columns; /* every column must be a declared field */
	int			batch_size;		/* the table's, else the server's; 0: vendor's */
} CrmTableOptions;

extern void crm_server_options(ForeignServer *server, CrmServerOptions *options);
extern void crm_table_options(ForeignTable *table,
							  const CrmServerOptions *server,
							  bool missing_ok, CrmTableOptions *options);
extern char *crm_column_field(Oid relid, AttrNumber attnum,
							  const CrmEntity *entity);
extern void crm_check_columns(Relation rel, const CrmProvider *provider,
							  const CrmEntity *entity,
							  const CrmTableOptions *options);
extern int	crm_page_size(const CrmServerOptions *server, const CrmEntity *entity);

#endif							/* CRM_OPTION_H */
