/*-------------------------------------------------------------------------
 *
 * pipedrive.c
 *		Pipedrive: its entities, their filters, and its envelopes.
 *
 * Entities are read from API v2 where Pipedrive serves v2 and from v1 where
 * only v1 exists (notes, users, activity types, currencies, files, filters,
 * deal flow).  Field names, filters and limits follow Pipedrive's OpenAPI
 * specs in ../shared/reference/pipedrive.
 *
 * This file never does I/O: it describes, spells requests and unwraps
 * answers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "commands/defrem.h"

#include "provider.h"

/* CrmEntity.flavor: which API generation, which envelope. */
#define PD_V1	1
#define PD_V2	2

#define PD_WRITES	(CRM_WRITE_INSERT | CRM_WRITE_UPDATE | CRM_WRITE_DELETE)

#define RO		CRM_COL_READONLY
#define KEY		(CRM_COL_KEY | CRM_COL_READONLY)

/* ---- deals (v2) ---- */

static const CrmColumn pd_deals_columns[] = {
	{"id", "bigint", KEY},
	{"title", "text", 0},
	{"owner_id", "bigint", 0},
	{"person_id", "bigint", 0},
	{"org_id", "bigint", 0},
	{"pipeline_id", "bigint", 0},
	{"stage_id", "bigint", 0},
	{"value", "numeric", 0},
	{"currency", "text", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"stage_change_time", "timestamptz", RO},
	{"is_deleted", "boolean", 0},
	{"is_archived", "boolean", 0},
	{"archive_time", "timestamptz", 0},
	{"status", "text", 0},
	{"probability", "numeric", 0},
	{"lost_reason", "text", 0},
	{"visible_to", "integer", 0},
	{"close_time", "timestamptz", 0},
	{"won_time", "timestamptz", 0},
	{"lost_time", "timestamptz", 0},
	{"expected_close_date", "date", 0},
	{"label_ids", "bigint[]", 0},
	{"origin", "text", RO},
	{"origin_id", "text", RO},
	{"channel", "integer", RO},
	{"channel_id", "text", RO},
	{"source_lead_id", "text", RO},
	{"arr", "numeric", RO},
	{"mrr", "numeric", RO},
	{"acv", "numeric", RO},
	{"custom_fields", "jsonb", 0},
	{NULL}
};

static const char *const pd_deal_statuses[] = {"open", "won", "lost", NULL};

/* v2 spells "updated since" inclusive and "updated until" exclusive. */
#define PD_UPDATE_TIME_FILTER \
	{"update_time", CRM_OP_LOWER | CRM_OP_UPPER, CRM_FMT_RFC3339, \
	 "updated_since", "updated_until", false}
#define PD_IDS_FILTER \
	{"id", CRM_OP_EQ | CRM_OP_IN, CRM_FMT_INTEGER, "ids", NULL, false, 100}
#define PD_EQ_FILTER(col) \
	{col, CRM_OP_EQ, CRM_FMT_INTEGER, col}

static const CrmFilter pd_deals_filters[] = {
	PD_IDS_FILTER,
	PD_EQ_FILTER("owner_id"),
	PD_EQ_FILTER("person_id"),
	PD_EQ_FILTER("org_id"),
	PD_EQ_FILTER("pipeline_id"),
	PD_EQ_FILTER("stage_id"),

	/*
	 * Without a status Pipedrive lists every deal that is not deleted, so
	 * the foreign table is that set; "deleted" can never match a row.
	 */
	{"status", CRM_OP_EQ | CRM_OP_IN, CRM_FMT_TEXT, "status", NULL, false, 0,
	false, false, pd_deal_statuses},
	PD_UPDATE_TIME_FILTER,
	{NULL}
};

/* ---- activities (v2) ---- */

static const CrmColumn pd_activities_columns[] = {
	{"id", "bigint", KEY},
	{"subject", "text", 0},
	{"type", "text", 0},
	{"owner_id", "bigint", 0},
	{"creator_user_id", "bigint", RO},
	{"is_deleted", "boolean", RO},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"deal_id", "bigint", 0},
	{"lead_id", "text", 0},
	{"person_id", "bigint", 0},
	{"org_id", "bigint", 0},
	{"project_id", "bigint", 0},
	{"due_date", "date", 0},
	{"due_time", "time", 0},
	{"duration", "interval", 0},
	{"busy", "boolean", 0},
	{"done", "boolean", 0},
	{"marked_as_done_time", "timestamptz", RO},
	{"location", "jsonb", 0},
	{"participants", "jsonb", 0},
	{"attendees", "jsonb", 0},
	{"conference_meeting_client", "text", RO},
	{"conference_meeting_url", "text", RO},
	{"conference_meeting_id", "text", RO},
	{"public_description", "text", 0},
	{"priority", "integer", 0},
	{"note", "text", 0},
	{NULL}
};

static const CrmFilter pd_activities_filters[] = {
	PD_IDS_FILTER,
	PD_EQ_FILTER("owner_id"),
	PD_EQ_FILTER("deal_id"),
	{"lead_id", CRM_OP_EQ, CRM_FMT_TEXT, "lead_id"},
	PD_EQ_FILTER("person_id"),
	PD_EQ_FILTER("org_id"),
	{"done", CRM_OP_EQ | CRM_OP_BOOL, CRM_FMT_BOOL, "done"},
	PD_UPDATE_TIME_FILTER,
	{NULL}
};

/* ---- persons (v2) ---- */

static const CrmColumn pd_persons_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"first_name", "text", 0},
	{"last_name", "text", 0},
	{"owner_id", "bigint", 0},
	{"org_id", "bigint", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"emails", "jsonb", 0},
	{"phones", "jsonb", 0},
	{"is_deleted", "boolean", RO},
	{"visible_to", "integer", 0},
	{"label_ids", "bigint[]", 0},
	{"picture_id", "bigint", RO},
	{"postal_address", "jsonb", 0},
	{"notes", "text", 0},
	{"im", "jsonb", 0},
	{"birthday", "date", 0},
	{"job_title", "text", 0},
	{"custom_fields", "jsonb", 0},
	{NULL}
};

static const CrmFilter pd_persons_filters[] = {
	PD_IDS_FILTER,
	PD_EQ_FILTER("owner_id"),
	PD_EQ_FILTER("org_id"),
	PD_UPDATE_TIME_FILTER,
	{NULL}
};

/* ---- organizations (v2) ---- */

static const CrmColumn pd_organizations_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"owner_id", "bigint", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"is_deleted", "boolean", RO},
	{"visible_to", "integer", 0},
	{"address", "jsonb", 0},
	{"label_ids", "bigint[]", 0},
	{"custom_fields", "jsonb", 0},
	{NULL}
};

static const CrmFilter pd_organizations_filters[] = {
	PD_IDS_FILTER,
	PD_EQ_FILTER("owner_id"),
	PD_UPDATE_TIME_FILTER,
	{NULL}
};

/* ---- products (v2) ---- */

static const CrmColumn pd_products_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"code", "text", 0},
	{"description", "text", 0},
	{"unit", "text", 0},
	{"tax", "numeric", 0},
	{"category", "text", 0},
	{"is_linkable", "boolean", 0},
	{"is_deleted", "boolean", RO},
	{"visible_to", "integer", 0},
	{"owner_id", "bigint", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"billing_frequency", "text", 0},
	{"billing_frequency_cycles", "integer", 0},
	{"prices", "jsonb", 0},
	{"custom_fields", "jsonb", 0},
	{NULL}
};

static const CrmFilter pd_products_filters[] = {
	PD_IDS_FILTER,
	PD_EQ_FILTER("owner_id"),
	{NULL}
};

/* ---- stages and pipelines (v2) ---- */

static const CrmColumn pd_stages_columns[] = {
	{"id", "bigint", KEY},
	{"order_nr", "integer", 0},
	{"name", "text", 0},
	{"is_deleted", "boolean", RO},
	{"deal_probability", "integer", 0},
	{"pipeline_id", "bigint", 0},
	{"is_deal_rot_enabled", "boolean", 0},
	{"days_to_rotten", "integer", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{NULL}
};

static const CrmFilter pd_stages_filters[] = {
	PD_EQ_FILTER("pipeline_id"),
	{NULL}
};

static const CrmColumn pd_pipelines_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"order_nr", "integer", 0},
	{"is_deleted", "boolean", RO},
	{"is_deal_probability_enabled", "boolean", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{NULL}
};

static const CrmFilter pd_no_filters[] = {
	{NULL}
};

/* ---- deal fields (v2): keyed by field_code, not by a number ---- */

static const CrmColumn pd_deal_fields_columns[] = {
	{"field_code", "text", KEY},
	{"field_name", "text", 0},
	{"description", "text", 0},
	{"field_type", "text", 0},
	{"options", "jsonb", 0},
	{"subfields", "jsonb", 0},
	{"is_custom_field", "boolean", RO},
	{"is_optional_response_field", "boolean", RO},
	{"ui_visibility", "jsonb", 0},
	{"important_fields", "jsonb", 0},
	{"required_fields", "jsonb", 0},
	{NULL}
};

/* ---- tasks (v2) ---- */

static const CrmColumn pd_tasks_columns[] = {
	{"id", "bigint", KEY},
	{"title", "text", 0},
	{"creator_id", "bigint", RO},
	{"description", "text", 0},
	{"project_id", "bigint", 0},
	{"is_done", "boolean", 0},
	{"is_milestone", "boolean", 0},
	{"due_date", "date", 0},
	{"start_date", "date", 0},
	{"parent_task_id", "bigint", 0},
	{"assignee_ids", "bigint[]", 0},
	{"priority", "integer", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"marked_as_done_time", "timestamptz", RO},
	{NULL}
};

static const CrmFilter pd_tasks_filters[] = {
	{"is_done", CRM_OP_EQ | CRM_OP_BOOL, CRM_FMT_BOOL, "is_done"},
	{"is_milestone", CRM_OP_EQ | CRM_OP_BOOL, CRM_FMT_BOOL, "is_milestone"},
	PD_EQ_FILTER("project_id"),
	PD_EQ_FILTER("parent_task_id"),
	{NULL}
};

/* ---- deal products (v2): only listed for given deals ---- */

static const CrmColumn pd_deal_products_columns[] = {
	{"id", "bigint", KEY},
	{"deal_id", "bigint", 0},
	{"product_id", "bigint", 0},
	{"product_variation_id", "bigint", 0},
	{"name", "text", 0},
	{"order_nr", "integer", 0},
	{"item_price", "numeric", 0},
	{"quantity", "numeric", 0},
	{"sum", "numeric", RO},
	{"tax", "numeric", 0},
	{"tax_method", "text", 0},
	{"discount", "numeric", 0},
	{"discount_type", "text", 0},
	{"currency", "text", RO},
	{"comments", "text", 0},
	{"is_enabled", "boolean", 0},
	{"billing_frequency", "text", 0},
	{"billing_frequency_cycles", "integer", 0},
	{"billing_start_date", "date", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{NULL}
};

static const CrmFilter pd_deal_products_filters[] = {
	{"deal_id", CRM_OP_EQ | CRM_OP_IN, CRM_FMT_INTEGER, "deal_ids", NULL,
	false, 100, false, true},
	{NULL}
};

/* ---- notes (v1) ---- */

static const CrmColumn pd_notes_columns[] = {
	{"id", "bigint", KEY},
	{"content", "text", 0},
	{"deal_id", "bigint", 0},
	{"person_id", "bigint", 0},
	{"org_id", "bigint", 0},
	{"lead_id", "text", 0},
	{"project_id", "bigint", 0},
	{"task_id", "bigint", 0},
	{"user_id", "bigint", 0},
	{"last_update_user_id", "bigint", RO},
	{"add_time", "timestamptz", 0},
	{"update_time", "timestamptz", RO},
	{"active_flag", "boolean", RO},
	{"pinned_to_lead_flag", "boolean", 0},
	{"pinned_to_deal_flag", "boolean", 0},
	{"pinned_to_organization_flag", "boolean", 0},
	{"pinned_to_person_flag", "boolean", 0},
	{"pinned_to_project_flag", "boolean", 0},
	{"pinned_to_task_flag", "boolean", 0},
	{"deal", "jsonb", RO},
	{"person", "jsonb", RO},
	{"organization", "jsonb", RO},
	{"project", "jsonb", RO},
	{"task", "jsonb", RO},
	{"user", "jsonb", RO},
	{NULL}
};

static const CrmFilter pd_notes_filters[] = {
	PD_EQ_FILTER("deal_id"),
	PD_EQ_FILTER("person_id"),
	PD_EQ_FILTER("org_id"),
	PD_EQ_FILTER("user_id"),
	{"lead_id", CRM_OP_EQ, CRM_FMT_TEXT, "lead_id"},
	PD_EQ_FILTER("project_id"),
	PD_EQ_FILTER("task_id"),
	/* whole days, both ends inclusive */
	{"add_time", CRM_OP_LOWER | CRM_OP_UPPER, CRM_FMT_DATE,
	"start_date", "end_date", true},
	/* v1 has no upper bound for update_time */
	{"update_time", CRM_OP_LOWER, CRM_FMT_RFC3339, "updated_since"},
	{NULL}
};

/* ---- users, activity types, currencies, files, filters (v1) ---- */

static const CrmColumn pd_users_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"email", "text", 0},
	{"phone", "text", 0},
	{"default_currency", "text", 0},
	{"locale", "text", 0},
	{"lang", "integer", 0},
	{"activated", "boolean", 0},
	{"last_login", "timestamptz", RO},
	{"created", "timestamptz", RO},
	{"modified", "timestamptz", RO},
	{"has_created_company", "boolean", RO},
	{"access", "jsonb", 0},
	{"active_flag", "boolean", 0},
	{"timezone_name", "text", 0},
	{"timezone_offset", "text", 0},
	{"role_id", "bigint", 0},
	{"icon_url", "text", 0},
	{"is_you", "boolean", RO},
	{"is_deleted", "boolean", RO},
	{NULL}
};

static const CrmColumn pd_activity_types_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"key_string", "text", 0},
	{"icon_key", "text", 0},
	{"color", "text", 0},
	{"order_nr", "integer", 0},
	{"active_flag", "boolean", 0},
	{"is_custom_flag", "boolean", RO},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{NULL}
};

static const CrmColumn pd_currencies_columns[] = {
	{"id", "bigint", KEY},
	{"code", "text", 0},
	{"name", "text", 0},
	{"decimal_points", "integer", 0},
	{"symbol", "text", 0},
	{"active_flag", "boolean", 0},
	{"is_custom_flag", "boolean", 0},
	{NULL}
};

static const CrmColumn pd_files_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"file_name", "text", RO},
	{"file_size", "bigint", RO},
	{"description", "text", 0},
	{"user_id", "bigint", RO},
	{"deal_id", "bigint", 0},
	{"person_id", "bigint", 0},
	{"org_id", "bigint", 0},
	{"product_id", "bigint", 0},
	{"activity_id", "bigint", 0},
	{"lead_id", "text", 0},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"active_flag", "boolean", RO},
	{"inline_flag", "boolean", RO},
	{"remote_location", "text", RO},
	{"remote_id", "text", RO},
	{"cid", "text", RO},
	{"s3_bucket", "text", RO},
	{"mail_message_id", "text", RO},
	{"mail_template_id", "text", RO},
	{"deal_name", "text", RO},
	{"person_name", "text", RO},
	{"org_name", "text", RO},
	{"product_name", "text", RO},
	{"lead_name", "text", RO},
	{"url", "text", RO},
	{NULL}
};

static const CrmColumn pd_filters_columns[] = {
	{"id", "bigint", KEY},
	{"name", "text", 0},
	{"type", "text", 0},
	{"filter_code", "text", RO},
	{"is_editable", "boolean", RO},
	{"active_flag", "boolean", RO},
	{"temporary_flag", "boolean", RO},
	{"user_id", "bigint", RO},
	{"add_time", "timestamptz", RO},
	{"update_time", "timestamptz", RO},
	{"visible_to", "text", 0},
	{"last_used_time", "timestamptz", RO},
	{"custom_view_id", "bigint", RO},
	{NULL}
};

static const char *const pd_filter_types[] = {
	"deals", "leads", "org", "people", "products", "activity", "projects", NULL
};

static const CrmFilter pd_filters_filters[] = {
	{"type", CRM_OP_EQ, CRM_FMT_TEXT, "type", NULL, false, 0, false, false,
	pd_filter_types},
	{NULL}
};

/* ---- deal flow (v1): the updates of one deal ---- */

static const CrmColumn pd_deal_flow_columns[] = {
	/* the deal is in the path, not in the answer */
	{"deal_id", "bigint", RO | CRM_COL_CALL_VALUE},
	{"id", "bigint", RO, "data.id"},
	{"object", "text", RO},
	{"timestamp", "timestamptz", RO},
	{"data", "jsonb", RO},
	{NULL}
};

static const CrmFilter pd_deal_flow_filters[] = {
	{"deal_id", CRM_OP_EQ | CRM_OP_IN, CRM_FMT_INTEGER, "deal_id", NULL,
	false, 1, true, true},
	{NULL}
};

static const CrmEntity pd_entities[] = {
	{"deals", "/api/v2/deals", "/api/v2/deals/{id}", "id",
	CRM_PAGING_CURSOR, 500, 5000, PD_V2, pd_deals_columns, pd_deals_filters,
	PD_WRITES},
	{"activities", "/api/v2/activities", "/api/v2/activities/{id}", "id",
		CRM_PAGING_CURSOR, 500, 10000, PD_V2, pd_activities_columns,
	pd_activities_filters, PD_WRITES},
	{"persons", "/api/v2/persons", "/api/v2/persons/{id}", "id",
		CRM_PAGING_CURSOR, 500, 5000, PD_V2, pd_persons_columns,
	pd_persons_filters},
	{"organizations", "/api/v2/organizations", "/api/v2/organizations/{id}",
		"id", CRM_PAGING_CURSOR, 500, 2000, PD_V2, pd_organizations_columns,
	pd_organizations_filters},
	{"products", "/api/v2/products", "/api/v2/products/{id}", "id",
		CRM_PAGING_CURSOR, 500, 500, PD_V2, pd_products_columns,
	pd_products_filters},
	{"stages", "/api/v2/stages", "/api/v2/stages/{id}", "id",
	CRM_PAGING_CURSOR, 500, 50, PD_V2, pd_stages_columns, pd_stages_filters},
	{"pipelines", "/api/v2/pipelines", "/api/v2/pipelines/{id}", "id",
		CRM_PAGING_CURSOR, 500, 10, PD_V2, pd_pipelines_columns,
	pd_no_filters},
	{"deal_fields", "/api/v2/dealFields", "/api/v2/dealFields/{field_code}",
		"field_code", CRM_PAGING_CURSOR, 500, 100, PD_V2,
	pd_deal_fields_columns, pd_no_filters},
	{"tasks", "/api/v2/tasks", "/api/v2/tasks/{id}", "id",
	CRM_PAGING_CURSOR, 500, 500, PD_V2, pd_tasks_columns, pd_tasks_filters},
	{"deal_products", "/api/v2/deals/products", NULL, "id",
		CRM_PAGING_CURSOR, 500, 5000, PD_V2, pd_deal_products_columns,
	pd_deal_products_filters},
	{"notes", "/api/v1/notes", "/api/v1/notes/{id}", "id",
	CRM_PAGING_OFFSET, 500, 5000, PD_V1, pd_notes_columns, pd_notes_filters,
	PD_WRITES},
	{"users", "/api/v1/users", "/api/v1/users/{id}", "id",
	CRM_PAGING_NONE, 0, 50, PD_V1, pd_users_columns, pd_no_filters},
	{"activity_types", "/api/v1/activityTypes", NULL, "id",
		CRM_PAGING_NONE, 0, 20, PD_V1, pd_activity_types_columns,
	pd_no_filters},
	{"currencies", "/api/v1/currencies", NULL, "id",
		CRM_PAGING_NONE, 0, 200, PD_V1, pd_currencies_columns,
	pd_no_filters},
	{"files", "/api/v1/files", "/api/v1/files/{id}", "id",
	CRM_PAGING_OFFSET, 100, 1000, PD_V1, pd_files_columns, pd_no_filters},
	{"filters", "/api/v1/filters", "/api/v1/filters/{id}", "id",
		CRM_PAGING_NONE, 0, 20, PD_V1, pd_filters_columns,
	pd_filters_filters},
	{"deal_flow", "/api/v1/deals/{deal_id}/flow", NULL, NULL,
		CRM_PAGING_OFFSET, 500, 20, PD_V1, pd_deal_flow_columns,
	pd_deal_flow_filters},
	{NULL}
};

static const char *const pd_credential_options[] = {
	"api_token", "access_token", NULL
};

static void
pd_auth_headers(List *options, List **headers)
{
	const char *api_token = NULL;
	const char *access_token = NULL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "api_token") == 0)
			api_token = defGetString(def);
		else if (strcmp(def->defname, "access_token") == 0)
			access_token = defGetString(def);
	}

	if (api_token && access_token)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("a Pipedrive user mapping takes api_token or access_token, not both"),
				 errhint("Drop one of them with ALTER USER MAPPING ... OPTIONS (DROP ...).")));
	if (api_token)
		*headers = lappend(*headers, psprintf("x-api-token: %s", api_token));
	else if (access_token)
		*headers = lappend(*headers,
						   psprintf("Authorization: Bearer %s", access_token));
	else
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("the user mapping has no Pipedrive credentials"),
				 errhint("Add OPTIONS (api_token '...') for a personal API token, or (access_token '...') for an OAuth token.")));
}

/* Lists are comma separated: ids=1,2,3, status=won,lost. */
static void
pd_append_param(StringInfo buf, const CrmParam *param)
{
	const char *name = param->upper ? param->filter->upper_param :
		param->filter->param;
	ListCell   *lc;

	crm_append_query_name(buf, name);
	foreach(lc, param->values)
	{
		if (lc != list_head(param->values))
			appendStringInfoChar(buf, ',');
		crm_append_param_value(buf, param, (const char *) lfirst(lc));
	}
}

static void
pd_build_request(const CrmEntity *entity, const CrmCall *call,
				 const CrmPage *page, int limit, CrmRequest *request)
{
	ListCell   *lc;

	request->method = "GET";
	request->body = NULL;

	if (call->item_key)
	{
		crm_append_path(&request->path, entity, entity->item_path, call);
		return;
	}

	crm_append_path(&request->path, entity, entity->list_path, call);
	foreach(lc, call->params)
	{
		CrmParam   *param = (CrmParam *) lfirst(lc);

		if (!param->filter->in_path)
			pd_append_param(&request->path, param);
	}

	switch (entity->paging)
	{
		case CRM_PAGING_CURSOR:
			crm_append_query_param(&request->path, "limit",
								   psprintf("%d", limit));
			if (page->cursor)
				crm_append_query_param(&request->path, "cursor", page->cursor);
			break;
		case CRM_PAGING_OFFSET:
			if (page->offset > 0)
				crm_append_query_param(&request->path, "start",
									   psprintf(INT64_FORMAT, page->offset));
			crm_append_query_param(&request->path, "limit",
								   psprintf("%d", limit));
			break;
		case CRM_PAGING_NONE:
		case CRM_PAGING_PAGE:
			break;
	}
}

static json_t *
pd_extract_rows(const CrmEntity *entity, const CrmCall *call, json_t *answer,
				CrmPage *page, const char **error)
{
	json_t	   *success = json_object_get(answer, "success");
	json_t	   *data;
	json_t	   *more_data;

	if (!json_is_object(answer))
	{
		*error = "the answer is not a JSON object";
		return NULL;
	}
	if (json_is_false(success))
	{
		*error = json_string_value(json_object_get(answer, "error"));
		if (*error == NULL)
			*error = "the answer says success: false";
		return NULL;
	}

	page->number++;
	page->done = true;
	data = json_object_get(answer, "data");

	if (call->item_key)
	{
		json_t	   *rows = json_array();

		/*
		 * v2 listings leave deleted items out, so the table has none; an
		 * item fetched by key must not bring one back.
		 */
		if (json_is_object(data) &&
			!(entity->flavor == PD_V2 &&
			  json_is_true(json_object_get(data, "is_deleted"))))
			json_array_append(rows, data);
		return rows;
	}

	/* v1 answers "data": null for an empty list */
	if (data == NULL || json_is_null(data))
		return json_array();
	if (!json_is_array(data))
	{
		*error = "\"data\" is not an array";
		return NULL;
	}

	more_data = json_object_get(answer, "additional_data");
	if (entity->paging == CRM_PAGING_CURSOR)
	{
		const char *cursor = json_string_value(json_object_get(more_data,
															   "next_cursor"));

		page->cursor = NULL;
		if (cursor && *cursor && json_array_size(data) > 0)
		{
			page->cursor = pstrdup(cursor);
			page->done = false;
		}
	}
	else if (entity->paging == CRM_PAGING_OFFSET)
	{
		/* most v1 lists nest it in "pagination"; deal flow does not */
		json_t	   *pagination = json_object_get(more_data, "pagination");
		json_t	   *next_start;

		if (!json_is_object(pagination))
			pagination = more_data;
		next_start = json_object_get(pagination, "next_start");
		if (json_is_true(json_object_get(pagination, "more_items_in_collection"))
			&& json_array_size(data) > 0)
		{
			page->done = false;
			if (json_is_integer(next_start))
				page->offset = json_integer_value(next_start);
			else
				page->offset += json_array_size(data);
		}
	}
	return json_incref(data);
}

static const char *
pd_error_message(json_t *answer)
{
	const char *message = json_string_value(json_object_get(answer, "error"));

	if (message == NULL)
		message = json_string_value(json_object_get(answer, "message"));
	return message;
}

/* "HH:MM:SS" to the "HH:MM" Pipedrive documents for times of day and durations. */
static void
pd_shorten_clock(json_t *body, const char *key)
{
	const char *text = json_string_value(json_object_get(body, key));

	if (text && strlen(text) == 8 && strcmp(text + 5, ":00") == 0)
		json_object_set_new(body, key, json_stringn(text, 5));
}

/* v1 spells times "YYYY-MM-DD HH:MM:SS" (UTC) and flags 0 or 1. */
static void
pd_v1_body(const CrmEntity *entity, json_t *body)
{
	const char *key;
	json_t	   *value;

	json_object_foreach(body, key, value)
	{
		const CrmColumn *column = crm_find_column(entity, key);
		const char *text = json_string_value(value);

		if (column && strcmp(column->type, "timestamptz") == 0 && text &&
			strlen(text) == 20 && text[10] == 'T' && text[19] == 'Z')
		{
			char	   *naive = pnstrdup(text, 19);

			naive[10] = ' ';
			json_object_set_new(body, key, json_string(naive));
		}
		else if (column && strcmp(column->type, "boolean") == 0 &&
				 json_is_boolean(value) && strstr(key, "_flag") != NULL)
			json_object_set_new(body, key, json_integer(json_is_true(value) ? 1 : 0));
	}
}

/*
 * v2 links an activity to persons through participants; the person_id
 * column stands for the primary one.
 */
static void
pd_activity_body(json_t *body)
{
	json_t	   *person = json_object_get(body, "person_id");

	if (person == NULL)
		return;
	if (json_object_get(body, "participants") == NULL)
	{
		json_t	   *participants = json_array();

		if (!json_is_null(person))
			json_array_append_new(participants,
								  json_pack("{s:O,s:b}", "person_id", person,
											"primary", 1));
		json_object_set_new(body, "participants", participants);
	}
	json_object_del(body, "person_id");
}

static void
pd_build_write(const CrmEntity *entity, CmdType operation, const CrmCall *item,
			   json_t *body, CrmRequest *request)
{
	request->body = NULL;
	switch (operation)
	{
		case CMD_INSERT:
			request->method = "POST";
			appendStringInfoString(&request->path, entity->list_path);
			break;
		case CMD_UPDATE:
			/* v1 updates with PUT, v2 with PATCH */
			request->method = entity->flavor == PD_V1 ? "PUT" : "PATCH";
			crm_append_path(&request->path, entity, entity->item_path, item);
			break;
		default:
			request->method = "DELETE";
			crm_append_path(&request->path, entity, entity->item_path, item);
			return;
	}

	if (strcmp(entity->name, "activities") == 0)
	{
		pd_activity_body(body);
		pd_shorten_clock(body, "due_time");
		pd_shorten_clock(body, "duration");
	}
	if (entity->flavor == PD_V1)
		pd_v1_body(entity, body);
	request->body = body;
}

static json_t *
pd_extract_written(const CrmEntity *entity, CmdType operation, json_t *answer,
				   const char **error)
{
	json_t	   *data = json_object_get(answer, "data");

	if (json_is_false(json_object_get(answer, "success")))
	{
		*error = pd_error_message(answer);
		if (*error == NULL)
			*error = "the answer says success: false";
		return NULL;
	}
	/* v1 DELETE answers "data": true; v2 an object with the id */
	if (operation == CMD_DELETE && !json_is_object(data))
		return crm_json_object();
	if (!json_is_object(data))
	{
		*error = "the answer has no \"data\" object";
		return NULL;
	}
	return data;
}

const CrmProvider crm_pipedrive_provider = {
	.name = "pipedrive",
	.display_name = "Pipedrive",
	.entities = pd_entities,
	.credential_options = pd_credential_options,
	.credential_hint = "api_token or access_token",
	/* v1 spells times "2026-01-31 12:00:00", in UTC */
	.naive_time_zone = "UTC",
	.auth_headers = pd_auth_headers,
	.build_request = pd_build_request,
	.extract_rows = pd_extract_rows,
	.error_message = pd_error_message,
	.build_write = pd_build_write,
	.extract_written = pd_extract_written,
};
