/*-------------------------------------------------------------------------
 *
 * salesman.c
 *		SalesMan CRM API v3: the activity history and its methods, tasks,
 *		deals and their stages, clients, persons and users.
 *
 * Every call is a POST to /developer/v3/{method}/{action} with its
 * parameters in a JSON body, reads included; the headers login and apikey
 * authenticate.  Every answer is HTTP 200: an error is known from the body
 * alone ("result": "Error" with a code, an HTML page of a PHP failure, or
 * nothing at all).  Lists page by page index (offset), 200 rows a page,
 * until a short page or the bare []; without dates they answer today's
 * rows only, so a full range is sent when the query gives none.  Times are
 * the account's wall clock without an offset (server option timezone).
 *
 * Where the real server (2025.4) departs from its documents, this follows
 * the server: ../shared/reference/README.md lists what it does.  Its item
 * actions (history/info, deal/info, client/info, person/info) give some
 * fields otherwise than its lists, or not at all: those columns are marked
 * CRM_COL_NOT_IN_ITEM, and a query that reads them finds keys by listing.
 *
 * Never does I/O.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "crm_json.h"

#include "commands/defrem.h"

#include "provider.h"

#define RO		CRM_COL_READONLY
#define KEY		(CRM_COL_KEY | CRM_COL_READONLY)
#define NI		CRM_COL_NOT_IN_ITEM
#define API		"/developer/v3/"

/* 200 rows a page; offset is the page's index */
static const CrmPaging sm_paging = {
	.style = CRM_PAGING_PAGE_INDEX,
	.position_param = "offset",
	.max_size = 200,
	.next_from = CRM_NEXT_SHORT_PAGE,
};

/* its lists and writes take a user by login; rows carry the user's id */
static const CrmLookup sm_user_login = {"users", "iduser", "login"};

/* ---- activities: the history method ---- */

static const CrmColumn sm_activity_columns[] = {
	{"cid", "bigint", KEY, "Идентификатор записи"},
	{"datum", "timestamptz", 0, "Дата", .wire = CRM_FMT_LOCAL},
	{"content", "text", 0, "Содержание"},
	{"tip", "text", 0, "Тип активности"},
	{"iduser", "bigint", 0, "Ответственный",
	 .write_param = "user", .write_lookup = &sm_user_login},
	{"user_login", "text", RO, "Ответственный: логин", "user"},
	{"clid", "bigint", 0, "ID клиента"},
	{"client", "text", RO, "Клиент: название"},
	/* history/info gives the first contact only */
	{"pid", "bigint[]", NI, "ID контакта (массив)", "person.*.pid",
	 .write_param = "pid"},
	{"contacts", "jsonb", RO | NI, "Контакты: pid и имя", "person"},
	{"did", "bigint", 0, "ID сделки"},
	{"dogovor", "text", RO, "Сделка: название"},
	{NULL}
};

/* whole days in the account's zone: DATE(datum) BETWEEN dateStart AND dateEnd */
#define SM_DATE_RANGE(col) \
	{.column = col, .ops = CRM_OP_RANGE, .format = CRM_FMT_DATE, \
	 .param = "dateStart", .upper_param = "dateEnd", .upper_inclusive = true, \
	 .absent_value = "0000-00-00", .upper_absent_value = "9999-12-31"}
#define SM_ONE(col, p) \
	{.column = col, .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER, \
	 .param = p, .max_list = 1}
#define SM_USER \
	{.column = "iduser", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER, \
	 .param = "user", .max_list = 1, .lookup = &sm_user_login}

static const CrmFilter sm_activity_filters[] = {
	SM_DATE_RANGE("datum"),
	SM_ONE("clid", "clid"),
	SM_ONE("did", "did"),
	SM_USER,
	{NULL}
};

/* history/info gives one contact of several: its day, client and deal list it whole */
static const char *const sm_activity_completion[] = {"datum", "clid", "did", NULL};

static const CrmWriteRoute sm_history_add = {
	.method = "POST", .path = API "history/add", .answer_key = "data"};
static const CrmWriteRoute sm_history_add_list = {
	.method = "POST", .path = API "history/add.list", .batch_size = 200,
	.default_batch = 50, .batch_wrapper = "list", .answer_key = "data"};
static const CrmWriteRoute sm_history_delete = {
	.method = "POST", .path = API "history/delete", .key_param = "cid"};

/* ---- tasks (reminders) ---- */

static const CrmColumn sm_task_columns[] = {
	{"tid", "bigint", KEY, "Идентификатор напоминания"},
	{"datum", "date", 0, "Дата", .wire = CRM_FMT_DATE},
	{"totime", "time", 0, "Время"},
	{"title", "text", 0, "Тема"},
	{"des", "text", 0, "Агенда"},
	{"tip", "text", 0, "Тип напоминания"},
	{"active", "text", RO, "Признак: выполнено (no), активно (yes)"},
	{"priority", "integer", 0, "Важность"},
	{"speed", "integer", 0, "Срочность"},
	{"status", "integer", RO, "Статус выполнения"},
	{"iduser", "bigint", 0, "Ответственный",
	 .write_param = "user", .write_lookup = &sm_user_login},
	{"user_login", "text", RO, "Ответственный: логин", "user"},
	{"autor", "bigint", RO, "Автор напоминания"},
	{"autorlogin", "text", RO, "Автор напоминания: логин"},
	{"clid", "bigint", 0, "ID клиента"},
	{"client", "text", RO, "Клиент: название"},
	{"did", "bigint", 0, "ID сделки"},
	{"dogovor", "text", RO, "Сделка: название"},
	{"readonly", "text", RO, "Только для чтения"},
	{"day", "text", RO, "На весь день"},
	{NULL}
};

/* without "active" the list is empty: open and done ones are two lists */
static const char *const sm_task_states[] = {"yes", "no", NULL};

static const CrmFilter sm_task_filters[] = {
	SM_DATE_RANGE("datum"),
	{.column = "active", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_TEXT,
	 .param = "active", .max_list = 1, .domain = sm_task_states, .fan_out = true},
	SM_ONE("clid", "clid"),
	SM_ONE("did", "did"),
	SM_USER,
	{NULL}
};

static const CrmWriteRoute sm_task_add = {
	.method = "POST", .path = API "task/add", .answer_key = "data"};
static const CrmWriteRoute sm_task_delete = {
	.method = "POST", .path = API "task/delete", .key_param = "id"};

/* ---- deals and their dictionaries ---- */

static const CrmColumn sm_deal_columns[] = {
	{"did", "bigint", KEY, "Уникальный идентификатор записи"},
	{"uid", "text", RO | NI, "Уникальный идентификатор записи во внешней системе"},
	{"datum", "date", RO | NI, "Дата создания", .wire = CRM_FMT_DATE},
	{"datum_izm", "date", RO | NI, "Дата последнего изменения", .wire = CRM_FMT_DATE},
	{"clid", "bigint", NI, "Клиент"},
	{"client_title", "text", RO | NI, "Клиент: название", "clientTitle"},
	{"title", "text", 0, "Название"},
	{"mcid", "bigint", 0, "ID своей компании"},
	{"iduser", "bigint", 0, "Куратор"},
	{"user_login", "text", RO, "Куратор: логин", "user"},
	{"user_title", "text", RO | NI, "Куратор: имя", "userTitle"},
	{"datum_plan", "date", 0, "Дата план.", .wire = CRM_FMT_DATE},
	{"step", "integer", 0, "Этап: процент (название этапа из deal/steplist)"},
	{"step_id", "bigint", RO, "Этап: ID", "stepID"},
	{"step_title", "text", RO | NI, "Этап: описание", "stepTitle"},
	{"tip_id", "bigint", RO, "Тип сделки: ID", "tipID"},
	{"tip", "text", 0, "Тип сделки"},
	{"direction_id", "bigint", RO, "Направление: ID", "directionID"},
	{"direction", "text", 0, "Направление"},
	{"payer", "bigint", NI, "Плательщик"},
	{"payer_title", "text", RO | NI, "Плательщик: название", "payerTitle"},
	{"kol", "numeric", 0, "Сумма план."},
	{"marga", "numeric", 0, "Прибыль"},
	{"datum_start", "date", RO, "Период действия. Начало", .wire = CRM_FMT_DATE},
	{"datum_end", "date", RO, "Период действия. Конец", .wire = CRM_FMT_DATE},
	{"close", "text", RO, "Признак закрытой сделки (yes, no)"},
	{"datum_close", "date", RO | NI, "Дата закрытия", .wire = CRM_FMT_DATE},
	{"status_close", "text", RO, "Результат закрытия сделки"},
	{"des_fact", "text", RO | NI, "Комментарий закрытия сделки"},
	{"kol_fact", "numeric", RO, "Фактическая сумма продажи"},
	{NULL}
};

/* "active": "yes" lists open deals, "no" closed ones, "all" both */
static const char *const sm_close_to_active[] = {"yes", "no", "no", "yes", NULL};

static const CrmFilter sm_deal_filters[] = {
	{.column = "datum", .ops = CRM_OP_RANGE, .format = CRM_FMT_DATE,
	 .param = "dateStart", .upper_param = "dateEnd", .upper_inclusive = true,
	 .absent_value = "0000-00-00", .upper_absent_value = "9999-12-31",
	.absent_completes = true},
	/* the server reads dateChangeStart alone against dateStart: send both */
	{.column = "datum_izm", .ops = CRM_OP_RANGE, .format = CRM_FMT_DATE,
	 .param = "dateChangeStart", .upper_param = "dateChangeEnd",
	 .upper_inclusive = true, .absent_value = "0000-00-00",
	.upper_absent_value = "9999-12-31", .absent_completes = true},
	{.column = "close", .ops = CRM_OP_EQ, .format = CRM_FMT_TEXT,
	 .param = "active", .value_map = sm_close_to_active, .absent_value = "all"},
	SM_ONE("clid", "filter.clid"),
	SM_ONE("iduser", "iduser"),
	{.column = "step", .ops = CRM_OP_EQ | CRM_OP_IN, .format = CRM_FMT_INTEGER,
	 .param = "steps", .list_style = CRM_LIST_COMMA},
	{NULL}
};

static const CrmWriteRoute sm_deal_add = {
	.method = "POST", .path = API "deal/add", .answer_key = "data"};

/*
 * A deal's stage changes only through change.step; deal/update counts an
 * amount as a change only when the title comes with it, so the title is
 * always sent.
 */
static const char *const sm_step_columns[] = {"step", NULL};
static const char *const sm_deal_carry[] = {"title", NULL};
static const CrmWriteRoute sm_deal_update[] = {
	{.method = "POST", .path = API "deal/change.step", .key_param = "did",
	 .columns = sm_step_columns, .answer_key = "data"},
	{.method = "POST", .path = API "deal/update", .key_param = "did",
	 .carry = sm_deal_carry, .answer_key = "data"},
	{NULL}
};

static const CrmColumn sm_stage_columns[] = {
	{"idcategory", "bigint", KEY, "ID этапа"},
	{"title", "text", RO, "Название этапа: процент"},
	{"content", "text", RO, "Описание этапа"},
	{NULL}
};

static const CrmColumn sm_direction_columns[] = {
	{"id", "bigint", KEY, "ID направления"},
	{"title", "text", RO, "Направление"},
	{"is_default", "text", RO, "По умолчанию (yes, no)", "isDefault"},
	{NULL}
};

static const CrmColumn sm_deal_type_columns[] = {
	{"tid", "bigint", KEY, "ID типа сделки"},
	{"title", "text", RO, "Тип сделки"},
	{"is_default", "text", RO, "По умолчанию (yes)", "isDefault"},
	{NULL}
};

static const CrmColumn sm_close_status_columns[] = {
	{"sid", "bigint", KEY, "ID статуса закрытия"},
	{"title", "text", RO, "Статус закрытия"},
	{"content", "text", RO, "Описание"},
	{"result", "text", RO, "Итог: win, lose"},
	{NULL}
};

/* ---- clients, persons, users ---- */

static const CrmColumn sm_client_columns[] = {
	{"clid", "bigint", KEY, "Уникальный идентификатор записи клиента в CRM"},
	{"uid", "text", NI, "Уникальный идентификатор записи клиента в вашей ИС"},
	{"type", "text", 0, "Тип записи (client, person, concurent, contractor, parnter)"},
	{"date_create", "timestamptz", RO | NI, "Дата создания", .wire = CRM_FMT_LOCAL},
	{"date_edit", "timestamptz", RO | NI, "Дата последнего изменения", .wire = CRM_FMT_LOCAL},
	{"title", "text", 0, "Название"},
	{"user_login", "text", RO | NI, "Ответственный: логин", "user"},
	{"iduser", "bigint", 0, "Ответственный"},
	{"idcategory_title", "text", RO | NI, "Отрасль: название", "idcategoryTitle"},
	{"idcategory", "bigint", 0, "Отрасль"},
	{"head_clid_title", "text", RO | NI, "Головн. орг-ия: название", "head_clidTitle"},
	{"head_clid", "bigint", 0, "Головн. орг-ия"},
	{"person", "text", RO | NI, "Осн. контакт: имя"},
	{"pid", "bigint", 0, "Осн. контакт"},
	{"address", "text", 0, "Адрес"},
	{"phone", "text", 0, "Телефон"},
	{"fax", "text", 0, "Факс"},
	{"site_url", "text", 0, "Сайт"},
	{"mail_url", "text", 0, "Почта"},
	{"territory_title", "text", RO | NI, "Территория: название", "territoryTitle"},
	{"territory", "bigint", 0, "Территория"},
	{"des", "text", 0, "Описание"},
	{"scheme", "text", 0, "Принятие решений"},
	{"tip_cmr", "text", 0, "Тип отношений"},
	{"clientpath_title", "text", RO | NI, "Источник клиента: название", "clientpathTitle"},
	{"clientpath", "bigint", NI, "Источник клиента"},
	{NULL}
};

static const CrmFilter sm_client_filters[] = {
	{.column = "date_create", .ops = CRM_OP_RANGE, .format = CRM_FMT_DATE,
	 .param = "dateStart", .upper_param = "dateEnd", .upper_inclusive = true,
	 .absent_value = "0000-00-00", .upper_absent_value = "9999-12-31",
	.absent_completes = true},
	SM_ONE("iduser", "iduser"),
	SM_ONE("idcategory", "filter.idcategory"),
	SM_ONE("territory", "filter.territory"),
	SM_ONE("clientpath", "filter.clientpath"),
	{.column = "type", .ops = CRM_OP_EQ, .format = CRM_FMT_TEXT,
	 .param = "filter.type"},
	{NULL}
};

/* a list without order is a fatal error of the server */
static const char *const sm_client_params[] = {"order", "date_create", NULL};

static const CrmWriteRoute sm_client_add = {
	.method = "POST", .path = API "client/add", .answer_key = "data"};
static const CrmWriteRoute sm_client_add_list = {
	.method = "POST", .path = API "client/add.list", .batch_size = 200,
	.default_batch = 50, .batch_wrapper = "client", .answer_key = "data"};
static const CrmWriteRoute sm_client_update[] = {
	{.method = "POST", .path = API "client/update", .key_param = "clid",
	 .answer_key = "data"},
	{NULL}
};

static const CrmColumn sm_person_columns[] = {
	{"pid", "bigint", KEY, "Уникальный идентификатор записи контакта"},
	{"date_create", "timestamptz", RO, "Дата создания", .wire = CRM_FMT_LOCAL},
	{"date_edit", "timestamptz", RO, "Дата последнего изменения", .wire = CRM_FMT_LOCAL},
	{"clid", "bigint", 0, "Клиент"},
	{"client", "text", RO, "Клиент: название"},
	{"ptitle", "text", 0, "Должность"},
	{"person", "text", 0, "Ф.И.О."},
	{"tel", "text", 0, "Тел."},
	{"fax", "text", 0, "Факс"},
	{"mob", "text", 0, "Моб."},
	{"mail", "text", 0, "Почта"},
	{"user_login", "text", RO | NI, "Куратор: логин", "user"},
	/* person/info gives the curator's login here */
	{"iduser", "bigint", NI, "Куратор"},
	{"input7", "text", 0, "Добавочный"},
	{NULL}
};

static const CrmFilter sm_person_filters[] = {
	{.column = "date_create", .ops = CRM_OP_RANGE, .format = CRM_FMT_DATE,
	 .param = "dateStart", .upper_param = "dateEnd", .upper_inclusive = true,
	 .absent_value = "0000-00-00", .upper_absent_value = "9999-12-31",
	.absent_completes = true},
	SM_ONE("clid", "filter.clid"),
	SM_USER,
	{NULL}
};

/* person/info gives the curator's login: the client's contacts list the row whole */
static const char *const sm_person_completion[] = {"clid", NULL};

static const CrmWriteRoute sm_person_add = {
	.method = "POST", .path = API "person/add", .answer_key = "data"};
static const CrmWriteRoute sm_person_add_list = {
	.method = "POST", .path = API "person/add.list", .batch_size = 200,
	.default_batch = 50, .batch_wrapper = "persons", .answer_key = "data"};

/* person/update empties every form field it is not sent */
static const char *const sm_person_carry[] = {
	"person", "ptitle", "iduser", "clid", "tel", "input7", "fax", "mob", "mail", NULL
};
static const CrmWriteRoute sm_person_update[] = {
	{.method = "POST", .path = API "person/update", .key_param = "pid",
	 .carry = sm_person_carry, .answer_key = "data"},
	{NULL}
};

static const CrmColumn sm_user_columns[] = {
	{"iduser", "bigint", KEY, "ID сотрудника"},
	{"uid", "text", RO, "ID во внешней системе"},
	{"oid", "jsonb", RO, "Отдел (false: нет отделов)"},
	{"title", "text", RO, "Имя"},
	{"login", "text", RO, "Логин"},
	{"email", "text", RO, "Почта"},
	{"active", "text", RO, "Активен (yes, no)"},
	{NULL}
};

static const CrmColumn sm_activity_type_columns[] = {
	{"title", "text", RO, "Тип активности"},
	{"color", "text", RO, "Цвет"},
	{"filter", "text", RO, "Принадлежность: all, activ (история), task (напоминания)"},
	{NULL}
};

static const CrmColumn sm_field_columns[] = {
	{"field", "text", RO, "Имя поля", "key"},
	{"description", "text", RO, "Расшифровка назначения", "value"},
	{NULL}
};

#define SM_LIST(entity_name, what, path) \
	.name = entity_name, .description = what, .list_path = API path, \
	.rows_path = "data"
#define SM_FIELDS(entity_name, what, method) { \
	SM_LIST(entity_name, what, method "/fields"), \
	.default_rows = 20, .columns = sm_field_columns, .object_rows = true}

static const CrmEntity sm_entities[] = {
	{
		SM_LIST("activities", "the activity history: calls, meetings, mail and the server's own records, on clients, contacts and deals.", "history/list"),
		.item_path = API "history/info",
		.item_key_param = "cid",
		.item_rows_path = "data",
		.key = "cid",
		.paging = &sm_paging,
		.default_rows = 5000,
		.columns = sm_activity_columns,
		.filters = sm_activity_filters,
		.item_completion = sm_activity_completion,
		.insert = &sm_history_add,
		.insert_batch = &sm_history_add_list,
		.delete = &sm_history_delete,
	},
	{
		SM_LIST("activity_types", "the types of activity (history/tips) and where each applies.", "history/tips"),
		.default_rows = 20,
		.columns = sm_activity_type_columns,
	},
	SM_FIELDS("activity_fields", "the fields of an activity record, with their meaning (history/fields).", "history"),
	{
		SM_LIST("tasks", "the reminders (tasks), open and done.", "task/list"),
		.item_path = API "task/info",
		.item_key_param = "id",
		.item_rows_path = "data",
		.key = "tid",
		.paging = &sm_paging,
		.default_rows = 1000,
		.columns = sm_task_columns,
		.filters = sm_task_filters,
		.insert = &sm_task_add,
		.delete = &sm_task_delete,
	},
	SM_FIELDS("task_fields", "the fields of a reminder, with their meaning (task/fields).", "task"),
	{
		SM_LIST("deals", "the deals, open and closed, each at a stage of its funnel.", "deal/list"),
		.item_path = API "deal/info",
		.item_key_param = "did",
		.item_rows_path = "data",
		.key = "did",
		.paging = &sm_paging,
		.default_rows = 1000,
		.columns = sm_deal_columns,
		.filters = sm_deal_filters,
		.insert = &sm_deal_add,
		.update = sm_deal_update,
		.no_delete_hint = "crm_fdw does not delete SalesMan deals: deal/delete also deletes the deal's history.",
	},
	SM_FIELDS("deal_fields", "the fields of a deal, with their meaning (deal/fields).", "deal"),
	{
		SM_LIST("stages", "the stages of deals (deal/steplist): a percentage as name, and a description.", "deal/steplist"),
		.key = "idcategory",
		.default_rows = 10,
		.columns = sm_stage_columns,
	},
	{
		SM_LIST("deal_directions", "the directions of business deals belong to (deal/direction).", "deal/direction"),
		.key = "id",
		.default_rows = 5,
		.columns = sm_direction_columns,
	},
	{
		SM_LIST("deal_types", "the types of deal (deal/type).", "deal/type"),
		.key = "tid",
		.default_rows = 5,
		.columns = sm_deal_type_columns,
	},
	{
		SM_LIST("deal_close_statuses", "the results a deal is closed with (deal/statusclose): win or lose.", "deal/statusclose"),
		.key = "sid",
		.default_rows = 5,
		.columns = sm_close_status_columns,
	},
	{
		SM_LIST("clients", "the clients: companies and people the account works with.", "client/list"),
		.item_path = API "client/info",
		.item_key_param = "clid",
		.item_rows_path = "data",
		.key = "clid",
		.paging = &sm_paging,
		.fixed_params = sm_client_params,
		.default_rows = 1000,
		.columns = sm_client_columns,
		.filters = sm_client_filters,
		.insert = &sm_client_add,
		.insert_batch = &sm_client_add_list,
		.update = sm_client_update,
		.no_delete_hint = "crm_fdw does not delete SalesMan clients: client/delete also deletes their history.",
	},
	SM_FIELDS("client_fields", "the fields of a client, with their meaning (client/fields).", "client"),
	{
		SM_LIST("persons", "the contacts: people at clients.", "person/list"),
		.item_path = API "person/info",
		.item_key_param = "pid",
		.item_rows_path = "data",
		.key = "pid",
		.paging = &sm_paging,
		.default_rows = 2000,
		.columns = sm_person_columns,
		.filters = sm_person_filters,
		.item_completion = sm_person_completion,
		.insert = &sm_person_add,
		.insert_batch = &sm_person_add_list,
		.update = sm_person_update,
		.no_delete_hint = "crm_fdw does not delete SalesMan contacts: person/delete also deletes their history.",
	},
	SM_FIELDS("person_fields", "the fields of a contact, with their meaning (person/fields).", "person"),
	{
		SM_LIST("users", "the account's users (employees).", "user/list"),
		.key = "iduser",
		.default_rows = 20,
		.columns = sm_user_columns,
	},
	{NULL}
};

static const CrmProviderOption sm_options[] = {
	{"timezone", CRM_OPTION_SERVER, CRM_OPTKIND_TIME_ZONE},
	{"login", CRM_OPTION_USER_MAPPING, CRM_OPTKIND_TEXT},
	{"api_key", CRM_OPTION_USER_MAPPING, CRM_OPTKIND_SECRET},
	{NULL}
};

static const char *const sm_api_paths[] = {"/developer/v3", "/developer", NULL};

static void
sm_auth_headers(List *options, List **headers)
{
	const char *login = NULL;
	const char *api_key = NULL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "login") == 0)
			login = defGetString(def);
		else if (strcmp(def->defname, "api_key") == 0)
			api_key = defGetString(def);
	}
	if (login == NULL || api_key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("the user mapping has no SalesMan %s",
						login == NULL && api_key == NULL ? "credentials" :
						login == NULL ? "login" : "api_key"),
				 errhint("Add OPTIONS (login '...', api_key '...'): a user's login and the account's API key (Settings, API).")));
	*headers = lappend(*headers, psprintf("login: %s", login));
	*headers = lappend(*headers, psprintf("apikey: %s", api_key));
}

/* The error's code, an integer or a string as each action sends it. */
static int
error_code(json_t *error)
{
	json_t	   *code = json_object_get(error, "code");

	if (json_is_integer(code))
		return (int) json_integer_value(code);
	if (json_is_string(code))
		return atoi(json_string_value(code));
	return 0;
}

/* The first line of an HTML page's text, tags left out, for DETAIL. */
static char *
page_words(const char *body, size_t len)
{
	StringInfoData buf;
	bool		in_tag = false;

	initStringInfo(&buf);
	for (size_t i = 0; i < len && buf.len < 300; i++)
	{
		char		c = body[i];

		if (c == '<')
			in_tag = true;
		else if (c == '>')
			in_tag = false;
		else if (!in_tag && c == '\n' && buf.len > 0)
			break;
		else if (!in_tag && c != '\n' && c != '\r' && !(c == ' ' && buf.len == 0))
			appendStringInfoChar(&buf, c);
	}
	return buf.data;
}

/*
 * Every answer is HTTP 200; the body says what happened.  An error is
 * {"result": "Error", "error": {"code", "text"}}: 400 and 401 are the
 * credentials, 402 an unknown method, 403 and 404 "no such record" (no rows
 * for an item, gone for a write), 405 to 407 and 304 refused parameters,
 * 302 "identical data" (a no-op: done), 500 the server failing.  An HTML
 * page is a PHP failure; an empty body an unknown method.
 */
static void
sm_classify(const CrmEntity *entity, CrmAnswer *answer)
{
	json_t	   *json = answer->json;
	json_t	   *error;
	const char *result;
	int			code;

	crm_failure_from_status(answer);
	if (answer->status < 200 || answer->status > 299)
		return;
	if (answer->body_len == 0)
	{
		answer->kind = CRM_ANSWER_FAILED;
		answer->failure = CRM_FAIL_TRANSIENT;
		answer->vendor_message = "The answer was empty: the server does not know the method, or failed before answering.";
		return;
	}
	if (json == NULL)
	{
		answer->kind = CRM_ANSWER_FAILED;
		answer->failure = CRM_FAIL_TRANSIENT;
		answer->vendor_message = page_words(answer->body, answer->body_len);
		return;
	}
	/* an empty list is the bare [], or a count of 0 without data */
	if (json_is_array(json))
	{
		answer->kind = json_array_size(json) == 0 ? CRM_ANSWER_NO_ROWS : CRM_ANSWER_ROWS;
		return;
	}
	if (!json_is_object(json))
	{
		answer->kind = CRM_ANSWER_FAILED;
		answer->failure = CRM_FAIL_BAD_ANSWER;
		return;
	}

	result = json_string_value(json_object_get(json, "result"));
	error = json_object_get(json, "error");
	/* user/info answers its "not found" without a result */
	if (!(result && strcmp(result, "Error") == 0) &&
		!(result == NULL && json_is_object(error) && json_object_get(json, "data") == NULL))
	{
		if (json_object_get(json, "data") == NULL && json_is_integer(json_object_get(json, "count")))
			answer->kind = CRM_ANSWER_NO_ROWS;
		return;
	}

	code = error_code(error);
	answer->vendor_code = psprintf("%d", code);
	answer->vendor_message = json_string_value(json_object_get(error, "text"));
	answer->kind = CRM_ANSWER_FAILED;
	answer->refused = true;
	switch (code)
	{
		case 302:
			/* "identical data": nothing to change, so it is as asked */
			answer->kind = CRM_ANSWER_ROWS;
			answer->refused = false;
			break;
		case 400:
		case 401:
			answer->failure = CRM_FAIL_AUTHENTICATION;
			break;
		case 402:
			answer->failure = CRM_FAIL_MISSING;
			break;
		case 403:
		case 404:
			if (answer->is_item)
				answer->kind = CRM_ANSWER_NO_ROWS;
			else
				answer->failure = CRM_FAIL_FORBIDDEN;
			break;
		case 500:
			answer->failure = CRM_FAIL_TRANSIENT;
			answer->refused = false;
			if (answer->vendor_message &&
				strstr(answer->vendor_message, "time zone") != NULL)
			{
				/*
				 * The server sets its database session to "+<hours>:00",
				 * which MariaDB refuses for a negative or fractional offset;
				 * a history record is then never stored, while other
				 * writes store their change before the failing record.
				 */
				answer->refused = entity && strcmp(entity->name, "activities") == 0;
				answer->vendor_hint = answer->refused ?
					"SalesMan cannot write history while its account's time zone is west of UTC or off a whole hour; nothing was written.  Set the account's zone (Settings) east of UTC, then write again." :
					"SalesMan made the change, then failed to write its history record, as it does while its account's time zone is west of UTC or off a whole hour.  Check the change in SalesMan.";
			}
			break;
		default:
			answer->failure = CRM_FAIL_INVALID_INPUT;
			break;
	}
}

/*
 * What the server does to an item on the way out, undone where it can be:
 * "no contact" spelled as a contact with pid 0, "<br />" before every line
 * break of a listed text, false for "no close status", a deal's item with
 * its stage as an id and its closing as an object.
 */
static void
sm_shape_read(const CrmEntity *entity, json_t *item)
{
	json_t	   *persons = json_object_get(item, "person");
	json_t	   *content = json_object_get(item, "content");
	json_t	   *close = json_object_get(item, "close");

	if (json_is_array(persons))
	{
		for (size_t i = json_array_size(persons); i > 0; i--)
		{
			json_t	   *pid = json_object_get(json_array_get(persons, i - 1), "pid");

			if (json_is_integer(pid) && json_integer_value(pid) == 0)
				json_array_remove(persons, i - 1);
		}
		if (json_array_size(persons) == 0)
			json_object_del(item, "person");
	}
	if (json_is_string(content) && strstr(json_string_value(content), "<br />"))
	{
		const char *p = json_string_value(content);
		StringInfoData buf;

		initStringInfo(&buf);
		while (*p)
		{
			if (strncmp(p, "<br />", 6) == 0 &&
				(p[6] == '\n' || (p[6] == '\r' && p[7] == '\n')))
				p += 6;
			else
				appendStringInfoChar(&buf, *p++);
		}
		json_object_set_new(item, "content", json_string(buf.data));
	}
	if (json_is_false(json_object_get(item, "status_close")))
		json_object_set_new(item, "status_close", json_null());
	if (json_is_object(close))
	{
		json_t	   *title = json_object_get(item, "stepTitle");

		/* deal/info: step and stepID the id, stepTitle the percentage */
		json_object_set(item, "stepID", json_object_get(item, "step"));
		json_object_set(item, "step", title);
		json_object_del(item, "stepTitle");
		json_object_set(item, "status_close",
						json_is_string(json_object_get(close, "status")) ?
						json_object_get(close, "status") : json_null());
		json_object_set(item, "close", json_object_get(close, "close"));
	}
}

/*
 * Contacts go as a comma list; a stage by its name, the percentage as text.
 */
static void
sm_shape_write(const CrmEntity *entity, CmdType operation, json_t *body)
{
	json_t	   *pid = json_object_get(body, "pid");
	json_t	   *step = json_object_get(body, "step");

	if (json_is_array(pid))
	{
		StringInfoData list;

		initStringInfo(&list);
		for (size_t i = 0; i < json_array_size(pid); i++)
		{
			json_t	   *one = json_array_get(pid, i);

			if (json_is_integer(one))
				appendStringInfo(&list, "%s%" JSON_INTEGER_FORMAT, list.len ? "," : "",
								 json_integer_value(one));
		}
		json_object_set_new(body, "pid", json_string(list.data));
	}
	if (json_is_integer(step))
		json_object_set_new(body, "step",
							json_string(psprintf("%" JSON_INTEGER_FORMAT,
												 json_integer_value(step))));
}

/*
 * An item of a write's answer by its own "result": add.list does not reset
 * it between items, so a failed item may carry the previous one's id, and a
 * good one an earlier item's error.
 */
static CrmItemVerdict
sm_item_written(const CrmEntity *entity, CmdType operation, json_t *item,
				const char **message)
{
	const char *result = json_string_value(json_object_get(item, "result"));
	json_t	   *error = json_object_get(item, "error");
	int			code = error_code(error);

	/* 302: "identical data", nothing to change, as asked */
	if (result && strcmp(result, "Error") == 0 && code != 302)
	{
		*message = json_string_value(json_object_get(error, "text"));
		/*
		 * 500 is the server failing, and not always before the change: in
		 * an account west of UTC, client and person add.list store each
		 * row and then fail its history record.  Only history itself is
		 * certainly not stored then.
		 */
		if (code == 500 &&
			!(strcmp(entity->name, "activities") == 0 && *message &&
			  strstr(*message, "time zone") != NULL))
			return CRM_ITEM_UNKNOWN;
		return CRM_ITEM_REFUSED;
	}
	/* person/add answers an empty result when it refuses */
	if (result && *result == '\0' && json_is_integer(json_object_get(item, "data")) &&
		json_integer_value(json_object_get(item, "data")) == 0)
	{
		*message = "refused without a reason";
		return CRM_ITEM_REFUSED;
	}
	return CRM_ITEM_WRITTEN;
}

const CrmProvider crm_salesman_provider = {
	.name = "salesman",
	.display_name = "SalesMan",
	.entities = sm_entities,
	.options = sm_options,
	.credential_hint = "login and api_key",
	.time_zone = "UTC",
	.url_example = "https://crm.example.com",
	.api_paths = sm_api_paths,
	.params_in_body = true,
	.default_method = "POST",
	/* its text columns are MySQL's 3-byte utf8; its times are DATETIMEs */
	.max_char_bytes = 3,
	.min_year = 1000,
	.max_year = 9999,
	/* it cleans text and reorders titles, and answers only the new id */
	.rewrites_values = true,
	.auth_headers = sm_auth_headers,
	.classify = sm_classify,
	.shape_read = sm_shape_read,
	.shape_write = sm_shape_write,
	.item_written = sm_item_written,
};
