/*-------------------------------------------------------------------------
 *
 * json_datum.h
 *		JSON values to and from Datums of any column type.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_JSON_DATUM_H
#define CRM_JSON_DATUM_H

#include "postgres.h"

#include "crm_json.h"

#include "access/attnum.h"
#include "pgtime.h"

#include "provider.h"
#include "rowset.h"
#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/relcache.h"

typedef enum CrmConvKind
{
	CRM_CONV_TEXTUAL,			/* input function of the text form */
	CRM_CONV_STRINGY,			/* text-like: "" is a value, not NULL */
	CRM_CONV_JSON,				/* json/jsonb: the JSON text itself */
	CRM_CONV_TIMESTAMPTZ,		/* zone-less times get the API's zone */
	CRM_CONV_ARRAY				/* JSON array to SQL array */
} CrmConvKind;

/* How one column reads its value out of a JSON row. */
typedef struct CrmColumnConv
{
	AttrNumber	attnum;
	const char *relname;
	const char *attname;
	const char *field;			/* the field as the column names it */
	char	  **path;			/* JSON keys (or array indexes) to follow */
	int			path_len;
	int			up;				/* levels above an unnested row ("^") */
	CrmValueFormat wire;		/* how the answer spells the value */
	const char *time_zone;		/* of naive times and of wall-clock columns */
	Oid			typid;
	int32		typmod;
	CrmConvKind kind;
	FmgrInfo	input;
	Oid			ioparam;
	/* arrays: the element type */
	CrmConvKind elem_kind;
	Oid			elem_typid;
} CrmColumnConv;

extern void crm_conv_init(CrmColumnConv *conv, Relation rel, AttrNumber attnum,
						  const char *field, CrmValueFormat wire,
						  const char *time_zone);
extern json_t *crm_json_lookup(const CrmRow *row, const CrmColumnConv *conv);
extern Datum crm_json_to_datum(const CrmColumnConv *conv, json_t *value,
							   bool *isnull);
extern const char *crm_json_type_name(json_t *value);
extern const char *crm_json_a_type_name(json_t *value);
extern char *crm_json_text(json_t *value);
extern void crm_json_set_path(json_t *object, const char *path, json_t *value);
extern bool crm_json_same_scalar(json_t *a, json_t *b);
extern void crm_array_elements(Datum value, Datum **elems, bool **nulls, int *n);
extern char *crm_from_utf8(const char *text);
extern char *crm_to_utf8(const char *text);
extern char *crm_utf8_for_message(const char *text);
extern int	crm_wall_to_instant(Timestamp wall, pg_tz *tz, TimestampTz *instant);
extern int	crm_instant_to_wall(TimestampTz instant, pg_tz *tz, Timestamp *wall);
extern json_t *crm_datum_to_json(Datum value, Oid typid, bool isnull,
								 const char *attname, CrmValueFormat wire,
								 const char *time_zone);

#endif							/* CRM_JSON_DATUM_H */
