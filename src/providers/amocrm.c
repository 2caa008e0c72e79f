/*-------------------------------------------------------------------------
 *
 * amocrm.c
 *		amoCRM (Kommo) API v4: its entities, their filters, its HAL answers
 *		and its problem+json errors.
 *
 * Lists are HAL documents (items in _embedded.<entity>, the next page
 * announced by _links.next), paged by page number and limit (at most 250;
 * events 100); an empty page and an unknown item are HTTP 204.  Times are
 * Unix seconds.  The lead, contact and company list filters are an account
 * feature that may be off (is_api_filter_enabled): they are declared as
 * such, and the generic layer reads the account once per connection.
 *
 * The seed connector's fifteen tables each have a counterpart here: deals,
 * custom_fields_deals (deal_custom_field_values), contacts, companies,
 * statuses (stages), users, groups, note_types, task_types, element_types,
 * deal_statuses (deal_stage_changes), notes, tasks, events, custom_fields.
 *
 * Follows ../shared/reference/amocrm.  Never does I/O.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "commands/defrem.h"

#include "provider.h"

#define RO		CRM_COL_READONLY
#define KEY		(CRM_COL_KEY | CRM_COL_READONLY)
#define UNIX	.wire = CRM_FMT_UNIX

/* HAL pages: page numbers from 1, while _links.next is there */
#define AMO_PAGING(size) { \
	.style = CRM_PAGING_PAGE, \
	.size_param = "limit", \
	.position_param = "page", \
	.max_size = size, \
	.next_from = CRM_NEXT_LINK, \
	.next_path = "_links.next.href", \
}
static const CrmPaging amo_paging = AMO_PAGING(250);
static const CrmPaging amo_events_paging = AMO_PAGING(100);
static const CrmPaging amo_fields_paging = AMO_PAGING(50);

/*
 * Writes go in arrays: up to 250 items a request, 50 unless batch_size
 * says otherwise (the bound the docs give for complex adds, and what they
 * recommend).  A POST's items carry their position as request_id, which
 * the answer echoes; a PATCH answers in the order sent.  A batch that
 * fails validation is refused whole.
 */
#define AMO_INSERT(entity_path, items) { \
	.method = "POST", .path = entity_path, .batch_size = 250, .default_batch = 50, \
	.answer_items = items, .request_id_param = "request_id"}
#define AMO_UPDATE(entity_path, items) { \
	{.method = "PATCH", .path = entity_path, .batch_size = 250, .default_batch = 50, \
	 .answer_items = items, .key_param = "id"}, \
	{NULL}}

static const CrmWriteRoute amo_deals_insert = AMO_INSERT("/api/v4/leads", "_embedded.leads");
static const CrmWriteRoute amo_deals_update[] = AMO_UPDATE("/api/v4/leads", "_embedded.leads");
static const CrmWriteRoute amo_contacts_insert = AMO_INSERT("/api/v4/contacts", "_embedded.contacts");
static const CrmWriteRoute amo_contacts_update[] = AMO_UPDATE("/api/v4/contacts", "_embedded.contacts");
static const CrmWriteRoute amo_companies_insert = AMO_INSERT("/api/v4/companies", "_embedded.companies");
static const CrmWriteRoute amo_companies_update[] = AMO_UPDATE("/api/v4/companies", "_embedded.companies");
static const CrmWriteRoute amo_tasks_insert = AMO_INSERT("/api/v4/tasks", "_embedded.tasks");
static const CrmWriteRoute amo_tasks_update[] = AMO_UPDATE("/api/v4/tasks", "_embedded.tasks");
/* a note goes to the notes of its entity type: one path per type */
static const CrmWriteRoute amo_notes_insert = AMO_INSERT("/api/v4/{entity_type}/notes",
														 "_embedded.notes");

#define AMO_NO_DELETE(what) \
	"amoCRM's API v4 has no way to delete " what "; only its web interface deletes them."

/* ---- filters, spelled as the docs spell them ---- */

/* a list of values, filter[x][]=1&filter[x][]=2 */
#define AMO_LIST(col, name, fmt, account) \
	{.column = col, .ops = CRM_OP_EQ | CRM_OP_IN, .format = fmt, \
	 .param = "filter[" name "][]", .list_style = CRM_LIST_REPEAT, \
	 .max_list = 50, .account_feature = account}
/* a range, filter[x][from] and filter[x][to], both inclusive */
#define AMO_RANGE(col, name, fmt, account) \
	{.column = col, .ops = CRM_OP_RANGE, .format = fmt, \
	 .param = "filter[" name "][from]", .upper_param = "filter[" name "][to]", \
	 .upper_inclusive = true, .account_feature = account}

/* ---- deals (leads) ---- */

static const CrmColumn amo_deals_columns[] = {
	{"id", "bigint", KEY, "ID of the deal."},
	{"name", "text", 0, "Name of the deal."},
	{"price", "bigint", 0, "Budget of the deal."},
	{"responsible_user_id", "bigint", 0, "ID of the user responsible for the deal."},
	{"group_id", "bigint", RO, "ID of the group of the user responsible for the deal."},
	{"status_id", "bigint", 0, "ID of the stage (status) the deal is in; 142 is won, 143 lost, in every pipeline."},
	{"pipeline_id", "bigint", 0, "ID of the pipeline the deal is in."},
	{"loss_reason_id", "bigint", 0, "ID of the reason the deal was lost."},
	{"loss_reason_name", "text", RO, "Name of the reason the deal was lost (read with with=loss_reason).",
	"_embedded.loss_reason.0.name", .request_option = "loss_reason"},
	{"source_id", "bigint", RO, "ID of the source of the deal (read with with=source_id).",
	.request_option = "source_id"},
	{"created_by", "bigint", RO, "ID of the user who created the deal."},
	{"updated_by", "bigint", RO, "ID of the user who changed the deal last."},
	{"created_at", "timestamptz", RO, "When the deal was created.", UNIX},
	{"updated_at", "timestamptz", RO, "When the deal was changed last.", UNIX},
	{"closed_at", "timestamptz", 0, "When the deal was closed.", UNIX},
	{"closest_task_at", "timestamptz", RO, "When the deal's nearest task is due.", UNIX},
	{"is_deleted", "boolean", RO, "Whether the deal is deleted."},
	{"score", "integer", RO, "Scoring of the deal."},
	{"account_id", "bigint", RO, "ID of the account the deal is in."},
	{"labor_cost", "integer", RO, "Time spent on the deal, in seconds."},
	{"custom_fields_values", "jsonb", 0, "Values of the deal's additional (custom) fields."},
	{"tags", "jsonb", RO, "Tags of the deal.", "_embedded.tags"},
	{"contact_ids", "bigint[]", RO, "IDs of the contacts linked to the deal (read with with=contacts).",
	"_embedded.contacts.*.id", .request_option = "contacts"},
	{"contacts", "jsonb", RO, "Contacts linked to the deal, each with is_main (read with with=contacts).",
	"_embedded.contacts", .request_option = "contacts"},
	{"company_id", "bigint", RO, "ID of the company linked to the deal: a deal has one at most.",
	"_embedded.companies.0.id"},
	{NULL}
};

static const CrmFilter amo_deals_filters[] = {
	AMO_LIST("id", "id", CRM_FMT_INTEGER, true),
	AMO_LIST("name", "name", CRM_FMT_TEXT, true),
	AMO_RANGE("price", "price", CRM_FMT_INTEGER, true),
	AMO_LIST("pipeline_id", "pipeline_id", CRM_FMT_INTEGER, true),
	/* each entry needs its pipeline: statuses 142 and 143 are in all */
	{.column = "status_id", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	 .param = "filter[statuses][{i}][status_id]", .list_style = CRM_LIST_INDEXED,
	 .max_list = 50, .pair_column = "pipeline_id",
	.pair_param = "filter[statuses][{i}][pipeline_id]", .account_feature = true},
	AMO_LIST("created_by", "created_by", CRM_FMT_INTEGER, true),
	AMO_LIST("updated_by", "updated_by", CRM_FMT_INTEGER, true),
	AMO_LIST("responsible_user_id", "responsible_user_id", CRM_FMT_INTEGER, true),
	AMO_RANGE("created_at", "created_at", CRM_FMT_UNIX, true),
	AMO_RANGE("updated_at", "updated_at", CRM_FMT_UNIX, true),
	AMO_RANGE("closed_at", "closed_at", CRM_FMT_UNIX, true),
	AMO_RANGE("closest_task_at", "closest_task_at", CRM_FMT_UNIX, true),
	{NULL}
};

/* ---- contacts and companies ---- */

static const CrmColumn amo_contacts_columns[] = {
	{"id", "bigint", KEY, "ID of the contact."},
	{"name", "text", 0, "Full name of the contact."},
	{"first_name", "text", 0, "First name of the contact."},
	{"last_name", "text", 0, "Last name of the contact."},
	{"responsible_user_id", "bigint", 0, "ID of the user responsible for the contact."},
	{"group_id", "bigint", RO, "ID of the group of the user responsible for the contact."},
	{"created_by", "bigint", RO, "ID of the user who created the contact."},
	{"updated_by", "bigint", RO, "ID of the user who changed the contact last."},
	{"created_at", "timestamptz", RO, "When the contact was created.", UNIX},
	{"updated_at", "timestamptz", RO, "When the contact was changed last.", UNIX},
	{"closest_task_at", "timestamptz", RO, "When the contact's nearest task is due.", UNIX},
	{"is_deleted", "boolean", RO, "Whether the contact is deleted."},
	{"is_unsorted", "boolean", RO, "Whether the contact is in the unsorted inbox."},
	{"account_id", "bigint", RO, "ID of the account the contact is in."},
	{"custom_fields_values", "jsonb", 0, "Values of the contact's additional (custom) fields: phones, emails and the rest."},
	{"tags", "jsonb", RO, "Tags of the contact.", "_embedded.tags"},
	{"company_ids", "bigint[]", RO, "IDs of the companies linked to the contact.",
	"_embedded.companies.*.id"},
	{"lead_ids", "bigint[]", RO, "IDs of the deals linked to the contact (read with with=leads).",
	"_embedded.leads.*.id", .request_option = "leads"},
	{NULL}
};

static const CrmFilter amo_contacts_filters[] = {
	AMO_LIST("id", "id", CRM_FMT_INTEGER, true),
	AMO_LIST("name", "name", CRM_FMT_TEXT, true),
	AMO_LIST("created_by", "created_by", CRM_FMT_INTEGER, true),
	AMO_LIST("updated_by", "updated_by", CRM_FMT_INTEGER, true),
	AMO_LIST("responsible_user_id", "responsible_user_id", CRM_FMT_INTEGER, true),
	AMO_RANGE("created_at", "created_at", CRM_FMT_UNIX, true),
	AMO_RANGE("updated_at", "updated_at", CRM_FMT_UNIX, true),
	AMO_RANGE("closest_task_at", "closest_task_at", CRM_FMT_UNIX, true),
	{NULL}
};

static const CrmColumn amo_companies_columns[] = {
	{"id", "bigint", KEY, "ID of the company."},
	{"name", "text", 0, "Name of the company."},
	{"responsible_user_id", "bigint", 0, "ID of the user responsible for the company."},
	{"group_id", "bigint", RO, "ID of the group of the user responsible for the company."},
	{"created_by", "bigint", RO, "ID of the user who created the company."},
	{"updated_by", "bigint", RO, "ID of the user who changed the company last."},
	{"created_at", "timestamptz", RO, "When the company was created.", UNIX},
	{"updated_at", "timestamptz", RO, "When the company was changed last.", UNIX},
	{"closest_task_at", "timestamptz", RO, "When the company's nearest task is due.", UNIX},
	{"is_deleted", "boolean", RO, "Whether the company is deleted."},
	{"account_id", "bigint", RO, "ID of the account the company is in."},
	{"custom_fields_values", "jsonb", 0, "Values of the company's additional (custom) fields."},
	{"tags", "jsonb", RO, "Tags of the company.", "_embedded.tags"},
	{"contact_ids", "bigint[]", RO, "IDs of the contacts linked to the company (read with with=contacts).",
	"_embedded.contacts.*.id", .request_option = "contacts"},
	{"lead_ids", "bigint[]", RO, "IDs of the deals linked to the company (read with with=leads).",
	"_embedded.leads.*.id", .request_option = "leads"},
	{NULL}
};

static const CrmFilter amo_companies_filters[] = {
	AMO_LIST("id", "id", CRM_FMT_INTEGER, true),
	AMO_LIST("name", "name", CRM_FMT_TEXT, true),
	AMO_LIST("created_by", "created_by", CRM_FMT_INTEGER, true),
	AMO_LIST("updated_by", "updated_by", CRM_FMT_INTEGER, true),
	AMO_LIST("responsible_user_id", "responsible_user_id", CRM_FMT_INTEGER, true),
	AMO_RANGE("created_at", "created_at", CRM_FMT_UNIX, true),
	AMO_RANGE("updated_at", "updated_at", CRM_FMT_UNIX, true),
	AMO_RANGE("closest_task_at", "closest_task_at", CRM_FMT_UNIX, true),
	{NULL}
};

/* ---- pipelines and their stages (statuses) ---- */

static const CrmColumn amo_pipelines_columns[] = {
	{"id", "bigint", KEY, "ID of the pipeline."},
	{"name", "text", 0, "Name of the pipeline."},
	{"sort", "integer", 0, "Position of the pipeline in the list."},
	{"is_main", "boolean", 0, "Whether the pipeline is the main one."},
	{"is_unsorted_on", "boolean", 0, "Whether the pipeline has an unsorted inbox."},
	{"is_archive", "boolean", 0, "Whether the pipeline is archived."},
	{"account_id", "bigint", RO, "ID of the account the pipeline is in."},
	{"statuses", "jsonb", RO, "The pipeline's stages (statuses).", "_embedded.statuses"},
	{NULL}
};

/* one row per status of each pipeline, with its pipeline's fields */
static const char *const amo_stages_unnest[] = {"_embedded.statuses", NULL};

static const CrmColumn amo_stages_columns[] = {
	{"id", "bigint", RO, "ID of the stage (status); 142 (won) and 143 (lost) are in every pipeline."},
	{"name", "text", RO, "Name of the stage."},
	{"sort", "integer", RO, "Position of the stage in its pipeline."},
	{"is_editable", "boolean", RO, "Whether the stage can be changed."},
	{"pipeline_id", "bigint", RO, "ID of the pipeline of the stage."},
	{"color", "text", RO, "Colour of the stage."},
	{"type", "integer", RO, "Type of the stage: 0 an ordinary one, 1 the unsorted inbox."},
	{"account_id", "bigint", RO, "ID of the account."},
	{"pipeline_name", "text", RO, "Name of the pipeline of the stage.", "^name"},
	{"pipeline_sort", "integer", RO, "Position of the pipeline in the list.", "^sort"},
	{"pipeline_is_main", "boolean", RO, "Whether the stage's pipeline is the main one.", "^is_main"},
	{"pipeline_is_archive", "boolean", RO, "Whether the stage's pipeline is archived.", "^is_archive"},
	{NULL}
};

static const CrmColumn amo_loss_reasons_columns[] = {
	{"id", "bigint", KEY, "ID of the loss reason."},
	{"name", "text", RO, "Name of the loss reason."},
	{"sort", "integer", RO, "Position of the loss reason in the list."},
	{"created_at", "timestamptz", RO, "When the loss reason was created.", UNIX},
	{"updated_at", "timestamptz", RO, "When the loss reason was changed last.", UNIX},
	{NULL}
};

/* ---- users, groups, task types: the account's people and dictionaries ---- */

static const CrmColumn amo_users_columns[] = {
	{"id", "bigint", KEY, "ID of the user."},
	{"name", "text", RO, "Full name of the user."},
	{"email", "text", RO, "E-mail of the user, the login."},
	{"lang", "text", RO, "Language of the user: ru, en or es."},
	{"group_id", "bigint", RO, "ID of the group the user belongs to.", "rights.group_id"},
	{"role_id", "bigint", RO, "ID of the role of the user.", "rights.role_id"},
	{"is_admin", "boolean", RO, "Whether the user is an administrator.", "rights.is_admin"},
	{"is_active", "boolean", RO, "Whether the user's account is active; an inactive user cannot sign in.", "rights.is_active"},
	{"is_free", "boolean", RO, "Whether the user's seat is free of charge.", "rights.is_free"},
	{"rights", "jsonb", RO, "Access rights of the user."},
	{NULL}
};

static const char *const amo_groups_params[] = {"with", "users_groups", NULL};

static const CrmColumn amo_groups_columns[] = {
	{"id", "bigint", RO, "ID of the group of users."},
	{"name", "text", RO, "Name of the group."},
	{NULL}
};

static const char *const amo_task_types_params[] = {"with", "task_types", NULL};

static const CrmColumn amo_task_types_columns[] = {
	{"id", "bigint", RO, "ID of the task type."},
	{"name", "text", RO, "Name of the task type."},
	{"color", "text", RO, "Colour of the task type."},
	{"icon_id", "bigint", RO, "ID of the task type's icon."},
	{"code", "text", RO, "Code of the task type (FOLLOW_UP, MEETING...); none for types the account added."},
	{NULL}
};

/* ---- tasks ---- */

static const CrmColumn amo_tasks_columns[] = {
	{"id", "bigint", KEY, "ID of the task."},
	{"created_by", "bigint", RO, "ID of the user who created the task."},
	{"updated_by", "bigint", RO, "ID of the user who changed the task last."},
	{"created_at", "timestamptz", RO, "When the task was created.", UNIX},
	{"updated_at", "timestamptz", RO, "When the task was changed last.", UNIX},
	{"responsible_user_id", "bigint", 0, "ID of the user responsible for the task."},
	{"group_id", "bigint", RO, "ID of the group of the user responsible for the task."},
	{"entity_id", "bigint", 0, "ID of the deal, contact or company the task is for."},
	{"entity_type", "text", 0, "Type of that entity: leads, contacts, companies or customers."},
	{"is_completed", "boolean", 0, "Whether the task is done."},
	{"task_type_id", "bigint", 0, "ID of the task's type."},
	{"text", "text", 0, "What the task is."},
	{"duration", "integer", 0, "Duration of the task, in seconds."},
	{"complete_till", "timestamptz", 0, "When the task is due.", UNIX},
	{"result_text", "text", 0, "The outcome of the task, written when it was done.", "result.text"},
	{"account_id", "bigint", RO, "ID of the account the task is in."},
	{NULL}
};

static const CrmFilter amo_tasks_filters[] = {
	AMO_LIST("id", "id", CRM_FMT_INTEGER, false),
	AMO_LIST("responsible_user_id", "responsible_user_id", CRM_FMT_INTEGER, false),
	{.column = "is_completed", .ops = CRM_OP_EQ | CRM_OP_BOOL, .format = CRM_FMT_BOOL01,
	.param = "filter[is_completed]"},
	AMO_LIST("task_type_id", "task_type", CRM_FMT_INTEGER, false),
	{.column = "entity_type", .ops = CRM_OP_EQ, .format = CRM_FMT_TEXT,
	.param = "filter[entity_type]"},
	/* entity ids mean something only with their one entity type */
	{.column = "entity_id", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	 .param = "filter[entity_id][]", .list_style = CRM_LIST_REPEAT, .max_list = 50,
	.pair_column = "entity_type", .pair_param = "filter[entity_type]"},
	AMO_RANGE("updated_at", "updated_at", CRM_FMT_UNIX, false),
	{NULL}
};

/* ---- notes: one table over the notes of leads, contacts and companies ---- */

static const char *const amo_note_entities[] = {"leads", "contacts", "companies", NULL};

static const CrmColumn amo_notes_columns[] = {
	{"id", "bigint", RO, "ID of the note."},
	{"entity_type", "text", CRM_COL_CALL_VALUE, "Type of the entity the note is on: leads, contacts or companies (from the path the note was read from, and written to)."},
	{"entity_id", "bigint", 0, "ID of the deal, contact or company the note is on."},
	{"created_by", "bigint", RO, "ID of the user who created the note."},
	{"updated_by", "bigint", RO, "ID of the user who changed the note last."},
	{"created_at", "timestamptz", RO, "When the note was created.", UNIX},
	{"updated_at", "timestamptz", RO, "When the note was changed last.", UNIX},
	{"responsible_user_id", "bigint", 0, "ID of the user responsible for the note."},
	{"group_id", "bigint", RO, "ID of the group of that user."},
	{"note_type", "text", 0, "Type of the note: common, call_in, call_out, service_message and the others of note_types."},
	{"text", "text", 0, "Text of the note, where its type has one.", "params.text"},
	{"params", "jsonb", 0, "Properties of the note, which depend on its type."},
	{"account_id", "bigint", RO, "ID of the account the note is in."},
	{NULL}
};

static const CrmFilter amo_notes_filters[] = {
	{.column = "entity_type", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_TEXT,
	 .param = "entity_type", .max_list = 1, .in_path = true,
	.domain = amo_note_entities},
	AMO_LIST("id", "id", CRM_FMT_INTEGER, false),
	AMO_LIST("entity_id", "entity_id", CRM_FMT_INTEGER, false),
	AMO_LIST("note_type", "note_type", CRM_FMT_TEXT, false),
	AMO_RANGE("updated_at", "updated_at", CRM_FMT_UNIX, false),
	{NULL}
};

/* ---- events, and the stage changes among them ---- */

static const CrmColumn amo_events_columns[] = {
	{"id", "text", KEY, "ID of the event."},
	{"type", "text", RO, "Type of the event: lead_added, lead_status_changed, incoming_call..."},
	{"entity_id", "bigint", RO, "ID of the entity the event happened to."},
	{"entity_type", "text", RO, "Type of that entity: lead, contact, company, customer, task."},
	{"created_by", "bigint", RO, "ID of the user who caused the event."},
	{"created_at", "timestamptz", RO, "When the event happened.", UNIX},
	{"value_after", "jsonb", RO, "What the event changed to."},
	{"value_before", "jsonb", RO, "What the event changed from."},
	{"account_id", "bigint", RO, "ID of the account."},
	{NULL}
};

static const CrmFilter amo_events_filters[] = {
	AMO_LIST("id", "id", CRM_FMT_TEXT, false),
	AMO_LIST("type", "type", CRM_FMT_TEXT, false),
	{.column = "entity_type", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_TEXT,
	 .param = "filter[entity][]", .list_style = CRM_LIST_REPEAT},
	/* entity ids need a single entity type beside them; ten at most */
	{.column = "entity_id", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	 .param = "filter[entity_id][]", .list_style = CRM_LIST_REPEAT, .max_list = 10,
	.pair_column = "entity_type", .pair_param = "filter[entity]"},
	{.column = "created_by", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	 .param = "filter[created_by][]", .list_style = CRM_LIST_REPEAT, .max_list = 10},
	AMO_RANGE("created_at", "created_at", CRM_FMT_UNIX, false),
	{NULL}
};

static const char *const amo_stage_change_params[] = {
	"filter[type][]", "lead_status_changed", "filter[entity][]", "lead", NULL
};

static const CrmColumn amo_stage_changes_columns[] = {
	{"id", "text", KEY, "ID of the event."},
	{"lead_id", "bigint", RO, "ID of the deal whose stage changed.", "entity_id"},
	{"old_pipeline_id", "bigint", RO, "Pipeline of the deal before the change.",
	"value_before.0.lead_status.pipeline_id"},
	{"old_status_id", "bigint", RO, "Stage (status) of the deal before the change.",
	"value_before.0.lead_status.id"},
	{"new_pipeline_id", "bigint", RO, "Pipeline of the deal after the change.",
	"value_after.0.lead_status.pipeline_id"},
	{"new_status_id", "bigint", RO, "Stage (status) of the deal after the change.",
	"value_after.0.lead_status.id"},
	{"created_by", "bigint", RO, "ID of the user who moved the deal."},
	{"created_at", "timestamptz", RO, "When the deal moved.", UNIX},
	{"account_id", "bigint", RO, "ID of the account."},
	{NULL}
};

static const CrmFilter amo_stage_changes_filters[] = {
	{.column = "entity_id", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	 .param = "filter[entity_id][]", .list_style = CRM_LIST_REPEAT, .max_list = 10},
	{.column = "created_by", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	 .param = "filter[created_by][]", .list_style = CRM_LIST_REPEAT, .max_list = 10},
	AMO_RANGE("created_at", "created_at", CRM_FMT_UNIX, false),
	{NULL}
};

/* ---- custom fields: definitions, and a deal's values one per row ---- */

static const char *const amo_field_entities[] = {"leads", "contacts", "companies", NULL};

static const CrmColumn amo_custom_fields_columns[] = {
	{"id", "bigint", RO, "ID of the field."},
	{"entity_type", "text", RO | CRM_COL_CALL_VALUE, "Entity the field belongs to: leads, contacts or companies."},
	{"name", "text", RO, "Name of the field."},
	{"type", "text", RO, "Type of the field: text, numeric, checkbox, select, multiselect, date, url, textarea, multitext..."},
	{"code", "text", RO, "Code of the field (PHONE, EMAIL...), where it has one."},
	{"sort", "integer", RO, "Position of the field."},
	{"is_api_only", "boolean", RO, "Whether the field can be changed only through the API."},
	{"is_required", "boolean", RO, "Whether the field must be filled."},
	{"group_id", "text", RO, "ID of the group of fields it is in."},
	{"enums", "jsonb", RO, "The values a select, multiselect or multitext field offers: id, value, sort."},
	{"account_id", "bigint", RO, "ID of the account."},
	{NULL}
};

static const CrmFilter amo_custom_fields_filters[] = {
	{.column = "entity_type", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_TEXT,
	 .param = "entity_type", .max_list = 1, .in_path = true,
	.domain = amo_field_entities},
	{NULL}
};

static const char *const amo_field_values_unnest[] = {
	"custom_fields_values", "values", NULL
};

static const CrmColumn amo_field_values_columns[] = {
	{"lead_id", "bigint", RO, "ID of the deal.", "^^id"},
	{"field_id", "bigint", RO, "ID of the additional field.", "^field_id"},
	{"field_name", "text", RO, "Name of the field.", "^field_name"},
	{"field_code", "text", RO, "Code of the field, where it has one.", "^field_code"},
	{"field_type", "text", RO, "Type of the field.", "^field_type"},
	{"enum_id", "bigint", RO, "ID of the chosen enum value, for select and multiselect fields."},
	{"enum_code", "text", RO, "Code of the chosen enum value (WORK, MOB...), where it has one."},
	{"value", "text", RO, "The value, as text."},
	{NULL}
};

static const CrmFilter amo_field_values_filters[] = {
	AMO_LIST("^^id", "id", CRM_FMT_INTEGER, true),
	{NULL}
};

/* ---- lists amoCRM documents rather than serves ---- */

static const CrmColumn amo_note_types_columns[] = {
	{"code", "text", RO, "Code of the note type, as notes' note_type spells it."},
	{"name", "text", RO, "What the note type is."},
	{"editable", "boolean", RO, "Whether notes of this type can be added and changed through the API."},
	{NULL}
};

static const char amo_note_types[] =
"[{\"code\":\"common\",\"name\":\"Text note\",\"editable\":true},"
"{\"code\":\"call_in\",\"name\":\"Incoming call\",\"editable\":true},"
"{\"code\":\"call_out\",\"name\":\"Outgoing call\",\"editable\":true},"
"{\"code\":\"service_message\",\"name\":\"System message (added by integrations)\",\"editable\":true},"
"{\"code\":\"message_cashier\",\"name\":\"Message to the cashier\",\"editable\":true},"
"{\"code\":\"geolocation\",\"name\":\"Text note with geolocation (added by the mobile app)\",\"editable\":true},"
"{\"code\":\"sms_in\",\"name\":\"Incoming SMS\",\"editable\":true},"
"{\"code\":\"sms_out\",\"name\":\"Outgoing SMS\",\"editable\":true},"
"{\"code\":\"extended_service_message\",\"name\":\"Extended system message\",\"editable\":true},"
"{\"code\":\"attachment\",\"name\":\"Note with a file\",\"editable\":true}]";

static const CrmColumn amo_element_types_columns[] = {
	{"id", "integer", RO, "Number of the element type, as older API versions and integrations use it."},
	{"code", "text", RO, "Name of the entity in API v4 paths and entity_type columns."},
	{"name", "text", RO, "What the element is."},
	{NULL}
};

static const char amo_element_types[] =
"[{\"id\":1,\"code\":\"contacts\",\"name\":\"Contact\"},"
"{\"id\":2,\"code\":\"leads\",\"name\":\"Deal\"},"
"{\"id\":3,\"code\":\"companies\",\"name\":\"Company\"},"
"{\"id\":12,\"code\":\"customers\",\"name\":\"Customer\"}]";

static const CrmEntity amo_entities[] = {
	{
		.name = "deals",
		.description = "the deals (leads) of the account, each in a stage (status) of a pipeline.",
		.list_path = "/api/v4/leads",
		.item_path = "/api/v4/leads/{id}",
		.key = "id",
		.paging = &amo_paging,
		.rows_path = "_embedded.leads",
		.request_option_param = "with",
		.default_rows = 5000,
		.columns = amo_deals_columns,
		.filters = amo_deals_filters,
		.insert = &amo_deals_insert,
		.update = amo_deals_update,
		.no_delete_hint = AMO_NO_DELETE("deals"),
	},
	{
		.name = "contacts",
		.description = "the people the account deals with.",
		.list_path = "/api/v4/contacts",
		.item_path = "/api/v4/contacts/{id}",
		.key = "id",
		.paging = &amo_paging,
		.rows_path = "_embedded.contacts",
		.request_option_param = "with",
		.default_rows = 5000,
		.columns = amo_contacts_columns,
		.filters = amo_contacts_filters,
		.insert = &amo_contacts_insert,
		.update = amo_contacts_update,
		.no_delete_hint = AMO_NO_DELETE("contacts"),
	},
	{
		.name = "companies",
		.description = "the companies the contacts belong to.",
		.list_path = "/api/v4/companies",
		.item_path = "/api/v4/companies/{id}",
		.key = "id",
		.paging = &amo_paging,
		.rows_path = "_embedded.companies",
		.request_option_param = "with",
		.default_rows = 2000,
		.columns = amo_companies_columns,
		.filters = amo_companies_filters,
		.insert = &amo_companies_insert,
		.update = amo_companies_update,
		.no_delete_hint = AMO_NO_DELETE("companies"),
	},
	{
		.name = "pipelines",
		.description = "the sales pipelines, each with its stages.",
		.list_path = "/api/v4/leads/pipelines",
		.item_path = "/api/v4/leads/pipelines/{id}",
		.key = "id",
		.rows_path = "_embedded.pipelines",
		.default_rows = 5,
		.columns = amo_pipelines_columns,
	},
	{
		.name = "stages",
		.description = "the stages (statuses) of every pipeline, one row each, with their pipeline's name, position and whether it is the main one.",
		.list_path = "/api/v4/leads/pipelines",
		.rows_path = "_embedded.pipelines",
		.unnest = amo_stages_unnest,
		.default_rows = 40,
		.columns = amo_stages_columns,
	},
	{
		.name = "loss_reasons",
		.description = "the reasons a deal can be lost for.",
		.list_path = "/api/v4/leads/loss_reasons",
		.item_path = "/api/v4/leads/loss_reasons/{id}",
		.key = "id",
		.paging = &amo_paging,
		.rows_path = "_embedded.loss_reasons",
		.default_rows = 10,
		.columns = amo_loss_reasons_columns,
	},
	{
		.name = "users",
		.description = "the users of the account.",
		.list_path = "/api/v4/users",
		.item_path = "/api/v4/users/{id}",
		.key = "id",
		.paging = &amo_paging,
		.rows_path = "_embedded.users",
		.default_rows = 20,
		.columns = amo_users_columns,
	},
	{
		.name = "groups",
		.description = "the groups of users of the account (from the account's users_groups).",
		.list_path = "/api/v4/account",
		.fixed_params = amo_groups_params,
		.rows_path = "_embedded.users_groups",
		.default_rows = 5,
		.columns = amo_groups_columns,
	},
	{
		.name = "task_types",
		.description = "the types a task can have (from the account's task_types).",
		.list_path = "/api/v4/account",
		.fixed_params = amo_task_types_params,
		.rows_path = "_embedded.task_types",
		.default_rows = 5,
		.columns = amo_task_types_columns,
	},
	{
		.name = "tasks",
		.description = "the tasks of the account, open and done, on deals, contacts and companies.",
		.list_path = "/api/v4/tasks",
		.item_path = "/api/v4/tasks/{id}",
		.key = "id",
		.paging = &amo_paging,
		.rows_path = "_embedded.tasks",
		.default_rows = 2000,
		.columns = amo_tasks_columns,
		.filters = amo_tasks_filters,
		.insert = &amo_tasks_insert,
		.update = amo_tasks_update,
		.no_delete_hint = AMO_NO_DELETE("tasks"),
	},
	{
		.name = "notes",
		.description = "the notes on deals, contacts and companies; without a condition on entity_type, each of the three is read in turn.",
		.list_path = "/api/v4/{entity_type}/notes",
		.key = "id",
		.paging = &amo_paging,
		.rows_path = "_embedded.notes",
		.default_rows = 3000,
		.columns = amo_notes_columns,
		.filters = amo_notes_filters,
		.insert = &amo_notes_insert,
		.no_delete_hint = AMO_NO_DELETE("notes"),
	},
	{
		.name = "events",
		.description = "what happened in the account: deals added and moved, calls, notes, tasks and field changes.",
		.list_path = "/api/v4/events",
		.item_path = "/api/v4/events/{id}",
		.key = "id",
		.paging = &amo_events_paging,
		.rows_path = "_embedded.events",
		.default_rows = 10000,
		.columns = amo_events_columns,
		.filters = amo_events_filters,
	},
	{
		.name = "deal_stage_changes",
		.description = "the stage changes of deals (events of type lead_status_changed): from which pipeline and stage to which, by whom, when.",
		.list_path = "/api/v4/events",
		.fixed_params = amo_stage_change_params,
		.paging = &amo_events_paging,
		.rows_path = "_embedded.events",
		.default_rows = 3000,
		.columns = amo_stage_changes_columns,
		.filters = amo_stage_changes_filters,
	},
	{
		.name = "custom_fields",
		.description = "the additional fields of deals, contacts and companies, with their types and values to choose from.",
		.list_path = "/api/v4/{entity_type}/custom_fields",
		.paging = &amo_fields_paging,
		.rows_path = "_embedded.custom_fields",
		.default_rows = 30,
		.columns = amo_custom_fields_columns,
		.filters = amo_custom_fields_filters,
	},
	{
		.name = "deal_custom_field_values",
		.description = "the values of the deals' additional fields, one row per deal, field and value.",
		.list_path = "/api/v4/leads",
		.paging = &amo_paging,
		.rows_path = "_embedded.leads",
		.unnest = amo_field_values_unnest,
		.default_rows = 10000,
		.columns = amo_field_values_columns,
		.filters = amo_field_values_filters,
	},
	{
		.name = "note_types",
		.description = "the types a note can have, as amoCRM documents them.",
		.constant_rows = amo_note_types,
		.default_rows = 10,
		.columns = amo_note_types_columns,
	},
	{
		.name = "element_types",
		.description = "the kinds of element notes and tasks attach to, as amoCRM documents them.",
		.constant_rows = amo_element_types,
		.default_rows = 4,
		.columns = amo_element_types_columns,
	},
	{NULL}
};

static const CrmProviderOption amo_options[] = {
	{"access_token", CRM_OPTION_USER_MAPPING, CRM_OPTKIND_SECRET},
	{NULL}
};

static const char *const amo_api_paths[] = {"/api/v4", NULL};

static const CrmFiltersProbe amo_filters_probe = {
	.path = "/api/v4/account?with=is_api_filter_enabled",
	.enabled_path = "is_api_filter_enabled",
	.setting = "is_api_filter_enabled is false",
};

static void
amo_auth_headers(List *options, List **headers)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "access_token") == 0)
		{
			*headers = lappend(*headers,
							   psprintf("Authorization: Bearer %s", defGetString(def)));
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
			 errmsg("the user mapping has no amoCRM credentials"),
			 errhint("Add OPTIONS (access_token '...'): an OAuth access token or a long-lived token of the account's integration.")));
}

/*
 * HTTP says most; 204 is "no rows", an empty page or an unknown item.  A
 * problem+json body adds the vendor's words: its detail or title, and for
 * a validation failure the items and fields it names.
 */
static void
amo_classify(const CrmEntity *entity, CrmAnswer *answer)
{
	json_t	   *json = answer->json;
	json_t	   *problems;
	StringInfoData words;

	crm_failure_from_status(answer);
	if (answer->kind != CRM_ANSWER_FAILED || !json_is_object(json))
		return;

	initStringInfo(&words);
	if (json_string_value(json_object_get(json, "detail")))
		appendStringInfoString(&words, json_string_value(json_object_get(json, "detail")));
	else if (json_string_value(json_object_get(json, "title")))
		appendStringInfoString(&words, json_string_value(json_object_get(json, "title")));

	problems = json_object_get(json, "validation-errors");
	for (size_t i = 0; i < json_array_size(problems); i++)
	{
		json_t	   *item = json_array_get(problems, i);
		json_t	   *errors = json_object_get(item, "errors");
		json_t	   *request_id = json_object_get(item, "request_id");

		/* which item of a batch: its request_id, or its position */
		if (json_is_string(request_id) &&
			strspn(json_string_value(request_id), "0123456789") ==
			strlen(json_string_value(request_id)) && *json_string_value(request_id))
			answer->failed_items = lappend_int(answer->failed_items,
											   atoi(json_string_value(request_id)));
		else if (json_is_integer(request_id))
			answer->failed_items = lappend_int(answer->failed_items,
											   (int) json_integer_value(request_id));

		for (size_t j = 0; j < json_array_size(errors); j++)
		{
			json_t	   *e = json_array_get(errors, j);

			if (json_is_string(request_id))
				appendStringInfo(&words, "%sitem %s", words.len ? "; " : "",
								 json_string_value(request_id));
			else if (json_is_integer(request_id))
				appendStringInfo(&words, "%sitem %" JSON_INTEGER_FORMAT,
								 words.len ? "; " : "", json_integer_value(request_id));
			appendStringInfo(&words, "%s%s: %s",
							 json_is_string(request_id) || json_is_integer(request_id) ?
							 ", " : words.len ? "; " : "",
							 json_string_value(json_object_get(e, "path")) ?
							 json_string_value(json_object_get(e, "path")) : "?",
							 json_string_value(json_object_get(e, "detail")) ?
							 json_string_value(json_object_get(e, "detail")) : "invalid");
		}
	}
	if (words.len)
		answer->vendor_message = words.data;
}

const CrmProvider crm_amocrm_provider = {
	.name = "amocrm",
	.display_name = "amoCRM",
	.entities = amo_entities,
	.options = amo_options,
	.credential_hint = "access_token",
	.time_zone = "UTC",
	.url_example = "https://acme.amocrm.ru",
	.api_paths = amo_api_paths,
	/* amoCRM's limit: seven requests a second per account */
	.requests_per_second = 7,
	.filters_probe = &amo_filters_probe,
	.auth_headers = amo_auth_headers,
	.classify = amo_classify,
};
