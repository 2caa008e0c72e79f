/*-------------------------------------------------------------------------
 *
 * answer.h
 *		An answer judged (rows, no rows, or a failure of a class), failures
 *		reported the same way for every provider, and the items a
 *		successful answer holds.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRM_ANSWER_H
#define CRM_ANSWER_H

#include "postgres.h"

#include "provider.h"
#include "request.h"

extern void crm_judge_answer(const CrmProvider *provider,
							 const CrmEntity *entity, CrmAnswer *answer);
extern void crm_report_failure(CrmTarget *target, const CrmRequest *request,
							   const CrmAnswer *answer) pg_attribute_noreturn();
extern json_t *crm_answer_items(CrmTarget *target, const CrmEntity *entity,
								const CrmRequest *request, CrmAnswer *answer,
								size_t *listed);
extern char *crm_answer_excerpt(CrmTarget *target, const char *body, size_t len);

#endif							/* CRM_ANSWER_H */
