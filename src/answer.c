/*-------------------------------------------------------------------------
 *
 * answer.c
 *		Judges an answer through its provider (rows, no rows, or a failure
 *		of a class), reports every class of failure the same way for every
 *		provider, and finds a successful answer's items where its entity
 *		declares them.
 *
 * A failure's message says what happened in PostgreSQL's words, DETAIL
 * carries the vendor's own code and words, HINT what to check, CONTEXT the
 * request.  Messages never name the host (it differs between the service
 * and a test emulator), and anything the vendor says passes through the
 * connection's redaction of its credentials first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "mb/pg_wchar.h"

#include "answer.h"
#include "compose.h"
#include "json_datum.h"

/* How much of an unexpected answer an error repeats. */
#define CRM_EXCERPT_MAX		80

/*
 * Decodes the body, if any, and asks the provider what the answer is; a
 * provider without a judgement of its own goes by the HTTP status.
 */
void
crm_judge_answer(const CrmProvider *provider, const CrmEntity *entity,
				 CrmAnswer *answer)
{
	json_error_t jerr;

	answer->json = answer->body_len > 0 ?
		json_loadb(answer->body, answer->body_len, JSON_DECODE_ANY, &jerr) : NULL;
	answer->kind = CRM_ANSWER_ROWS;
	answer->vendor_code = NULL;
	answer->vendor_message = NULL;
	if (provider->classify)
		provider->classify(entity, answer);
	else
		crm_failure_from_status(answer);
}

/* A printable, short, credential-free excerpt of an answer body. */
char *
crm_answer_excerpt(CrmTarget *target, const char *body, size_t len)
{
	/* redact before clipping, so no cut can leave part of a secret */
	char	   *text = crm_utf8_for_message(crm_http_redact(target->conn->http,
															pnstrdup(body, len)));
	int			cut;

	for (char *p = text; *p; p++)
		if ((unsigned char) *p < ' ')
			*p = ' ';
	if (strlen(text) > CRM_EXCERPT_MAX)
	{
		cut = pg_mbcliplen(text, strlen(text), CRM_EXCERPT_MAX);
		text[cut] = '\0';
		text = psprintf("%s...", text);
	}
	return text;
}

/*
 * jansson's reason, without the "near '...'" it quotes from the body: a
 * fragment of a secret there would escape redaction.
 */
static char *
decode_error_text(const json_error_t *jerr)
{
	char	   *text = pstrdup(jerr->text);
	char	   *near = strstr(text, " near ");

	if (near)
		*near = '\0';
	return text;
}

/* " (HTTP 401)" where the status says something; nothing for a 2xx. */
static char *
status_note(const CrmAnswer *answer)
{
	if (answer->status >= 200 && answer->status <= 299)
		return "";
	return psprintf(" (HTTP %ld)", answer->status);
}

/* The vendor's words and code, or what the body was instead. */
static int
failure_detail(CrmTarget *target, const CrmAnswer *answer)
{
	if (answer->vendor_message)
	{
		char	   *text = crm_utf8_for_message(crm_http_redact(target->conn->http,
																answer->vendor_message));

		if (answer->vendor_code)
			return errdetail("%s (%s error %s).", text,
							 target->provider->display_name,
							 crm_utf8_for_message(answer->vendor_code));
		return errdetail("%s", text);
	}
	if (answer->vendor_code)
		return errdetail("%s error %s.", target->provider->display_name,
						 crm_utf8_for_message(answer->vendor_code));
	if (answer->body_len == 0)
		return errdetail("The answer had no body.");
	if (answer->json == NULL && (answer->status < 200 || answer->status > 299))
		return errdetail("The answer was %s, not JSON: \"%s\".",
						 answer->content_type ? answer->content_type :
						 "of no stated type",
						 crm_answer_excerpt(target, answer->body, answer->body_len));
	if (answer->json == NULL)
	{
		json_error_t jerr;
		json_t	   *again = json_loadb(answer->body, answer->body_len,
									   JSON_DECODE_ANY, &jerr);

		/* decoded again only for jansson's reason: it fails as before */
		if (again)
			json_decref(again);
		return errdetail("%s at character %d of \"%s\" (%s).",
						 decode_error_text(&jerr), jerr.position,
						 crm_answer_excerpt(target, answer->body, answer->body_len),
						 answer->content_type ? answer->content_type :
						 "no content type");
	}
	return errdetail("The answer was \"%s\".",
					 crm_answer_excerpt(target, answer->body, answer->body_len));
}

/*
 * One SQLSTATE, message and hint per class of failure, whatever the
 * provider and however it said so (an HTTP status, an error inside a 200).
 */
void
crm_report_failure(CrmTarget *target, const CrmRequest *request,
				   const CrmAnswer *answer)
{
	const char *p = target->provider->display_name;
	const char *server = target->server_name;
	int			code;
	char	   *message;
	char	   *hint;

	switch (answer->failure)
	{
		case CRM_FAIL_AUTHENTICATION:
			code = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
			message = psprintf("%s did not accept the credentials%s", p,
							   status_note(answer));
			hint = psprintf("Check the user mapping's credentials (%s) for server \"%s\".",
							target->provider->credential_hint, server);
			break;
		case CRM_FAIL_FORBIDDEN:
			code = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
			message = psprintf("%s refused access%s", p, status_note(answer));
			hint = answer->status == 402 ?
				psprintf("The %s account is unpaid, or its plan does not include this.", p) :
				psprintf("The %s account may be blocked (often after too many requests), or the credentials lack permission for this, or a proxy in front of the API refused the request.", p);
			break;
		case CRM_FAIL_INVALID_INPUT:
			code = ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE;
			message = psprintf("%s refused the request as invalid%s", p,
							   status_note(answer));
			hint = psprintf("%s refused a value this statement sent (its reason is in DETAIL): check the conditions and the values written.", p);
			break;
		case CRM_FAIL_RATE_LIMITED:
			code = ERRCODE_FDW_ERROR;
			message = psprintf("%s's rate limit was exceeded%s", p, status_note(answer));
			hint = psprintf("Retry later, spend fewer requests per query, or lower the requests_per_second option of server \"%s\".",
							server);
			break;
		case CRM_FAIL_TRANSIENT:
			code = ERRCODE_FDW_ERROR;
			message = psprintf("%s failed to answer%s", p, status_note(answer));
			/* writes never come here: write.c judges their outcome */
			hint = psprintf("%s failed on its side; retrying later may help.", p);
			break;
		case CRM_FAIL_MISSING:
			code = ERRCODE_FDW_TABLE_NOT_FOUND;
			message = psprintf("%s has no such endpoint%s", p, status_note(answer));
			hint = psprintf("Check the url option of server \"%s\" and the entity of the foreign table.",
							server);
			break;
		case CRM_FAIL_BAD_ANSWER:
		default:
			code = ERRCODE_FDW_INVALID_STRING_FORMAT;
			if (answer->body_len == 0)
				message = psprintf("%s answered HTTP %ld with an empty body", p,
								   answer->status);
			else if (answer->json == NULL)
				message = psprintf("%s answered with a body that is not JSON", p);
			else
				message = psprintf("%s answered in a shape crm_fdw cannot read%s", p,
								   status_note(answer));
			hint = psprintf("A proxy or gateway in front of %s may have answered instead of the API; check the url option of server \"%s\".",
							p, server);
			break;
	}

	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", message),
			 failure_detail(target, answer),
			 errhint("%s", answer->vendor_hint ? answer->vendor_hint : hint),
			 errcontext("%s", crm_request_context(request))));
	pg_unreachable();
}

static void
bad_shape(CrmTarget *target, const CrmRequest *request, const char *path,
		  json_t *value, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("%s answered in a shape crm_fdw cannot read",
					target->provider->display_name),
			 path ?
			 errdetail("\"%s\" is %s, where %s belongs.", path,
					   value ? crm_json_a_type_name(value) : "absent", expected) :
			 errdetail("The answer is %s, where %s belongs.",
					   value ? crm_json_a_type_name(value) : "absent", expected),
			 errhint("The answer does not have the shape %s documents; check the url option of server \"%s\".",
					 target->provider->display_name, target->server_name),
			 errcontext("%s", crm_request_context(request))));
}

/* An item as the table sees it: what the API did to it on the way undone. */
static void
append_item(CrmTarget *target, const CrmEntity *entity, json_t *items, json_t *item)
{
	if (target->provider->shape_read && json_is_object(item))
		target->provider->shape_read(entity, item);
	json_array_append(items, item);
}

/* Whether the entity leaves this item out of the table. */
static bool
hidden(const CrmEntity *entity, json_t *item)
{
	return entity->hidden_when &&
		json_is_true(crm_json_path(item, entity->hidden_when));
}

/*
 * The items of a judged answer, as a new JSON array: a listing's at the
 * entity's rows_path, an item request's one item.  An answer of no rows,
 * and a listing whose items are null, hold none.  *listed is how many the
 * answer held, those the entity hides included: what paging counts.
 */
json_t *
crm_answer_items(CrmTarget *target, const CrmEntity *entity,
				 const CrmRequest *request, CrmAnswer *answer, size_t *listed)
{
	const char *path = request->is_item ? entity->item_rows_path : entity->rows_path;
	json_t	   *value;
	json_t	   *items = json_array();

	*listed = 0;
	if (answer->kind == CRM_ANSWER_NO_ROWS)
		return items;
	value = path ? crm_json_path(answer->json, path) : answer->json;
	if (value == NULL || json_is_null(value))
	{
		/* a listing may leave its items out when it has none */
		if (!request->is_item && path && json_is_object(answer->json))
			return items;
		if (request->is_item)
			return items;
		bad_shape(target, request, path, value, "an array of items");
	}

	if (entity->object_rows && json_is_object(value))
	{
		/* each member a row: {"key": its name, "value": its value} */
		const char *name;
		json_t	   *member;

		json_object_foreach(value, name, member)
		{
			json_t	   *row = crm_json_object();

			json_object_set_new(row, "key", json_string(name));
			json_object_set(row, "value", member);
			json_array_append_new(items, row);
		}
		*listed = json_array_size(items);
		return items;
	}
	if (json_is_object(value) && request->is_item)
	{
		*listed = 1;
		if (!hidden(entity, value))
			append_item(target, entity, items, value);
		return items;
	}
	if (!json_is_array(value))
		bad_shape(target, request, path, value,
				  request->is_item ? "an item" : "an array of items");
	*listed = json_array_size(value);
	for (size_t i = 0; i < json_array_size(value); i++)
	{
		json_t	   *item = json_array_get(value, i);

		if (!hidden(entity, item))
			append_item(target, entity, items, item);
	}
	return items;
}
