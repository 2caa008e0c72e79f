/*-------------------------------------------------------------------------
 *
 * crm_json.h
 *		Includes jansson next to PostgreSQL's headers.
 *
 * Both jansson.h and PostgreSQL's fmgrprotos.h declare json_object(); the
 * PostgreSQL one (an SQL function) is hidden under another name here, and
 * every file includes this header instead of jansson.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_JSON_H
#define CRM_JSON_H

#define json_object pg_sql_json_object
#include "utils/fmgrprotos.h"
#undef json_object

#include <jansson.h>

#endif							/* CRM_JSON_H */
