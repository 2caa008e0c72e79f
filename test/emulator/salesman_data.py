"""The SalesMan CRM dataset: dictionaries, generated rows, the account clock.

This module owns what a SalesMan account holds, in the shape of its database
tables (one dict per row, keyed by column name, values typed as the columns
are), and nothing about how the API renders it:

* the account's dictionaries: users and their roles, deal steps (named by a
  percentage), funnels, directions, deal types, close statuses, activity
  types ("tips"), client sources, industries, territories;
* deterministic rows generated from ``--seed`` and ``--scale``: clients,
  persons (contacts), deals, tasks (reminders) and history (activities);
  see README.md ("The SalesMan dataset") for the exact shape;
* the data window in which generated dates lie (``DATA_START``,
  ``DATA_END``), moved as a whole by whole days under ``--anchor``
  (``Window``);
* the account clock: "now" and "today" as local wall time in the account's
  timezone (config ``salesman_timezone``), which is how SalesMan stores and
  shows every datetime (no offset); under ``--anchor`` it runs as many
  whole days off the wall clock as make its "today" the anchor's day.

Generated times are *wall seconds*: the account's wall time read as if it
were UTC, so that provider_kit's ``sql_time``/``day_of``/``parse_sql_time``
format and parse them without any zone.
"""

import datetime
import zoneinfo

from provider_kit import DAY, day_of, epoch, parse_sql_time, seeded_rng, \
    sql_time

# --------------------------------------------------------------------------
# The data window (local wall time of the account) and the clock
# --------------------------------------------------------------------------

# Wall seconds (see above); the latest generated day, 2026-06-30, is the
# one --anchor moves onto the anchor's day.
DATA_START = epoch(2025, 1, 1, 0, 0, 0)
DATA_END = epoch(2026, 6, 30, 23, 59, 59)
WINDOW_SECONDS = DATA_END - DATA_START

DEFAULT_TIMEZONE = "Europe/Moscow"


def account_zone(name):
    """The tzinfo of an account timezone; an unknown name acts as UTC, as
    PHP falls back to it."""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_TIMEZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.timezone.utc


def unix_of_wall(wall, zone):
    """Wall seconds in ``zone`` -> Unix seconds."""
    naive = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=wall)
    return int(naive.replace(tzinfo=zone).timestamp())


class Window:
    """The data window of one generation: [DATA_START, DATA_END] moved by
    ``shift`` seconds (whole days; 0 without --anchor)."""

    def __init__(self, shift=0):
        self.start = DATA_START + shift
        self.end = DATA_END + shift
        self.shift = shift

    def time(self, rng, lo=0.0, hi=1.0):
        """Wall seconds at a random point of [lo, hi] of the window."""
        span = int(WINDOW_SECONDS * (hi - lo))
        return self.start + int(WINDOW_SECONDS * lo) + rng.randint(0, span)


class Clock:
    """Now and today in the account's timezone, as SalesMan sees them.

    ``fixed_utc`` (an aware datetime) pins the clock, as the self-tests do;
    otherwise it is the wall clock moved by ``shift`` seconds (whole days,
    non-zero only under a fixed ``--anchor``)."""

    def __init__(self, timezone_name, fixed_utc=None, shift=0):
        self.name = timezone_name or DEFAULT_TIMEZONE
        self.zone = account_zone(self.name)
        self.fixed_utc = fixed_utc
        self.shift = shift

    def utc(self):
        if self.fixed_utc is not None:
            return self.fixed_utc
        return datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(seconds=self.shift)

    def now(self):
        return self.utc().astimezone(self.zone).replace(tzinfo=None,
                                                        microsecond=0)

    def now_text(self):
        return self.now().strftime("%Y-%m-%d %H:%M:%S")

    def today(self):
        return self.now().strftime("%Y-%m-%d")

    def utc_offset_hours(self):
        """The offset the server feeds to MariaDB as ``SET time_zone``."""
        offset = self.utc().astimezone(self.zone).utcoffset()
        return offset.total_seconds() / 3600.0

    def history_write_error(self):
        """The server writes ``'+' + hours + ':00'`` as the session time
        zone before inserting a history row: a negative or fractional
        offset is invalid SQL, so every history write fails.  Returns the
        MariaDB error text, or None when writes work."""
        hours = self.utc_offset_hours()
        if hours >= 0 and hours == int(hours):
            return None
        shown = ("%d" % hours) if hours == int(hours) else ("%g" % hours)
        return "Unknown or incorrect time zone: '+%s:00'" % shown


# --------------------------------------------------------------------------
# Dictionaries (fixed, independent of the seed)
# --------------------------------------------------------------------------

ROLE_ORG_HEAD = "Руководитель организации"
ROLE_DEPT_HEAD = "Руководитель отдела"
ROLE_MANAGER = "Менеджер продаж"
ROLES_SEE_ALL = ("Руководитель организации", "Поддержка продаж",
                 "Руководитель с доступом", "Администратор")

# iduser, login, title, role, boss, active, post, phone
USERS = (
    (1, "admin@example.com", "Admin Adminov", ROLE_ORG_HEAD, 0, "yes",
     "Руководитель", None),
    (2, "ivan.petrov@example.com", "Иван Петров", ROLE_DEPT_HEAD, 1, "yes",
     "Руководитель отдела продаж", "+7 (495) 100-20-02"),
    (3, "olga.smirnova@example.com", "Ольга Смирнова", ROLE_MANAGER, 2,
     "yes", "Менеджер", "+7 (495) 100-20-03"),
    (4, "john.obrien@example.com", "John O'Brien", ROLE_MANAGER, 2, "yes",
     "Sales manager", None),
    (5, "anna.kuznetsova@example.com", "Анна Кузнецова", ROLE_MANAGER, 1,
     "no", "Менеджер", None),
)

# Deal steps: idcategory, title (a percentage), content.  The ids are not
# in the order of the titles on purpose: steps are named by title.
STEPS = (
    (4, "0", "Первый контакт"),
    (2, "20", "Интерес подтверждён"),
    (7, "40", "Коммерческое предложение"),
    (3, "60", "Согласование условий"),
    (5, "80", "Договор и счёт"),
    (6, "90", "Предоплата получена"),
    (1, "100", "Сделка завершена"),
)
STEP_BY_ID = {s[0]: s for s in STEPS}
STEP_BY_TITLE = {s[1]: s for s in STEPS}

DIRECTIONS = ((1, "Основное", "yes"), (2, "Сервис", "no"))
DEFAULT_DIRECTION = 1

DEAL_TYPES = ((1, "Продажа", "yes"), (2, "Услуги", ""), (3, "Тендер", ""))
DEFAULT_DEAL_TYPE = 1

# sid, title, content, result
CLOSE_STATUSES = (
    (1, "Победа", "Договор исполнен, оплата получена", "win"),
    (2, "Победа частичная", "Исполнена часть договора", "win"),
    (3, "Проигрыш по цене", "Клиент выбрал предложение дешевле", "lose"),
    (4, "Отказ клиента", "Клиент отказался от покупки", "lose"),
    (5, "Отменена", "Сделка отменена нами", "lose"),
)
STATUS_BY_ID = {s[0]: s for s in CLOSE_STATUSES}

# Funnels (multisteps): (direction, tip) -> title, step ids, default step.
ALL_STEP_IDS = tuple(s[0] for s in sorted(STEPS, key=lambda s: int(s[1])))
SERVICE_STEP_IDS = (4, 7, 5, 1)           # 0, 40, 80, 100
FUNNELS = {}
for _d in (1,):
    for _t in (1, 2, 3):
        FUNNELS[(_d, _t)] = ("Общая", ALL_STEP_IDS, 4)
FUNNELS[(2, 2)] = ("Сервисная", SERVICE_STEP_IDS, 4)


def funnel_of(direction, tip):
    """(title or None, step ids, default step id) of a deal's funnel."""
    if (direction, tip) in FUNNELS:
        return FUNNELS[(direction, tip)]
    return (None, ALL_STEP_IDS, 0)      # no funnel: every step, no default


# Activity types: title, colour, filter (all / activ / task)
TIPS = (
    ("Звонок", "#009900", "all"),
    ("Встреча", "#ffcc00", "all"),
    ("Задача", "#ff6600", "all"),
    ("Предложение", "#66ccff", "activ"),
    ("Событие", "#666699", "activ"),
    ("исх.Почта", "#cccc00", "all"),
    ("вх.Почта", "#cc3300", "all"),
    ("вх.Звонок", "#99cc00", "all"),
    ("Поздравление", "#009999", "task"),
    ("Отправка КП", "#ff0000", "all"),
)
TASK_DEFAULT_TIP = "Звонок"         # the column default of tasks.tip
HISTORY_DEFAULT_TIP = "Событие"     # history/add without tip
SERVER_TIP = "СобытиеCRM"           # rows the server writes itself
LOG_TIP = "ЛогCRM"                  # change logs the server writes

CLIENT_PATHS = ((1, "Сайт"), (2, "Рекомендация"), (3, "Выставка"),
                (4, "Холодный звонок"))
DEFAULT_CLIENT_PATH = 1
CATEGORIES = ((1, "Промышленность", "client"), (2, "Торговля", "client"),
              (3, "IT", "client"), (4, "Партнёры", "partner"))
TERRITORIES = ((1, "Москва"), (2, "Санкт-Петербург"), (3, "Пермь"))
RELATIONS = ("1 - Холодный клиент", "2 - Потенциальный клиент",
             "3 - Текущий клиент", "4 - Постоянный клиент")
LOYALTIES = ((1, "Лояльный"), (2, "Нейтральный"), (3, "Недоволен"))

# Enabled form fields (Control panel / Forms) and their titles, in form
# order.  Clients follow the vendor documentation's example account,
# persons and deals a fresh install.
CLIENT_FORM = (
    ("title", "Название"), ("iduser", "Ответственный"),
    ("idcategory", "Отрасль"), ("head_clid", "Головн. орг-ия"),
    ("pid", "Осн. контакт"), ("address", "Адрес"), ("phone", "Телефон"),
    ("fax", "Факс"), ("site_url", "Сайт"), ("mail_url", "Почта"),
    ("territory", "Территория"), ("des", "Описание"),
    ("scheme", "Принятие решений"), ("tip_cmr", "Тип отношений"),
    ("recv", "Реквизиты"), ("clientpath", "Источник клиента"),
)
PERSON_FORM = (
    ("clid", "Клиент"), ("ptitle", "Должность"), ("person", "Ф.И.О."),
    ("tel", "Тел."), ("fax", "Факс"), ("mob", "Моб."), ("mail", "Почта"),
    ("iduser", "Куратор"), ("input7", "Добавочный"),
)
# The order the forms are edited in (it orders change-log lines).
PERSON_FORM_ORDER = ("person", "ptitle", "iduser", "clid", "tel", "input7",
                     "fax", "mob", "mail")
DEAL_FORM = (
    ("mcid", "Компания"), ("iduser", "Куратор"),
    ("datum_plan", "Дата план."), ("idcategory", "Этап"),
    ("dog_num", "Договор"), ("tip", "Тип сделки"),
    ("direction", "Направление"), ("payer", "Плательщик"),
    ("kol", "Сумма план."), ("marg", "Прибыль"),
)

# Bank details; client/list's "bankinfo" shows all but the last.
BANK_FIELDS = ("castUrName", "castInn", "castKpp", "castBank", "castBankKs",
               "castBankRs", "castBankBik", "castOkpo", "castOgrn",
               "castDirName", "castDirSignature", "castDirStatus",
               "castDirStatusSig", "castDirOsnovanie", "castUrAddr",
               "castUrNameShort")

# Column sets (what ORDER BY accepts without an SQL error) and the columns
# holding integers.
HISTORY_COLUMNS = ("cid", "clid", "pid", "did", "datum", "datum_izm", "des",
                   "iduser", "iduser_izm", "tip", "fid", "uid", "identity")
TASK_COLUMNS = ("tid", "maintid", "iduser", "clid", "pid", "did", "cid",
                "datum", "totime", "title", "des", "tip", "active", "autor",
                "priority", "speed", "created", "readonly", "alert", "day",
                "status", "alertTime", "identity")
CLIENT_COLUMNS = ("clid", "uid", "title", "idcategory", "iduser",
                  "clientpath", "des", "address", "phone", "fax", "site_url",
                  "mail_url", "trash", "fav", "pid", "head_clid", "scheme",
                  "tip_cmr", "territory", "date_create", "date_edit",
                  "creator", "editor", "recv", "dostup", "last_dog",
                  "last_hist", "type", "priceLevel", "identity") + tuple(
                      "input%d" % i for i in range(1, 11))
PERSON_COLUMNS = ("pid", "clid", "ptitle", "person", "tel", "fax", "mob",
                  "mail", "rol", "social", "iduser", "clientpath", "loyalty",
                  "date_create", "date_edit", "creator", "editor", "uid",
                  "identity") + tuple("input%d" % i for i in range(1, 11))
DEAL_COLUMNS = ("did", "uid", "idcategory", "clid", "payer", "pid", "datum",
                "autor", "datum_plan", "title", "content", "tip", "kol",
                "close", "adres", "iduser", "datum_izm", "datum_close", "sid",
                "kol_fact", "des_fact", "dog_num", "marga", "calculate",
                "isFrozen", "datum_start", "datum_end", "pid_list", "zayavka",
                "mcid", "direction", "idcurrency", "idcourse", "lid",
                "identity")
DATETIME_COLUMNS = {"datum", "datum_izm", "date_create", "date_edit",
                    "created", "datum_plan", "datum_close", "datum_start",
                    "datum_end", "last_hist", "last_dog", "totime"}
INT_COLUMNS = {"cid", "clid", "did", "iduser", "iduser_izm", "identity",
               "tid", "maintid", "autor", "priority", "speed", "status",
               "alertTime", "idcategory", "clientpath", "pid", "head_clid",
               "territory", "creator", "editor", "loyalty", "payer", "sid",
               "isFrozen", "mcid", "direction", "idcurrency", "idcourse",
               "lid"}
FLOAT_COLUMNS = {"kol", "kol_fact", "marga"}

# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

# --scale keys are the API's method names (singular), so a bare Pipedrive
# key such as deals=250000 does not reach this provider.
DEFAULT_SCALE = {"user": 5, "client": 60, "person": 150, "deal": 200,
                 "task": 150, "history": 1500}

# The client whose history has exactly this many rows (paging: 200 + 5).
BIG_CLIENT = 1
BIG_CLIENT_HISTORY = 205
TIE_DATUM = "2025-07-01 12:00:00"   # three history rows share it (unshifted)

# A Russian CRM's own pools (patronymics, Russian word order), not
# provider_kit's vendor-neutral ones: the rows and README figures depend on
# them.
LAST_NAMES = ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов",
              "Лебедев", "Новиков", "Морозов", "Волков", "Müller", "O'Neil",
              "Smith", "Фёдоров")
FIRST_NAMES = ("Иван", "Пётр", "Алексей", "Сергей", "Дмитрий", "Андрей",
               "Мария", "Елена", "Ольга", "Jürgen", "Kate", "Зоя")
MIDDLE_NAMES = ("Иванович", "Петрович", "Сергеевич", "", "", "")
POSTS = ("Директор", "Менеджер по закупкам", "Главный инженер", "Бухгалтер",
         "CTO", "Руководитель отдела", None)
COMPANY_WORDS = ("Вектор", "Север", "Альфа", "Гранит", "Орион", "Техно",
                 "Полюс", "Восток", "Nordic", "Atlas", "Квант", "Маяк")
COMPANY_FORMS = ("ООО", "АО", "ИП", "ЗАО", "GmbH", "Ltd")
DEAL_WORDS = ("Поставка оборудования", "Внедрение CRM", "Сервисный договор",
              "Лицензии", "Консалтинг", "Обучение персонала", "Модернизация",
              "Пилотный проект")
HISTORY_TEXTS = (
    "Позвонил клиенту, обсудили условия поставки",
    "Отправлено коммерческое предложение",
    "Встреча в офисе клиента",
    "Клиент просит перезвонить на следующей неделе",
    "Согласовали сроки, ждём подписанный договор",
    "Письмо с реквизитами для оплаты",
    "Called back, left a voicemail",
    "Обсудили скидку 5% при предоплате",
)
TASK_TITLES = ("Позвонить клиенту", "Отправить КП", "Подготовить договор",
               "Встреча по проекту", "Уточнить реквизиты",
               "Follow up the proposal", "Напомнить об оплате")

CLIENT_EXTRAS = {
    1: ("Ромашка, ООО", "client"),
    2: ("Müller Maschinenbau GmbH", "client"),
    3: ("Кафе ”У Петровича”", "client"),
    4: ("Сидоров Пётр Андреевич", "person"),
    5: ("Партнёр-Сервис, ЗАО", "partner"),
}


class Table:
    """Rows of one entity by id, with the next id to assign.

    A MariaDB table rather than provider_kit's ``Table``: keyed by its own
    id column (``cid``, ``clid``, ...) as the dumps show it, ids assigned
    on ``add`` and never reused, rows really deleted, and ``values`` a
    snapshot that a delete loop may walk; lists sort per scan (see
    ``salesman_reads.listed``), not by cached keyset orders."""

    def __init__(self, key):
        self.key = key
        self.rows = {}
        self.next_id = 1

    def add(self, row):
        if row.get(self.key) is None:
            row[self.key] = self.next_id
        self.rows[row[self.key]] = row
        self.next_id = max(self.next_id, row[self.key] + 1)
        return row

    def get(self, row_id):
        return self.rows.get(row_id)

    def delete(self, row_id):
        return self.rows.pop(row_id, None)

    def values(self):
        """Rows in id order (ids are only ever assigned ascending)."""
        return list(self.rows.values())

    def __len__(self):
        return len(self.rows)


class Store:
    """Every table of the account."""

    def __init__(self):
        self.users = Table("iduser")
        self.clients = Table("clid")
        self.persons = Table("pid")
        self.deals = Table("did")
        self.tasks = Table("tid")
        self.history = Table("cid")
        self.tips = []              # [title, colour, filter], grows
        self.list_cache = {}        # salesman_reads.listed
        self.deal_number = 0        # the counter behind "СДn: " titles


def _phone(rng):
    return "+7 (%03d) %03d-%02d-%02d" % (rng.randint(300, 999),
                                          rng.randint(100, 999),
                                          rng.randint(10, 99),
                                          rng.randint(10, 99))


def generate(seed, scale, shift=0):
    """A new account; every generated time moves by ``shift`` seconds
    (whole days, see --anchor)."""
    store = Store()
    store.tips = [list(t) for t in TIPS]
    window = Window(shift)

    def rng(entity):
        return seeded_rng("salesman", seed, entity)
    gen_users(store, rng("users"), scale["user"])
    gen_clients(store, window, rng("clients"), scale["client"])
    gen_persons(store, window, rng("persons"), scale["person"])
    gen_deals(store, window, rng("deals"), scale["deal"])
    gen_tasks(store, window, rng("tasks"), scale["task"])
    gen_history(store, window, rng("history"), scale["history"])
    return store


def gen_users(store, rng, n):
    for i in range(1, max(n, 1) + 1):
        if i <= len(USERS):
            uid_, login, title, role, boss, active, post, phone = USERS[i - 1]
        else:
            login, title = "user%d@example.com" % i, "Сотрудник %d" % i
            role, boss, active, post, phone = ROLE_MANAGER, 2, "yes", \
                "Менеджер", None
        store.users.add({
            "iduser": i, "login": login, "title": title, "email": login,
            "secrty": active, "tip": role, "mid": boss if i > 1 else 0,
            "otdel": None, "uid": None, "user_post": post, "phone": phone,
            "phone_in": None, "mob": None,
            "isadmin": "on" if i == 1 else "off"})


def _user_ids(store, active_only=True):
    return [u["iduser"] for u in store.users.values()
            if u["secrty"] == "yes" or not active_only]


def gen_clients(store, window, rng, n):
    users = _user_ids(store, active_only=False)
    for i in range(1, n + 1):
        created = window.time(rng, 0.0, 0.6)
        if i in CLIENT_EXTRAS:
            title, ctype = CLIENT_EXTRAS[i]
        else:
            ctype = rng.choice(("client",) * 8 + ("person", "partner",
                                                  "contractor"))
            if ctype == "person":
                title = "%s %s" % (rng.choice(LAST_NAMES),
                                   rng.choice(FIRST_NAMES))
            else:
                form = rng.choice(COMPANY_FORMS)
                title = "%s %d, %s" % (rng.choice(COMPANY_WORDS), i, form)
        edited = None
        if rng.random() < 0.5:
            edited = sql_time(min(created + rng.randint(3600, 200 * DAY),
                                  window.end))
        recv = None
        if ctype != "person" and rng.random() < 0.6:
            recv = {k: "" for k in BANK_FIELDS}
            recv.update({"castUrName": title, "castInn": "77%08d" % (
                rng.randint(0, 10 ** 8 - 1)), "castKpp": "7701%05d" % i,
                "castBank": "ПАО «Банк» г. Москва"})
        store.clients.add({
            "clid": i, "uid": ("ext-%d" % i) if i % 7 == 0 else None,
            "title": title, "type": ctype,
            "iduser": users[(i - 1) % len(users)] if i > 1 else 1,
            "date_create": sql_time(created), "date_edit": edited,
            "address": None if rng.random() < 0.3 else (
                "г. Москва, ул. Ленина, д. %d" % rng.randint(1, 99)
                if i != 3 else "C:\\Офис\\5, ”вход со двора”"),
            "phone": None if rng.random() < 0.2 else _phone(rng),
            "fax": None, "site_url": None if rng.random() < 0.5 else (
                "https://client%d.example.ru/" % i),
            "mail_url": None if rng.random() < 0.3 else (
                "info@client%d.example.ru" % i),
            "des": None if rng.random() < 0.7 else (
                "Ключевой клиент.\nРаботаем с %d года" % (2010 + i % 15)),
            "idcategory": rng.choice((0, 1, 2, 3)),
            "territory": rng.choice((0, 1, 2, 3)),
            "tip_cmr": rng.choice((None,) + RELATIONS),
            "clientpath": rng.choice([c[0] for c in CLIENT_PATHS]),
            "pid": 0, "head_clid": 0, "scheme": None, "trash": "no",
            "fav": "yes" if i % 11 == 0 else "no", "creator": 1,
            "editor": 1 if edited else 0, "recv": recv,
            "priceLevel": "price_1", "last_hist": None})


def gen_persons(store, window, rng, n):
    users = _user_ids(store, active_only=False)
    clids = sorted(store.clients.rows)
    for i in range(1, n + 1):
        clid = 0
        if clids and rng.random() < 0.9:
            clid = clids[(i - 1) % len(clids)] if i <= len(clids) else \
                rng.choice(clids)
        client = store.clients.get(clid)
        created = window.time(rng, 0.0, 0.7)
        if client:
            created = max(created, parse_sql_time(client["date_create"]))
        name = "%s %s %s" % (rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES),
                             rng.choice(MIDDLE_NAMES))
        if i == 1:
            name = "Иванов Иван Петрович"
        elif i == 2:
            name = "O'Brien Kate"
        elif i == 3:
            name = "Cher"
        name = name.strip()
        post = rng.choice(POSTS)
        if i == 1:
            post = "Директор по ”развитию”"
        store.persons.add({
            "pid": i, "clid": clid, "person": name, "ptitle": post,
            "tel": None if rng.random() < 0.3 else _phone(rng),
            "fax": None, "mob": None if rng.random() < 0.6 else _phone(rng),
            "mail": None if rng.random() < 0.2 else "person%d@example.com" % i,
            "iduser": str(client["iduser"] if client else rng.choice(users)),
            "input7": None if rng.random() < 0.8 else str(rng.randint(100,
                                                                      999)),
            "date_create": sql_time(created), "date_edit": None,
            "loyalty": 0, "clientpath": DEFAULT_CLIENT_PATH, "rol": None,
            "social": None,
            "creator": 1, "editor": 0, "uid": None})
        if client and client["pid"] == 0 and rng.random() < 0.6:
            client["pid"] = i


def _client_persons(store):
    by_client = {}
    for p in store.persons.values():
        by_client.setdefault(p["clid"], []).append(p["pid"])
    return by_client


def gen_deals(store, window, rng, n):
    users = _user_ids(store)
    clids = sorted(store.clients.rows)
    persons = _client_persons(store)
    for i in range(1, n + 1):
        if not clids:
            break
        clid = clids[(i - 1) % len(clids)] if i <= len(clids) // 2 else \
            rng.choice(clids)
        if i <= 3:
            clid = 1
        client = store.clients.get(clid)
        created = max(window.time(rng, 0.05, 0.85),
                      parse_sql_time(client["date_create"]))
        direction = 2 if rng.random() < 0.2 else 1
        tip = 2 if direction == 2 and rng.random() < 0.8 else \
            rng.choice((1, 1, 2, 3))
        title_, steps, default = funnel_of(direction, tip)
        roll = rng.random()
        closed = roll < 0.35
        if closed:
            sid = rng.choice((1, 1, 2, 3, 4, 5))
            win = STATUS_BY_ID[sid][3] == "win"
            step = steps[-1] if win else rng.choice(steps[:-1])
        else:
            sid = None
            step = rng.choice(steps[:-1])
        kol = 0.0 if rng.random() < 0.05 else round(
            rng.uniform(5000, 900000), 2)
        if i % 10 == 0:
            kol = float(int(kol))
        plan = created + rng.randint(7, 90) * DAY
        close_day = None
        if closed:
            close_day = min(created + rng.randint(1, 120) * DAY, window.end)
        changed = None
        if rng.random() < 0.5:
            changed = min(created + rng.randint(0, 60) * DAY, window.end)
        pids = persons.get(clid, [])
        name = rng.choice(DEAL_WORDS)
        if i == 1:
            name = 'Поставка "под ключ"'.replace('"', "")
        elif i == 2:
            name = "Renewal 2026 – Müller"
        store.deal_number += 1
        store.deals.add({
            "did": i, "uid": None, "datum": day_of(created),
            "datum_izm": day_of(changed),
            "clid": clid, "payer": clid,
            "pid": pids[0] if pids and rng.random() < 0.6 else 0,
            "title": "СД%d: %s" % (store.deal_number, name), "mcid": 0,
            "iduser": int(client["iduser"]) if int(client["iduser"]) in
            users else rng.choice(users), "autor": 1,
            "datum_plan": day_of(plan), "idcategory": step, "tip": tip,
            "direction": direction, "kol": kol,
            "marga": round(kol * rng.choice((0.0, 0.1, 0.2, 0.3)), 2),
            "close": "yes" if closed else "no",
            "datum_close": day_of(close_day),
            "sid": sid, "des_fact": (rng.choice((None, "Оплачено полностью",
                                                 "Клиент ушёл к конкуренту"))
                                     if closed else None),
            "kol_fact": (kol if closed and STATUS_BY_ID[sid][3] == "win"
                         else 0.0),
            "datum_start": None, "datum_end": None,
            "content": None if rng.random() < 0.6 else "Описание сделки %d"
            % i, "dog_num": None, "calculate": "no", "pid_list": None,
            "adres": None})


def gen_tasks(store, window, rng, n):
    users = _user_ids(store)
    deals = store.deals.values()
    persons = _client_persons(store)
    tips = [t[0] for t in TIPS if t[2] in ("all", "task")]
    for i in range(1, n + 1):
        when = window.time(rng)
        created = max(when - rng.randint(0, 30) * DAY, window.start)
        clid, did, pid = 0, 0, ""
        roll = rng.random()
        if deals and roll < 0.4:
            deal = rng.choice(deals)
            clid, did = deal["clid"], deal["did"]
        elif store.clients.rows and roll < 0.8:
            clid = rng.choice(sorted(store.clients.rows))
        if clid and persons.get(clid) and rng.random() < 0.7:
            pid = ";".join(str(p) for p in persons[clid][:rng.choice(
                (1, 1, 2))])
        if pid == "":       # as the server does: the client's main contact
            client = store.clients.get(clid)
            pid = str(client["pid"] if client else 0)
        done = rng.random() < 0.4
        iduser = rng.choice(users)
        autor = 0 if rng.random() < 0.7 else rng.choice(
            [u for u in users if u != iduser] or [0])
        title = rng.choice(TASK_TITLES)
        if i == 1:
            title = "Позвонить Иванову (срочно!)"
        des = None
        if rng.random() < 0.5:
            des = "Обсудить:\n- сроки\n- оплату" if i % 3 == 0 else \
                "Уточнить детали заказа №%d" % i
        store.tasks.add({
            "tid": i, "maintid": 0, "iduser": iduser, "clid": clid,
            "pid": pid, "did": did, "cid": 0, "datum": day_of(when),
            "totime": "%02d:%02d:00" % (rng.randint(8, 18),
                                        rng.choice((0, 15, 30, 45))),
            "title": title, "des": des, "tip": rng.choice(tips),
            "active": "no" if done else "yes", "autor": autor,
            "priority": rng.choice((0, 0, 1, 2)),
            "speed": rng.choice((0, 0, 1, 2)), "created": sql_time(created),
            "readonly": "no", "alert": "no",
            "day": "yes" if rng.random() < 0.1 else None,
            "status": rng.choice((1, 1, 2)) if done else 0,
            "alertTime": 0})


def gen_history(store, window, rng, n):
    """Server-written rows for every client and deal, then ``n`` free rows,
    then enough rows on BIG_CLIENT for it to have exactly
    BIG_CLIENT_HISTORY rows."""
    users = _user_ids(store)
    rows = []
    for c in store.clients.values():
        rows.append({"clid": c["clid"], "pid": "", "did": 0,
                     "datum": c["date_create"], "des": "Добавлен клиент",
                     "iduser": c["creator"], "tip": SERVER_TIP, "fid": None})
    for d in store.deals.values():
        rows.append({"clid": d["clid"], "pid": "", "did": 0,
                     "datum": d["datum"] + " 12:00:00",
                     "des": "Добавлена сделка", "iduser": d["autor"],
                     "tip": SERVER_TIP, "fid": None})
    persons = _client_persons(store)
    deals_by_client = {}
    for d in store.deals.values():
        deals_by_client.setdefault(d["clid"], []).append(d["did"])
    tips = [t[0] for t in TIPS if t[2] in ("all", "activ")]
    clids = sorted(store.clients.rows)

    def free_row(k, clid):
        when = window.time(rng)
        pids = persons.get(clid, []) if clid else []
        pid = ""
        r = rng.random()
        if pids and r < 0.5:
            pid = str(rng.choice(pids))
        elif len(pids) > 1 and r < 0.65:
            pid = "%d;%d" % (pids[0], pids[1])
        did = 0
        if clid and deals_by_client.get(clid) and rng.random() < 0.5:
            did = rng.choice(deals_by_client[clid])
        des = rng.choice(HISTORY_TEXTS)
        tip = rng.choice(tips)
        if k % 17 == 0:
            des = "Итоги встречи:\n1. Цена согласована\n2. Доставка до 15.03"
        elif k % 23 == 0:
            des = "Ответ клиента:\r\nСогласны на условия"
        elif k % 29 == 0:
            tip = LOG_TIP
            des = ("Изменены параметры записи:\n"
                   "============================\n"
                   ' Название - <b>Сделка "Север"</b> (было - Сделка)')
        return {"clid": clid, "pid": pid, "did": did,
                "datum": sql_time(when), "des": des,
                "iduser": rng.choice(users), "tip": tip, "fid": None}

    for k in range(1, n + 1):
        clid = rng.choice(clids) if clids and rng.random() < 0.9 else 0
        if clid == BIG_CLIENT:
            clid = clids[-1] if clids[-1] != BIG_CLIENT else 0
        rows.append(free_row(k, clid))
    if BIG_CLIENT in store.clients.rows:
        have = sum(1 for r in rows if r["clid"] == BIG_CLIENT)
        for k in range(max(0, BIG_CLIENT_HISTORY - have)):
            rows.append(free_row(100000 + k, BIG_CLIENT))
    # Three rows of other clients share one timestamp (ties are ordered by
    # cid), and one holds the zero datetime an unreadable datum is stored
    # as.
    others = [r for r in rows if r["clid"] != BIG_CLIENT and r["tip"] not in
              (SERVER_TIP, LOG_TIP)]
    if len(others) > 4:
        tie = sql_time(parse_sql_time(TIE_DATUM) + window.shift)
        for r in others[1:4]:
            r["datum"] = tie
        others[-1]["datum"] = "0000-00-00 00:00:00"
    # cids follow the datum, as rows written over time get them; the
    # unreadable one was written last
    rows.sort(key=lambda r: (r["datum"].startswith("0000"), r["datum"]))
    for cid, row in enumerate(rows, 1):
        row["cid"] = cid
        store.history.add(row)
