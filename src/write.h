/*-------------------------------------------------------------------------
 *
 * write.h
 *		Rows written through an entity's declared routes: requests made,
 *		sent once, and every row's outcome judged honestly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_WRITE_H
#define CRM_WRITE_H

#include "postgres.h"

#include "crm_json.h"

#include "nodes/nodes.h"

#include "json_datum.h"
#include "request.h"

/* What became of a row. */
typedef enum CrmRowOutcome
{
	CRM_ROW_PENDING = 0,
	CRM_ROW_WRITTEN,			/* the API says so */
	CRM_ROW_VANISHED,			/* its item was gone before the write */
	CRM_ROW_REFUSED				/* the API said no to it, and did nothing */
} CrmRowOutcome;

/* One row to write. */
typedef struct CrmWriteRow
{
	int64		number;			/* in the statement, from 1 */
	char	   *key;			/* UPDATE, DELETE: the item */
	json_t	   *values;			/* the columns written, as converted */
	json_t	   *current;		/* routes' carry fields, from the row as it is */
	json_t	   *answer;			/* the item the API answered with, if any */
	CrmRowOutcome outcome;
	bool		counted;		/* among the rows written, once */
} CrmWriteRow;

/*
 * The state of one statement's writes to one foreign table, whichever way
 * they come (row by row, in batches, or directly by key).
 */
typedef struct CrmWriter
{
	CrmTarget	target;
	const CrmEntity *entity;
	CmdType		operation;
	const char *relname;
	CrmCounters counters;
	int64		rows_written;
	StringInfoData written_ids; /* the first few, for messages */
	bool		reported;		/* an error's context named them already */
	bool		ended;			/* the statement's writes ended well */
	MemoryContextCallback gone; /* runs when the statement's memory goes */

	/* what is being written now, for the error context */
	CrmWriteRow *current;
	int			ncurrent;
	bool		in_flight;		/* a request that changes data is out */
	ErrorContextCallback errcallback;
} CrmWriter;

extern void crm_writer_init(CrmWriter *writer, ForeignServer *server,
							const CrmEntity *entity, CmdType operation,
							const char *relname);
extern void crm_writer_watch(CrmWriter *writer, MemoryContext statement_cxt);
extern void crm_writer_finish(CrmWriter *writer);
extern void crm_writer_push_context(CrmWriter *writer);
extern void crm_writer_pop_context(CrmWriter *writer);
/* Which route writes which of a row's fields. */
typedef struct CrmRoutePart
{
	const CrmWriteRoute *route;
	List	   *fields;			/* char *: the JSON fields it writes */
} CrmRoutePart;

extern List *crm_route_parts(const CrmEntity *entity, CmdType operation,
							 List *fields);
extern int	crm_write_batch_size(const CrmWriteRoute *route, int option);
extern const CrmWriteRoute *crm_batch_route(const CrmEntity *entity,
											const CrmWriteRoute *route);
extern const char *crm_written_name(const CrmEntity *entity, const char *field);
extern const CrmColumn *crm_written_column(const CrmEntity *entity,
										   const char *written);
extern void crm_written_value(CrmWriter *writer, json_t *values,
							  const char *written, Datum value, Oid typid,
							  bool isnull, const char *attname);
extern void crm_write_rows(CrmWriter *writer, const CrmWriteRoute *route,
						   CrmWriteRow *rows, int nrows, int batch_size);
extern void crm_write_parts(CrmWriter *writer, List *parts, CrmWriteRow *rows,
							int nrows, int batch_size);
extern void crm_complete_returning(CrmWriter *writer, List *parts,
								   CrmWriteRow *rows, int nrows,
								   CrmColumnConv *convs, int nconvs);
extern json_t *crm_read_back(CrmWriter *writer, List *keys,
							  json_t *path_values, bool listing);
extern char *crm_write_route_text(const CrmWriteRoute *route,
								  const CrmEntity *entity, int batch_size);
extern uint32 crm_entity_writes(const CrmEntity *entity);

#endif							/* CRM_WRITE_H */
