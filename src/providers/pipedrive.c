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

#include "compose.h"
#include "provider.h"

/* CrmEntity.flavor: which API generation, which envelope. */
#define PD_V1	1
#define PD_V2	2

/*
 * Writes, one request a row: v2 answers the written item whole in "data";
 * v1 notes take PUT for updates, and answer a DELETE with "data": true.
 */
#define PD_ROUTES(ent, base, update_method) \
static const CrmWriteRoute pd_##ent##_insert = { \
	.method = "POST", .path = base, .answer_items = "data", .answer_is_row = true}; \
static const CrmWriteRoute pd_##ent##_update[] = { \
	{.method = update_method, .path = base "/{key}", .answer_items = "data", \
	 .answer_is_row = true}, \
	{NULL}}; \
static const CrmWriteRoute pd_##ent##_delete = { \
	.method = "DELETE", .path = base "/{key}", .answer_items = "data"}

PD_ROUTES(deals, "/api/v2/deals", "PATCH");
PD_ROUTES(activities, "/api/v2/activities", "PATCH");
PD_ROUTES(notes, "/api/v1/notes", "PUT");

#define RO		CRM_COL_READONLY
#define KEY		(CRM_COL_KEY | CRM_COL_READONLY)

/* ---- deals (v2) ---- */

static const CrmColumn pd_deals_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the deal."},
	{"title", "text", 0,
	"The title of the deal."},
	{"owner_id", "bigint", 0,
	"The ID of the user who owns the deal."},
	{"person_id", "bigint", 0,
	"The ID of the person linked to the deal."},
	{"org_id", "bigint", 0,
	"The ID of the organization linked to the deal."},
	{"pipeline_id", "bigint", 0,
	"The ID of the pipeline associated with the deal."},
	{"stage_id", "bigint", 0,
	"The ID of the deal stage."},
	{"value", "numeric", 0,
	"The value of the deal."},
	{"currency", "text", 0,
	"The currency associated with the deal."},
	{"add_time", "timestamptz", RO,
	"The creation date and time of the deal."},
	{"update_time", "timestamptz", RO,
	"The last updated date and time of the deal."},
	{"stage_change_time", "timestamptz", RO,
	"The last updated date and time of the deal stage."},
	{"is_deleted", "boolean", 0,
	"Whether the deal is deleted or not."},
	{"is_archived", "boolean", 0,
	"Whether the deal is archived or not."},
	{"archive_time", "timestamptz", 0,
	"The date and time of archiving the deal."},
	{"status", "text", 0,
	"The status of the deal."},
	{"probability", "numeric", 0,
	"The success probability percentage of the deal."},
	{"lost_reason", "text", 0,
	"The reason for losing the deal."},
	{"visible_to", "integer", 0,
	"The visibility of the deal."},
	{"close_time", "timestamptz", 0,
	"The date and time of closing the deal."},
	{"won_time", "timestamptz", 0,
	"The date and time of changing the deal status as won."},
	{"lost_time", "timestamptz", 0,
	"The date and time of changing the deal status as lost."},
	{"expected_close_date", "date", 0,
	"The expected close date of the deal."},
	{"label_ids", "bigint[]", 0,
	"The IDs of labels assigned to the deal."},
	{"origin", "text", RO,
	"The way this Deal was created. origin field is set by Pipedrive when Deal is created and cannot be changed."},
	{"origin_id", "text", RO,
	"The optional ID to further distinguish the origin of the deal - e.g. Which API integration created this Deal."},
	{"channel", "integer", RO,
	"The ID of your Marketing channel this Deal was created from. Recognized Marketing channels can be configured in your Company settings."},
	{"channel_id", "text", RO,
	"The optional ID to further distinguish the Marketing channel."},
	{"source_lead_id", "text", RO,
	"The ID of the lead if the deal was converted from a lead. Only included when requested via include_fields parameter.",
	.request_option = "source_lead_id"},
	{"arr", "numeric", RO,
	"Only available in Growth and above plans. The Annual Recurring Revenue of the deal; null if there are no products attached to the deal."},
	{"mrr", "numeric", RO,
	"Only available in Growth and above plans. The Monthly Recurring Revenue of the deal; null if there are no products attached to the deal."},
	{"acv", "numeric", RO,
	"Only available in Growth and above plans. The Annual Contract Value of the deal; null if there are no products attached to the deal."},
	{"custom_fields", "jsonb", 0,
	"An object where each key represents a custom field. All custom fields are referenced as randomly generated 40-character hashes. To clear a custom field value, set it to null. For multi-option fields (field type set), use null to clear the selection — sending an empty array [] is not supported and will result in a validation error."},
	{NULL}
};

static const char *const pd_deal_statuses[] = {"open", "won", "lost", NULL};

/* v2 spells "updated since" inclusive and "updated until" exclusive. */
#define PD_UPDATE_TIME_FILTER \
	{.column = "update_time", .ops = CRM_OP_RANGE, .format = CRM_FMT_RFC3339, \
	 .param = "updated_since", .upper_param = "updated_until"}
#define PD_IDS_FILTER \
	{.column = "id", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER, \
	 .param = "ids", .max_list = 100}
#define PD_EQ_FILTER(col) \
	{.column = col, .ops = CRM_OP_EQ, .format = CRM_FMT_INTEGER, .param = col}
#define PD_TEXT_FILTER(col) \
	{.column = col, .ops = CRM_OP_EQ, .format = CRM_FMT_TEXT, .param = col}
#define PD_BOOL_FILTER(col) \
	{.column = col, .ops = CRM_OP_EQ | CRM_OP_BOOL, .format = CRM_FMT_BOOL, .param = col}

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
	{.column = "status", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_TEXT,
	.param = "status", .domain = pd_deal_statuses},
	PD_UPDATE_TIME_FILTER,
	{NULL}
};

/* ---- activities (v2) ---- */

static const CrmColumn pd_activities_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the activity."},
	{"subject", "text", 0,
	"The subject of the activity."},
	{"type", "text", 0,
	"The type of the activity."},
	{"owner_id", "bigint", 0,
	"The ID of the user who owns the activity."},
	{"creator_user_id", "bigint", RO,
	"The ID of the user who created the activity."},
	{"is_deleted", "boolean", RO,
	"Whether the activity is deleted or not."},
	{"add_time", "timestamptz", RO,
	"The creation date and time of the activity."},
	{"update_time", "timestamptz", RO,
	"The last updated date and time of the activity."},
	{"deal_id", "bigint", 0,
	"The ID of the deal linked to the activity."},
	{"lead_id", "text", 0,
	"The ID of the lead linked to the activity."},
	{"person_id", "bigint", 0,
	"The ID of the person linked to the activity."},
	{"org_id", "bigint", 0,
	"The ID of the organization linked to the activity."},
	{"project_id", "bigint", 0,
	"The ID of the project linked to the activity."},
	{"due_date", "date", 0,
	"The due date of the activity."},
	{"due_time", "time", 0,
	"The due time of the activity."},
	{"duration", "interval", 0,
	"The duration of the activity."},
	{"busy", "boolean", 0,
	"Whether the activity marks the assignee as busy or not in their calendar."},
	{"done", "boolean", 0,
	"Whether the activity is marked as done or not."},
	{"marked_as_done_time", "timestamptz", RO,
	"The date and time when the activity was marked as done."},
	{"location", "jsonb", 0,
	"Location of the activity."},
	{"participants", "jsonb", 0,
	"The participants of the activity."},
	{"attendees", "jsonb", 0,
	"The attendees of the activity.",
	.request_option = "attendees"},
	{"conference_meeting_client", "text", RO,
	"The client used for the conference meeting."},
	{"conference_meeting_url", "text", RO,
	"The URL of the conference meeting."},
	{"conference_meeting_id", "text", RO,
	"The ID of the conference meeting."},
	{"public_description", "text", 0,
	"The public description of the activity."},
	{"priority", "integer", 0,
	"The priority of the activity. Mappable to a specific string using activityFields API."},
	{"note", "text", 0,
	"The note of the activity."},
	{NULL}
};

static const CrmFilter pd_activities_filters[] = {
	PD_IDS_FILTER,
	PD_EQ_FILTER("owner_id"),
	PD_EQ_FILTER("deal_id"),
	PD_TEXT_FILTER("lead_id"),
	PD_EQ_FILTER("person_id"),
	PD_EQ_FILTER("org_id"),
	PD_BOOL_FILTER("done"),
	PD_UPDATE_TIME_FILTER,
	{NULL}
};

/* ---- persons (v2) ---- */

static const CrmColumn pd_persons_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the person."},
	{"name", "text", 0,
	"The name of the person."},
	{"first_name", "text", 0,
	"The first name of the person."},
	{"last_name", "text", 0,
	"The last name of the person."},
	{"owner_id", "bigint", 0,
	"The ID of the user who owns the person."},
	{"org_id", "bigint", 0,
	"The ID of the organization linked to the person."},
	{"add_time", "timestamptz", RO,
	"The creation date and time of the person."},
	{"update_time", "timestamptz", RO,
	"The last updated date and time of the person."},
	{"emails", "jsonb", 0,
	"The emails of the person."},
	{"phones", "jsonb", 0,
	"The phones of the person."},
	{"is_deleted", "boolean", RO,
	"Whether the person is deleted or not."},
	{"visible_to", "integer", 0,
	"The visibility of the person."},
	{"label_ids", "bigint[]", 0,
	"The IDs of labels assigned to the person."},
	{"picture_id", "bigint", RO,
	"The ID of the picture associated with the person."},
	{"postal_address", "jsonb", 0,
	"Postal address of the person, included if contact sync is enabled for the company."},
	{"notes", "text", 0,
	"Contact sync notes of the person, maximum 10 000 characters, included if contact sync is enabled for the company."},
	{"im", "jsonb", 0,
	"The instant messaging accounts of the person, included if contact sync is enabled for the company."},
	{"birthday", "date", 0,
	"The birthday of the person, included if contact sync is enabled for the company."},
	{"job_title", "text", 0,
	"The job title of the person, included if contact sync is enabled for the company."},
	{"custom_fields", "jsonb", 0,
	"An object where each key represents a custom field. All custom fields are referenced as randomly generated 40-character hashes. To clear a custom field value, set it to null. For multi-option fields (field type set), use null to clear the selection — sending an empty array [] is not supported and will result in a validation error."},
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
	{"id", "bigint", KEY,
	"The ID of the organization."},
	{"name", "text", 0,
	"The name of the organization."},
	{"owner_id", "bigint", 0,
	"The ID of the user who owns the organization."},
	{"add_time", "timestamptz", RO,
	"The creation date and time of the organization."},
	{"update_time", "timestamptz", RO,
	"The last updated date and time of the organization."},
	{"is_deleted", "boolean", RO,
	"Whether the organization is deleted or not."},
	{"visible_to", "integer", 0,
	"The visibility of the organization."},
	{"address", "jsonb", 0,
	"The address of the organization."},
	{"label_ids", "bigint[]", 0,
	"The IDs of labels assigned to the organization."},
	{"custom_fields", "jsonb", 0,
	"An object where each key represents a custom field. All custom fields are referenced as randomly generated 40-character hashes. To clear a custom field value, set it to null. For multi-option fields (field type set), use null to clear the selection — sending an empty array [] is not supported and will result in a validation error."},
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
	{"id", "bigint", KEY,
	"The ID of the product."},
	{"name", "text", 0,
	"The name of the product."},
	{"code", "text", 0,
	"The product code."},
	{"description", "text", 0,
	"The description of the product."},
	{"unit", "text", 0,
	"The unit in which this product is sold."},
	{"tax", "numeric", 0,
	"The tax percentage."},
	{"category", "text", 0,
	"The category of the product."},
	{"is_linkable", "boolean", 0,
	"Whether this product can be added to a deal or not."},
	{"is_deleted", "boolean", RO,
	"Whether this product will be marked as deleted or not."},
	{"visible_to", "integer", 0,
	"Visibility of the product."},
	{"owner_id", "bigint", 0,
	"Information about the Pipedrive user who owns the product."},
	{"add_time", "timestamptz", RO,
	"The creation date and time of the product."},
	{"update_time", "timestamptz", RO,
	"The last updated date and time of the product."},
	{"billing_frequency", "text", 0,
	"Only available in Growth and above plans How often a customer is billed for access to a service or product."},
	{"billing_frequency_cycles", "integer", 0,
	"Only available in Growth and above plans. The number of times the billing frequency repeats for a product in a deal When billing_frequency is set to one-time, this field must be null When billing_frequency is set to weekly, this field cannot be null For all the other values of billing_frequency, null represents a product billed indefinitely Must be a positive integer less or equal to 208."},
	{"prices", "jsonb", 0,
	"Array of objects, each containing: product_id (number), currency (string), price (number), cost (number), direct_cost (number | null), notes (string)."},
	{"custom_fields", "jsonb", 0,
	"An object where each key represents a custom field. All custom fields are referenced as randomly generated 40-character hashes. To clear a custom field value, set it to null. For multi-option fields (field type set), use null to clear the selection — sending an empty array [] is not supported and will result in a validation error."},
	{NULL}
};

static const CrmFilter pd_products_filters[] = {
	PD_IDS_FILTER,
	PD_EQ_FILTER("owner_id"),
	{NULL}
};

/* ---- stages and pipelines (v2) ---- */

static const CrmColumn pd_stages_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the stage."},
	{"order_nr", "integer", 0,
	"Defines the order of the stage."},
	{"name", "text", 0,
	"The name of the stage."},
	{"is_deleted", "boolean", RO,
	"Whether the stage is marked as deleted or not."},
	{"deal_probability", "integer", 0,
	"The success probability percentage of the deal. Used/shown when the deal weighted values are used."},
	{"pipeline_id", "bigint", 0,
	"The ID of the pipeline to add the stage to."},
	{"is_deal_rot_enabled", "boolean", 0,
	"Whether deals in this stage can become rotten."},
	{"days_to_rotten", "integer", 0,
	"The number of days the deals not updated in this stage would become rotten. Applies only if the is_deal_rot_enabled is set."},
	{"add_time", "timestamptz", RO,
	"The stage creation time."},
	{"update_time", "timestamptz", RO,
	"The stage update time."},
	{NULL}
};

static const CrmFilter pd_stages_filters[] = {
	PD_EQ_FILTER("pipeline_id"),
	{NULL}
};

static const CrmColumn pd_pipelines_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the pipeline."},
	{"name", "text", 0,
	"The name of the pipeline."},
	{"order_nr", "integer", 0,
	"Defines the order of pipelines. The pipeline with the lowest order_nr is considered the default."},
	{"is_deleted", "boolean", RO,
	"Whether this pipeline is marked as deleted or not."},
	{"is_deal_probability_enabled", "boolean", 0,
	"Whether deal probability is disabled or enabled for this pipeline."},
	{"add_time", "timestamptz", RO,
	"The pipeline creation time."},
	{"update_time", "timestamptz", RO,
	"The pipeline update time."},
	{NULL}
};

static const CrmFilter pd_no_filters[] = {
	{NULL}
};

/* ---- deal fields (v2): keyed by field_code, not by a number ---- */

static const CrmColumn pd_deal_fields_columns[] = {
	{"field_code", "text", KEY,
	"The unique identifier for the field (40-character hash for custom fields)."},
	{"field_name", "text", 0,
	"The display name/label of the field."},
	{"description", "text", 0,
	"The description of the field."},
	{"field_type", "text", 0,
	"The type of the field."},
	{"options", "jsonb", 0,
	"Array of available options for enum/set fields, null for other field types."},
	{"subfields", "jsonb", 0,
	"Array of subfields for complex field types (address, monetary), null for simple field types."},
	{"is_custom_field", "boolean", RO,
	"Whether this is a user-created custom field."},
	{"is_optional_response_field", "boolean", RO,
	"Whether this field is not returned by default in entity responses."},
	{"ui_visibility", "jsonb", 0,
	"UI visibility settings (only included when requested via include_fields parameter)."},
	{"important_fields", "jsonb", 0,
	"Important fields configuration."},
	{"required_fields", "jsonb", 0,
	"Required fields configuration."},
	{NULL}
};

/* ---- tasks (v2) ---- */

static const CrmColumn pd_tasks_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the task."},
	{"title", "text", 0,
	"The title of the task."},
	{"creator_id", "bigint", RO,
	"The ID of the user who created the task."},
	{"description", "text", 0,
	"The description of the task."},
	{"project_id", "bigint", 0,
	"The ID of the project this task is associated with."},
	{"is_done", "boolean", 0,
	"Whether the task is done or not."},
	{"is_milestone", "boolean", 0,
	"Whether the task is a milestone or not."},
	{"due_date", "date", 0,
	"The due date of the task. Format: YYYY-MM-DD."},
	{"start_date", "date", 0,
	"The start date of the task. Format: YYYY-MM-DD."},
	{"parent_task_id", "bigint", 0,
	"The ID of the parent task. If null, the task is a root-level task."},
	{"assignee_ids", "bigint[]", 0,
	"The IDs of users assigned to the task."},
	{"priority", "integer", 0,
	"The priority of the task."},
	{"add_time", "timestamptz", RO,
	"The creation date and time of the task in ISO 8601 format."},
	{"update_time", "timestamptz", RO,
	"The update date and time of the task in ISO 8601 format."},
	{"marked_as_done_time", "timestamptz", RO,
	"The date and time the task was marked as done in ISO 8601 format."},
	{NULL}
};

static const CrmFilter pd_tasks_filters[] = {
	PD_BOOL_FILTER("is_done"),
	PD_BOOL_FILTER("is_milestone"),
	PD_EQ_FILTER("project_id"),
	PD_EQ_FILTER("parent_task_id"),
	{NULL}
};

/* ---- deal products (v2): only listed for given deals ---- */

static const CrmColumn pd_deal_products_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the deal-product (the ID of the product attached to the deal)."},
	{"deal_id", "bigint", 0,
	"The ID of the deal."},
	{"product_id", "bigint", 0,
	"The ID of the product."},
	{"product_variation_id", "bigint", 0,
	"The ID of the product variation."},
	{"name", "text", 0,
	"The product name."},
	{"order_nr", "integer", 0,
	"The order number of the product within the deal."},
	{"item_price", "numeric", 0,
	"The price value of the product."},
	{"quantity", "numeric", 0,
	"The quantity of the product."},
	{"sum", "numeric", RO,
	"The sum of all the products attached to the deal."},
	{"tax", "numeric", 0,
	"The product tax."},
	{"tax_method", "text", 0,
	"The tax option to be applied to the products. When using inclusive, the tax percentage will already be included in the price. When using exclusive, the tax will not be included in the price. When using none, no tax will be added. Use the tax field for defining the tax percentage amount. By default, the user setting value for tax options will be used. Changing this in one product affects the rest of the products attached to the deal."},
	{"discount", "numeric", 0,
	"The value of the discount. The discount_type field can be used to specify whether the value is an amount or a percentage."},
	{"discount_type", "text", 0,
	"The type of the discount's value."},
	{"currency", "text", RO,
	"The currency associated with the deal product."},
	{"comments", "text", 0,
	"The comments of the product."},
	{"is_enabled", "boolean", 0,
	"Whether this product is enabled for the deal."},
	{"billing_frequency", "text", 0,
	"Only available in Growth and above plans How often a customer is billed for access to a service or product To set billing_frequency different than one-time, the deal must not have installments associated A deal can have up to 20 products attached with billing_frequency different than one-time."},
	{"billing_frequency_cycles", "integer", 0,
	"Only available in Growth and above plans. The number of times the billing frequency repeats for a product in a deal When billing_frequency is set to one-time, this field must be null When billing_frequency is set to weekly, this field cannot be null For all the other values of billing_frequency, null represents a product billed indefinitely Must be a positive integer less or equal to 208."},
	{"billing_start_date", "date", 0,
	"Only available in Growth and above plans. The billing start date. Must be between 10 years in the past and 10 years in the future."},
	{"add_time", "timestamptz", RO,
	"The date and time when the product was added to the deal."},
	{"update_time", "timestamptz", RO,
	"The date and time when the deal product was last updated."},
	{NULL}
};

static const CrmFilter pd_deal_products_filters[] = {
	{.column = "deal_id", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	.param = "deal_ids", .max_list = 100, .required = true},
	{NULL}
};

/* ---- notes (v1) ---- */

static const CrmColumn pd_notes_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the note."},
	{"content", "text", 0,
	"The content of the note in HTML format. Subject to sanitization on the back-end."},
	{"deal_id", "bigint", 0,
	"The ID of the deal the note is attached to."},
	{"person_id", "bigint", 0,
	"The ID of the person the note is attached to."},
	{"org_id", "bigint", 0,
	"The ID of the organization the note is attached to."},
	{"lead_id", "text", 0,
	"The ID of the lead the note is attached to."},
	{"project_id", "bigint", 0,
	"The ID of the project the note is attached to."},
	{"task_id", "bigint", 0,
	"The ID of the task the note is attached to."},
	{"user_id", "bigint", 0,
	"The ID of the note creator."},
	{"last_update_user_id", "bigint", RO,
	"The ID of the user who last updated the note."},
	{"add_time", "timestamptz", 0,
	"The creation date and time of the note.", .wire = CRM_FMT_LOCAL},
	{"update_time", "timestamptz", RO,
	"The last updated date and time of the note.", .wire = CRM_FMT_LOCAL},
	{"active_flag", "boolean", RO,
	"Whether the note is active or deleted."},
	{"pinned_to_lead_flag", "boolean", 0,
	"If true, the results are filtered by note to lead pinning state."},
	{"pinned_to_deal_flag", "boolean", 0,
	"If true, the results are filtered by note to deal pinning state."},
	{"pinned_to_organization_flag", "boolean", 0,
	"If true, the results are filtered by note to organization pinning state."},
	{"pinned_to_person_flag", "boolean", 0,
	"If true, the results are filtered by note to person pinning state."},
	{"pinned_to_project_flag", "boolean", 0,
	"If true, the results are filtered by note to project pinning state."},
	{"pinned_to_task_flag", "boolean", 0,
	"If true, the results are filtered by note to task pinning state."},
	{"deal", "jsonb", RO,
	"The deal this note is attached to."},
	{"person", "jsonb", RO,
	"The person the note is attached to."},
	{"organization", "jsonb", RO,
	"The organization the note is attached to."},
	{"project", "jsonb", RO,
	"The project the note is attached to."},
	{"task", "jsonb", RO,
	"The task the note is attached to."},
	{"user", "jsonb", RO,
	"The user who created the note."},
	{NULL}
};

static const CrmFilter pd_notes_filters[] = {
	PD_EQ_FILTER("deal_id"),
	PD_EQ_FILTER("person_id"),
	PD_EQ_FILTER("org_id"),
	PD_EQ_FILTER("user_id"),
	PD_TEXT_FILTER("lead_id"),
	PD_EQ_FILTER("project_id"),
	PD_EQ_FILTER("task_id"),
	/* whole days, both ends inclusive */
	{.column = "add_time", .ops = CRM_OP_RANGE, .format = CRM_FMT_DATE,
	.param = "start_date", .upper_param = "end_date", .upper_inclusive = true},
	/* v1 has no upper bound for update_time */
	{.column = "update_time", .ops = CRM_OP_LOWER, .format = CRM_FMT_RFC3339,
	.param = "updated_since"},
	{NULL}
};

/* ---- users, activity types, currencies, files, filters (v1) ---- */

static const CrmColumn pd_users_columns[] = {
	{"id", "bigint", KEY,
	"The user ID."},
	{"name", "text", 0,
	"The user name."},
	{"email", "text", 0,
	"The user email."},
	{"phone", "text", 0,
	"The user phone."},
	{"default_currency", "text", 0,
	"The user default currency."},
	{"locale", "text", 0,
	"The user locale."},
	{"lang", "integer", 0,
	"The user language ID."},
	{"activated", "boolean", 0,
	"Boolean that indicates whether the user is activated."},
	{"last_login", "timestamptz", RO,
	"The last login date and time of the user. Format: YYYY-MM-DD HH:MM:SS.", .wire = CRM_FMT_LOCAL},
	{"created", "timestamptz", RO,
	"The creation date and time of the user. Format: YYYY-MM-DD HH:MM:SS.", .wire = CRM_FMT_LOCAL},
	{"modified", "timestamptz", RO,
	"The last modification date and time of the user. Format: YYYY-MM-DD HH:MM:SS.", .wire = CRM_FMT_LOCAL},
	{"has_created_company", "boolean", RO,
	"Boolean that indicates whether the user has created a company."},
	{"access", "jsonb", 0,
	"The access the user has to each app (sales, projects, campaigns...), with its role."},
	{"active_flag", "boolean", 0,
	"Boolean that indicates whether the user is activated."},
	{"timezone_name", "text", 0,
	"The user timezone name."},
	{"timezone_offset", "text", 0,
	"The user timezone offset."},
	{"role_id", "bigint", 0,
	"The ID of the user role."},
	{"icon_url", "text", 0,
	"The user icon URL."},
	{"is_you", "boolean", RO,
	"Boolean that indicates if the requested user is the same which is logged in (in this case, always true)."},
	{"is_deleted", "boolean", RO,
	"Boolean that indicates whether the user is deleted from the company."},
	{NULL}
};

static const CrmColumn pd_activity_types_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the activity type."},
	{"name", "text", 0,
	"The name of the activity type."},
	{"key_string", "text", 0,
	"A string that is generated by the API based on the given name of the activity type upon creation."},
	{"icon_key", "text", 0,
	"Icon graphic to use for representing this activity type."},
	{"color", "text", 0,
	"A designated color for the activity type in 6-character HEX format (e.g. FFFFFF for white, 000000 for black)."},
	{"order_nr", "integer", 0,
	"An order number for the activity type. Order numbers should be used to order the types in the activity type selections."},
	{"active_flag", "boolean", 0,
	"The active flag of the activity type."},
	{"is_custom_flag", "boolean", RO,
	"Whether the activity type is a custom one or not."},
	{"add_time", "timestamptz", RO,
	"The creation time of the activity type.", .wire = CRM_FMT_LOCAL},
	{"update_time", "timestamptz", RO,
	"The update time of the activity type.", .wire = CRM_FMT_LOCAL},
	{NULL}
};

static const CrmColumn pd_currencies_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the currency."},
	{"code", "text", 0,
	"The code of the currency."},
	{"name", "text", 0,
	"The name of the currency."},
	{"decimal_points", "integer", 0,
	"The amount of decimal points of the currency."},
	{"symbol", "text", 0,
	"The symbol of the currency."},
	{"active_flag", "boolean", 0,
	"Whether the currency is active or not."},
	{"is_custom_flag", "boolean", 0,
	"Whether the currency is a custom one or not."},
	{NULL}
};

static const CrmColumn pd_files_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the file."},
	{"name", "text", 0,
	"The visible name of the file."},
	{"file_name", "text", RO,
	"The original name of the file."},
	{"file_size", "bigint", RO,
	"The size of the file."},
	{"description", "text", 0,
	"The description of the file."},
	{"user_id", "bigint", RO,
	"The ID of the user to associate the file with."},
	{"deal_id", "bigint", 0,
	"The ID of the deal to associate the file with."},
	{"person_id", "bigint", 0,
	"The ID of the person to associate the file with."},
	{"org_id", "bigint", 0,
	"The ID of the organization to associate the file with."},
	{"product_id", "bigint", 0,
	"The ID of the product to associate the file with."},
	{"activity_id", "bigint", 0,
	"The ID of the activity to associate the file with."},
	{"lead_id", "text", 0,
	"The ID of the lead to associate the file with."},
	{"add_time", "timestamptz", RO,
	"The date and time when the file was added/created. Format: YYYY-MM-DD HH:MM:SS.", .wire = CRM_FMT_LOCAL},
	{"update_time", "timestamptz", RO,
	"The last updated date and time of the file. Format: YYYY-MM-DD HH:MM:SS.", .wire = CRM_FMT_LOCAL},
	{"active_flag", "boolean", RO,
	"Whether the user is active or not. false = Not activated, true = Activated."},
	{"inline_flag", "boolean", RO,
	"Whether the file was uploaded as inline or not."},
	{"remote_location", "text", RO,
	"The location type to send the file to. Only googledrive is supported at the moment."},
	{"remote_id", "text", RO,
	"The ID of the remote item."},
	{"cid", "text", RO,
	"The ID of the inline attachment."},
	{"s3_bucket", "text", RO,
	"The location of the cloud storage."},
	{"mail_message_id", "text", RO,
	"The ID of the mail message to associate the file with."},
	{"mail_template_id", "text", RO,
	"The ID of the mail template to associate the file with."},
	{"deal_name", "text", RO,
	"The name of the deal associated with the file."},
	{"person_name", "text", RO,
	"The name of the person associated with the file."},
	{"org_name", "text", RO,
	"The name of the organization associated with the file."},
	{"product_name", "text", RO,
	"The name of the product associated with the file."},
	{"lead_name", "text", RO,
	"The name of the lead associated with the file."},
	{"url", "text", RO,
	"The URL of the download file."},
	{NULL}
};

static const CrmColumn pd_filters_columns[] = {
	{"id", "bigint", KEY,
	"The ID of the filter."},
	{"name", "text", 0,
	"The name of the filter."},
	{"type", "text", 0,
	"The type of items the filter selects: deals, leads, org, people, products, activity or projects."},
	{"filter_code", "text", RO,
	"The system code of the filter."},
	{"is_editable", "boolean", RO,
	"Whether the filter can be edited by the requesting user."},
	{"active_flag", "boolean", RO,
	"The active flag of the filter."},
	{"temporary_flag", "boolean", RO,
	"Whether the filter is temporary."},
	{"user_id", "bigint", RO,
	"The owner of the filter."},
	{"add_time", "timestamptz", RO,
	"The date and time when the filter was added.", .wire = CRM_FMT_LOCAL},
	{"update_time", "timestamptz", RO,
	"The date and time when the filter was updated.", .wire = CRM_FMT_LOCAL},
	{"visible_to", "text", 0,
	"The visibility group ID of who can see the filter."},
	{"last_used_time", "timestamptz", RO,
	"The date and time when the filter was last used.", .wire = CRM_FMT_LOCAL},
	{"custom_view_id", "bigint", RO,
	"The custom view ID linked to the filter."},
	{NULL}
};

static const char *const pd_filter_types[] = {
	"deals", "leads", "org", "people", "products", "activity", "projects", NULL
};

static const CrmFilter pd_filters_filters[] = {
	{.column = "type", .ops = CRM_OP_EQ, .format = CRM_FMT_TEXT, .param = "type",
	.domain = pd_filter_types},
	{NULL}
};

/* ---- deal flow (v1): the updates of one deal ---- */

static const CrmColumn pd_deal_flow_columns[] = {
	/* the deal is in the path, not in the answer */
	{"deal_id", "bigint", RO | CRM_COL_CALL_VALUE,
	"The ID of the deal the update belongs to (from the request: it is not in the answer)."},
	{"id", "bigint", RO,
	"The ID of the changed object: the change log entry, note, activity or file.", "data.id"},
	{"object", "text", RO,
	"The type of the deal update. (Possible object types - dealChange, note, activity, mailMessage, invoice, document, file)."},
	{"timestamp", "timestamptz", RO,
	"The creation date and time of the update.", .wire = CRM_FMT_LOCAL},
	{"data", "jsonb", RO,
	"The data related to the update."},
	{NULL}
};

static const CrmFilter pd_deal_flow_filters[] = {
	{.column = "deal_id", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	.param = "deal_id", .max_list = 1, .in_path = true, .required = true},
	{NULL}
};

/* v2: an opaque cursor; the last page has none */
static const CrmPaging pd_v2_paging = {
	.style = CRM_PAGING_CURSOR,
	.size_param = "limit",
	.position_param = "cursor",
	.max_size = 500,
	.next_from = CRM_NEXT_CURSOR,
	.next_path = "additional_data.next_cursor",
};

/*
 * v1: start/limit, while more_items_in_collection; most lists nest it in
 * "pagination", deal flow does not.
 */
#define PD_V1_PAGING(size) { \
	.style = CRM_PAGING_OFFSET, \
	.size_param = "limit", \
	.position_param = "start", \
	.max_size = size, \
	.next_from = CRM_NEXT_MORE_FLAG, \
	.more_path = "additional_data.pagination.more_items_in_collection|additional_data.more_items_in_collection", \
	.next_path = "additional_data.pagination.next_start|additional_data.next_start", \
}
static const CrmPaging pd_v1_paging = PD_V1_PAGING(500);
static const CrmPaging pd_v1_files_paging = PD_V1_PAGING(100);

static const CrmEntity pd_entities[] = {
	{
		.name = "deals",
		.request_option_param = "include_fields",
		.list_path = "/api/v2/deals",
		.item_path = "/api/v2/deals/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 5000,
		.flavor = PD_V2,
		.columns = pd_deals_columns,
		.filters = pd_deals_filters,
		.insert = &pd_deals_insert,
		.update = pd_deals_update,
		.delete = &pd_deals_delete,
		.description = "the sales opportunities of the account, each in a stage of a pipeline. Deleted deals are not listed.",
	},
	{
		.name = "activities",
		.request_option_param = "include_fields",
		.list_path = "/api/v2/activities",
		.item_path = "/api/v2/activities/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 10000,
		.flavor = PD_V2,
		.columns = pd_activities_columns,
		.filters = pd_activities_filters,
		.insert = &pd_activities_insert,
		.update = pd_activities_update,
		.delete = &pd_activities_delete,
		.description = "calls, meetings, tasks, deadlines, emails and lunches, planned or done, linked to deals, persons and organizations.",
	},
	{
		.name = "persons",
		.list_path = "/api/v2/persons",
		.item_path = "/api/v2/persons/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 5000,
		.flavor = PD_V2,
		.columns = pd_persons_columns,
		.filters = pd_persons_filters,
		.description = "the contacts of the account.",
	},
	{
		.name = "organizations",
		.list_path = "/api/v2/organizations",
		.item_path = "/api/v2/organizations/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 2000,
		.flavor = PD_V2,
		.columns = pd_organizations_columns,
		.filters = pd_organizations_filters,
		.description = "the companies the contacts belong to.",
	},
	{
		.name = "products",
		.list_path = "/api/v2/products",
		.item_path = "/api/v2/products/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 500,
		.flavor = PD_V2,
		.columns = pd_products_columns,
		.filters = pd_products_filters,
		.description = "the goods and services deals can carry.",
	},
	{
		.name = "stages",
		.list_path = "/api/v2/stages",
		.item_path = "/api/v2/stages/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 50,
		.flavor = PD_V2,
		.columns = pd_stages_columns,
		.filters = pd_stages_filters,
		.description = "the steps of each pipeline that deals move through.",
	},
	{
		.name = "pipelines",
		.list_path = "/api/v2/pipelines",
		.item_path = "/api/v2/pipelines/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 10,
		.flavor = PD_V2,
		.columns = pd_pipelines_columns,
		.filters = pd_no_filters,
		.description = "the sales processes, each an ordered list of stages.",
	},
	{
		.name = "deal_fields",
		.list_path = "/api/v2/dealFields",
		.item_path = "/api/v2/dealFields/{field_code}",
		.key = "field_code",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 100,
		.flavor = PD_V2,
		.columns = pd_deal_fields_columns,
		.filters = pd_no_filters,
		.description = "the standard and custom fields of deals, with their types and options; custom fields are keyed by a 40-character hash.",
	},
	{
		.name = "tasks",
		.list_path = "/api/v2/tasks",
		.item_path = "/api/v2/tasks/{id}",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 500,
		.flavor = PD_V2,
		.columns = pd_tasks_columns,
		.filters = pd_tasks_filters,
		.description = "the to-dos of projects.",
	},
	{
		.name = "deal_products",
		.list_path = "/api/v2/deals/products",
		.key = "id",
		.paging = &pd_v2_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.hidden_when = "is_deleted",
		.default_rows = 5000,
		.flavor = PD_V2,
		.columns = pd_deal_products_columns,
		.filters = pd_deal_products_filters,
		.description = "the products attached to deals, with quantities, prices and discounts. Listed only for given deals.",
	},
	{
		.name = "notes",
		.list_path = "/api/v1/notes",
		.item_path = "/api/v1/notes/{id}",
		.key = "id",
		.paging = &pd_v1_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.default_rows = 5000,
		.flavor = PD_V1,
		.columns = pd_notes_columns,
		.filters = pd_notes_filters,
		.insert = &pd_notes_insert,
		.update = pd_notes_update,
		.delete = &pd_notes_delete,
		.description = "free-text notes (HTML) on deals, persons, organizations, leads, projects and tasks.",
	},
	{
		.name = "users",
		.list_path = "/api/v1/users",
		.item_path = "/api/v1/users/{id}",
		.key = "id",
		.rows_path = "data",
		.item_rows_path = "data",
		.default_rows = 50,
		.flavor = PD_V1,
		.columns = pd_users_columns,
		.filters = pd_no_filters,
		.description = "the people who work in the account.",
	},
	{
		.name = "activity_types",
		.list_path = "/api/v1/activityTypes",
		.key = "id",
		.rows_path = "data",
		.item_rows_path = "data",
		.default_rows = 20,
		.flavor = PD_V1,
		.columns = pd_activity_types_columns,
		.filters = pd_no_filters,
		.description = "the kinds an activity can have (call, meeting...).",
	},
	{
		.name = "currencies",
		.list_path = "/api/v1/currencies",
		.key = "id",
		.rows_path = "data",
		.item_rows_path = "data",
		.default_rows = 200,
		.flavor = PD_V1,
		.columns = pd_currencies_columns,
		.filters = pd_no_filters,
		.description = "the currencies the account can use in monetary values.",
	},
	{
		.name = "files",
		.list_path = "/api/v1/files",
		.item_path = "/api/v1/files/{id}",
		.key = "id",
		.paging = &pd_v1_files_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.default_rows = 1000,
		.flavor = PD_V1,
		.columns = pd_files_columns,
		.filters = pd_no_filters,
		.description = "the files attached to deals, persons, organizations and other items.",
	},
	{
		.name = "filters",
		.list_path = "/api/v1/filters",
		.item_path = "/api/v1/filters/{id}",
		.key = "id",
		.rows_path = "data",
		.item_rows_path = "data",
		.default_rows = 20,
		.flavor = PD_V1,
		.columns = pd_filters_columns,
		.filters = pd_filters_filters,
		.description = "the saved filters of the account, by the type of items they select.",
	},
	{
		.name = "deal_flow",
		.list_path = "/api/v1/deals/{deal_id}/flow",
		.paging = &pd_v1_paging,
		.rows_path = "data",
		.item_rows_path = "data",
		.default_rows = 20,
		.flavor = PD_V1,
		.columns = pd_deal_flow_columns,
		.filters = pd_deal_flow_filters,
		.description = "the change log of one deal (field changes, notes, activities, files), newest first. Listed only for given deals.",
	},
	{NULL}
};

static const CrmProviderOption pd_options[] = {
	{"api_token", CRM_OPTION_USER_MAPPING, CRM_OPTKIND_SECRET},
	{"access_token", CRM_OPTION_USER_MAPPING, CRM_OPTKIND_SECRET},
	{NULL}
};

/* what crm_fdw appends to the account's URL; never part of the url option */
static const char *const pd_api_paths[] = {"/api/v1", "/api/v2", NULL};

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

/*
 * HTTP says most: 404 on an item is no such item, 401 and 402 mean what
 * they say.  The body adds the vendor's words, and "success": false inside
 * a 2xx answer is a failure too.
 */
static void
pd_classify(const CrmEntity *entity, CrmAnswer *answer)
{
	json_t	   *json = answer->json;
	const char *message;
	json_t	   *code;

	crm_failure_from_status(answer);
	if (!json_is_object(json))
	{
		/* an answer with rows must be Pipedrive's envelope */
		if (answer->kind == CRM_ANSWER_ROWS)
		{
			answer->kind = CRM_ANSWER_FAILED;
			answer->failure = CRM_FAIL_BAD_ANSWER;
		}
		return;
	}
	message = json_string_value(json_object_get(json, "error"));
	if (message == NULL)
		message = json_string_value(json_object_get(json, "message"));
	code = json_object_get(json, "code");
	if (json_is_string(code))
		answer->vendor_code = json_string_value(code);
	if (answer->kind == CRM_ANSWER_FAILED)
		answer->vendor_message = message;
	else if (answer->kind == CRM_ANSWER_ROWS &&
			 json_is_false(json_object_get(json, "success")))
	{
		answer->kind = CRM_ANSWER_FAILED;
		answer->failure = CRM_FAIL_INVALID_INPUT;
		answer->vendor_message = message ? message : "the answer says success: false";
	}
}

/* "HH:MM:SS" to the "HH:MM" Pipedrive documents for times of day and durations. */
static void
pd_shorten_clock(json_t *body, const char *key)
{
	const char *text = json_string_value(json_object_get(body, key));

	if (text && strlen(text) == 8 && strcmp(text + 5, ":00") == 0)
		json_object_set_new(body, key, json_stringn(text, 5));
}

/* v1 spells flags 0 or 1 (its times are declared LOCAL, in UTC). */
static void
pd_v1_body(const CrmEntity *entity, json_t *body)
{
	const char *key;
	json_t	   *value;

	json_object_foreach(body, key, value)
	{
		const CrmColumn *column = crm_find_column(entity, key);

		if (column && strcmp(column->type, "boolean") == 0 &&
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

/* A written item as Pipedrive wants it. */
static void
pd_shape_write(const CrmEntity *entity, CmdType operation, json_t *body)
{
	if (strcmp(entity->name, "activities") == 0)
	{
		pd_activity_body(body);
		pd_shorten_clock(body, "due_time");
		pd_shorten_clock(body, "duration");
	}
	if (entity->flavor == PD_V1)
		pd_v1_body(entity, body);
}

/* "data" is the written item; v1 answers a DELETE with "data": true. */
static CrmItemVerdict
pd_item_written(const CrmEntity *entity, CmdType operation, json_t *item,
				const char **message)
{
	if (operation == CMD_DELETE || json_is_object(item))
		return CRM_ITEM_WRITTEN;
	*message = "the answer has no written item in \"data\"";
	return CRM_ITEM_UNKNOWN;
}

const CrmProvider crm_pipedrive_provider = {
	.name = "pipedrive",
	.display_name = "Pipedrive",
	.entities = pd_entities,
	.options = pd_options,
	.credential_hint = "api_token or access_token",
	/* v1 spells times "2026-01-31 12:00:00", in UTC */
	.time_zone = "UTC",
	.url_example = "https://acme.pipedrive.com",
	.api_paths = pd_api_paths,
	.auth_headers = pd_auth_headers,
	.classify = pd_classify,
	.shape_write = pd_shape_write,
	.item_written = pd_item_written,
};
