/*-------------------------------------------------------------------------
 *
 * crm_json.h
 *		Includes jansson next to PostgreSQL's headers.
 *
 * PostgreSQL has an SQL function json_object(), declared in fmgrprotos.h
 * and exported by the postgres executable; jansson has a json_object() of
 * its own.  The declaration is hidden under another name here, and, worse,
 * the dynamic linker binds a call from this library to the executable's
 * symbol, not jansson's: calling json_object() would crash the backend.
 * So it is poisoned, and crm_json_object() makes empty objects instead
 * (json_pack() calls jansson's own from inside the library).  Every file
 * includes this header instead of jansson.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_JSON_H
#define CRM_JSON_H

#define json_object pg_sql_json_object
#include "utils/fmgrprotos.h"
#undef json_object

#include <jansson.h>

static inline json_t *
crm_json_object(void)
{
	return json_pack("{}");
}

#pragma GCC poison json_object

#endif							/* CRM_JSON_H */
