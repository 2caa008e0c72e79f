"""SalesMan CRM API v3: the read actions.

This module owns every action that only reads: ``fields``, ``tips`` and the
dictionaries, ``list`` (filters, ordering, paging by page index, 200 rows a
page) and ``info`` of history, task, deal, client, person and user, rendered
field by field as the server renders them (ids as integers or strings per
method, empty strings for unlinked names, ``<br />`` in history lists, the
deal/info keys that read null).  Each handler takes a ``salesman.Ctx`` and
returns the object the server prints, or raises ``salesman.Fatal``.
"""

import json
import math

import salesman_data as data
import salesman_php as php
from salesman import error, method_fatal, sql_fatal

PAGE = 200


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------

def num(value):
    """A float column as the server prints it (whole numbers bare)."""
    value = float(value or 0)
    return int(value) if value == int(value) and abs(value) < 1e15 else value


def page_start(ctx, value, line):
    """``$offset = ($params['offset'] > 0) ? $params['offset'] : 0`` then
    ``$offset * 200``: PHP 8's comparison and arithmetic, with the errors
    they raise for strings that are not numbers and for arrays."""
    if value is None or value is False:
        return 0
    if value is True:
        return PAGE
    if isinstance(value, (list, dict)):
        raise method_fatal(ctx.method, "TypeError",
                           "Unsupported operand types: array * int", line)
    if isinstance(value, str) and not php.is_numeric(value):
        if not value > "0":
            return 0
        if php._LEADING_NUMBER.match(value) is None:
            raise method_fatal(ctx.method, "TypeError",
                               "Unsupported operand types: string * int",
                               line)
    number = php.php_number(value)
    if number <= 0:
        return 0
    start = number * PAGE
    if start != int(start):
        raise sql_fatal(
            "You have an error in your SQL syntax; check the manual that "
            "corresponds to your MariaDB server version for the right syntax "
            "to use near '%s,200' at line 1" % php.php_str(start))
    return int(start)


def check_order(order, columns, prefix=""):
    """The ORDER BY column: a column of the table, else MariaDB's error."""
    text = php.php_str(order).strip()
    for column in columns:
        if column.lower() == text.lower():
            return column
    raise sql_fatal("Unknown column '%s%s' in 'ORDER BY'" % (prefix, text))


def sort_rows(rows, column, desc, key_of=None):
    """ORDER BY column [DESC]: NULLs first ascending, last descending;
    equal values keep the rows' id order."""
    numeric = column in data.INT_COLUMNS or column in data.FLOAT_COLUMNS
    plain = column in data.DATETIME_COLUMNS      # digits: no case folding

    def key(row):
        value = key_of(row) if key_of else row.get(column)
        if value is None:
            return (0, 0)
        if numeric:
            return (1, php.php_number(value))
        if plain and type(value) is str:
            return (1, value)
        return (1, php.php_str(value).casefold())
    return sorted(rows, key=key, reverse=desc)


def day_bounds(value, default):
    """A date bound of a list filter, as MariaDB reads the string."""
    if php.php_blank(value):
        value = default
    return php.mysql_datetime(value)


def as_day(value):
    """DATE(column) as a comparable datetime string."""
    if value is None:
        return None
    if type(value) is not str:
        value = php.php_str(value)
    return value[:10] + " 00:00:00"


def listed(ctx, compute):
    """The filtered, sorted rows of a list request, kept for the following
    pages of the same scan: the key is everything but ``offset`` (plus the
    caller and today); any write empties the cache."""
    params = {k: v for k, v in ctx.params.items() if k != "offset"}
    key = (ctx.method, ctx.iduser, ctx.clock.today(),
           json.dumps(params, sort_keys=True, default=str))
    cache = ctx.store.list_cache
    if key not in cache:
        if len(cache) >= 16:
            cache.clear()
        cache[key] = compute()
    return cache[key]


def list_page(ctx, compute, start, render):
    """A history or task list answer: the page of up to 200 rows from
    ``start`` of the rows ``compute`` lists, rendered; ``[]`` past the
    end."""
    rows = listed(ctx, compute)[start:start + PAGE]
    if not rows:
        return []
    return {"data": [render(ctx, r) for r in rows]}


def day_range(lo, hi):
    """A test for ``DATE(column) BETWEEN lo AND hi`` on stored text: the
    column's day at midnight against two datetimes."""
    lo_day, lo_strict = lo[:10], lo[11:] != "00:00:00"
    hi_day = hi[:10]

    def test(value):
        if value is None:
            return False
        day = value[:10] if type(value) is str else php.php_str(value)[:10]
        if day > hi_day or day < lo_day:
            return False
        return not (lo_strict and day == lo_day)
    return test


def owner_test(ctx, user):
    """``iduser = userbylogin(user)``, else ``iduser IN (people)``."""
    if php.php_blank(user):
        wanted = set(ctx.people())
        return lambda v: v is not None and (
            v in wanted if type(v) is int else php.php_int(v) in wanted)
    wanted_id = ctx.user_id(user)
    return lambda v: v is not None and php.php_int(v) == wanted_id


def between(value, lo, hi):
    return value is not None and lo <= value <= hi


def raw_str(value):
    """A column the server prints as the database returned it: text."""
    return None if value is None else php.php_str(value)


def get_time(value):
    """getTime: ``HH:MM`` of a TIME or DATETIME value."""
    if not php.php_truthy(value):
        return ""
    text = php.php_str(value)
    parts = [p for p in text.split(" ") if p != ""]
    if len(parts) > 1:
        text = parts[1]
    bits = text.split(":")
    return "%s:%s" % (bits[0], bits[1] if len(bits) > 1 else "")


def number_matches(column_value, param):
    """``column = 'param'`` for an integer column."""
    if column_value is None:
        return False
    return php.php_number(column_value) == php.php_number(param)


def find_by_number(table, param):
    """``WHERE id = 'param'`` (MariaDB reads the string as a number)."""
    if param is None or isinstance(param, (list, dict, bool)):
        return None
    number = php.php_number(param)
    if isinstance(param, str) and not php._LEADING_NUMBER.match(param):
        number = 0
    if number != int(number):
        return None
    return table.get(int(number))


# --------------------------------------------------------------------------
# Dictionaries
# --------------------------------------------------------------------------

def tips(ctx):
    rows = [{"title": t, "color": c, "filter": f}
            for t, c, f in ctx.store.tips]
    return {"data": rows} if rows else []


def history_fields(ctx):
    return {"data": {
        "cid": "Идентификатор записи", "datum": "Дата",
        "des": "Содержание", "tip": "Тип активности",
        "iduser": "Ответственный", "clid": "ID клиента",
        "pid": "ID контакта (массив)", "did": "ID сделки"}}


TASK_FIELDS = (
    ("tid", "Идентификатор напоминания"), ("datum", "Дата"),
    ("totime", "Время"), ("title", "Тема"), ("des", "Агенда"),
    ("tip", "Тип напоминания"), ("active", "Признак: выполнено,активно"),
    ("priority", "Важность"), ("speed", "Срочность"),
    ("iduser", "Ответственный"), ("autor", "Автор напоминания"),
    ("clid", "ID клиента"), ("pid", "ID контакта"), ("did", "ID сделки"),
    ("readonly", "Только для чтения"), ("day", "На весь день"),
    ("status", "Статус выполнения"))


def task_fields(ctx):
    return {"data": dict(TASK_FIELDS)}


def deal_fields(ctx):
    out = {"did": "Уникальный идентификатор записи",
           "uid": "Уникальный идентификатор записи во внешней системе",
           "datum": "Дата создания. YYYY-MM-DD",
           "datum_izm": "Дата последнего изменения. YYYY-MM-DD",
           "clid": "Клиент"}
    for name, title in data.DEAL_FORM:
        if name == "idcategory":
            out["step"] = title
        elif name == "marg":
            out["marga"] = title
        elif name == "mcid":
            out["mcid"] = "ID своей компании"
        else:
            out[name] = title
    out.update({"datum_start": "Период действия. Начало",
                "datum_end": "Период действия. Конец",
                "close": "Признак закрытой сделки",
                "datum_close": "Дата закрытия. YYYY-MM-DD",
                "status_close": "Результат закрытия сделки",
                "des_fact": "Комментарий закрытия сделки",
                "kol_fact": "Фактическая сумма продажи"})
    return {"data": out}


def client_fields(ctx):
    out = {"clid": "Уникальный идентификатор записи клиента в CRM",
           "uid": "Уникальный идентификатор записи клиента в вашей ИС",
           "type": "Тип записи (допустимые - client,person,concurent,"
                   "contractor,parnter)",
           "date_create": "Дата создания. Timestamp",
           "date_edit": "Дата последнего изменения. Timestamp"}
    out.update(dict(data.CLIENT_FORM))
    return {"data": out}


SOCIALS = (("blog", "Блог"), ("mysite", "Сайт"), ("twitter", "Twitter"),
           ("icq", "ICQ"), ("skype", "Skype"), ("google", "Google"),
           ("yandex", "Я.ru"), ("mykrug", "Мой круг"))


def person_fields(ctx):
    out = {"pid": "Уникальный идентификатор записи контакта",
           "date_create": "Дата создания. Timestamp",
           "date_edit": "Дата последнего изменения. Timestamp"}
    out.update(dict(data.PERSON_FORM))
    out["social"] = dict(SOCIALS)
    return {"data": out}


def step_title(step_id):
    s = data.STEP_BY_ID.get(php.php_int(step_id))
    return s[1] if s else None


def step_content(step_id):
    s = data.STEP_BY_ID.get(php.php_int(step_id))
    return s[2] if s else None


def step_id_by_title(name):
    """getStep: the id of the step whose title equals ``name``, else 0."""
    if php.php_blank(name):
        return 0
    for sid, title, _ in data.STEPS:
        if php.php_eq(name, title) or php.php_str(name).strip() == title:
            return sid
    return 0


def dict_title(pairs, key):
    """The title of dictionary entry ``key`` among (id, title) pairs, or
    "" (the server's LEFT JOIN finding nothing)."""
    for i, t in pairs:
        if i == php.php_int(key):
            return t
    return ""


def dict_id(pairs, name):
    """The id of the entry titled ``name`` (case-insensitive), else 0."""
    wanted = php.php_str(name).casefold()
    return next((i for i, t in pairs if t.casefold() == wanted), 0)


def dictionary_id(pairs, value):
    """An entry given by its id (a number) or by its title (cleaned)."""
    if php.is_numeric(value):
        return php.php_int(value)
    return dict_id(pairs, php.untag(value))


DIRECTION_PAIRS = [(i, t) for i, t, _ in data.DIRECTIONS]
DEAL_TYPE_PAIRS = [(i, t) for i, t, _ in data.DEAL_TYPES]
CATEGORY_PAIRS = [(i, t) for i, t, _ in data.CATEGORIES]
STATUS_PAIRS = [(i, t) for i, t, _, _ in data.CLOSE_STATUSES]


def direction_title(did):
    return dict_title(DIRECTION_PAIRS, did)


def direction_id(name):
    return dict_id(DIRECTION_PAIRS, name)


def deal_type_title(tid):
    return dict_title(DEAL_TYPE_PAIRS, tid)


def deal_type_id(name):
    return dict_id(DEAL_TYPE_PAIRS, name)


def deal_steplist(ctx):
    return {"data": [{"idcategory": i, "title": t, "content": c}
                     for i, t, c in sorted(data.STEPS,
                                           key=lambda s: int(s[1]))]}


def deal_direction(ctx):
    return {"data": [{"id": i, "title": t, "isDefault": d}
                     for i, t, d in sorted(data.DIRECTIONS,
                                           key=lambda x: x[1].casefold())]}


def deal_type(ctx):
    out = []
    for i, t, d in sorted(data.DEAL_TYPES, key=lambda x: x[1].casefold()):
        row = {"tid": i, "title": t}
        if d:
            row["isDefault"] = d
        out.append(row)
    return {"data": out}


def deal_statusclose(ctx):
    wanted = php.php_str(ctx.p("filter"))
    rows = [{"sid": i, "title": t, "content": c, "result": r}
            for i, t, c, r in sorted(data.CLOSE_STATUSES,
                                     key=lambda x: x[1].casefold())
            if wanted not in ("win", "lose") or r == wanted]
    return {"data": rows}


def _funnel_body(direction, tip):
    title, steps, default = data.funnel_of(direction, tip)
    return title, {str(s): 5 for s in steps}, default, steps


def deal_funnel(ctx):
    did = php.php_int(ctx.p("did"))
    names = {str(s[0]): s[1] for s in data.STEPS}
    if did > 0:
        deal = ctx.store.deals.get(did)
        direction = deal["direction"] if deal else 0
        tip = deal["tip"] if deal else 0
        title, steps, default, order = _funnel_body(direction, tip)
        current = php.php_int(deal["idcategory"]) if deal else 0
        idx = order.index(current) if current in order else -1
        prev = order[idx - 1] if idx > 0 else 0
        nxt = order[idx + 1] if 0 <= idx < len(order) - 1 else (
            order[0] if idx < 0 else 0)

        def brief(step_id):
            return {"id": step_id, "title": step_title(step_id),
                    "content": step_content(step_id)}
        return {"data": {
            "steps": steps, "default": default, "length": 5 * len(steps),
            "funnel": title, "prev": brief(prev), "current": brief(current),
            "next": brief(nxt),
            "stepsName": {k: names[k] for k in steps},
            "defaultName": step_title(default) or ""}}
    direction_param, tip_param = ctx.p("direction"), ctx.p("tip")
    if php.php_blank(direction_param) and php.php_blank(tip_param):
        out = {}
        for d, t in sorted(data.FUNNELS):
            title, steps, default, order = _funnel_body(d, t)
            out.setdefault(str(d), {})[str(t)] = {
                "steps": steps,
                "nsteps": [{"id": s, "name": step_title(s),
                            "content": step_content(s)} for s in order],
                "length": 5 * len(steps), "default": None, "funnel": title}
        out["stepsName"] = []
        out["defaultName"] = ""
        return {"data": out}
    direction = dictionary_id(DIRECTION_PAIRS, direction_param)
    tip = dictionary_id(DEAL_TYPE_PAIRS, tip_param)
    if (direction, tip) not in data.FUNNELS:
        return {"data": {"stepsName": [], "defaultName": ""}}
    title, steps, default, order = _funnel_body(direction, tip)
    return {"data": {
        "steps": steps,
        "nsteps": [{"id": s, "name": step_title(s),
                    "content": step_content(s)} for s in order],
        "length": 5 * len(steps), "default": 0, "funnel": title,
        "stepsName": {k: names[k] for k in steps},
        "defaultName": step_title(order[0]) if order else ""}}


# --------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------

HISTORY_FIELDS = ("cid", "datum", "des", "tip", "iduser", "clid", "pid",
                  "did")


def render_history(ctx, row, info=False):
    out = {"cid": row["cid"], "datum": row["datum"]}
    if info:
        out["content"] = row["des"]
    else:
        out["content"] = php.nl2br(php.untag_display(row["des"]))
    out["tip"] = row["tip"]
    out["iduser"] = php.php_int(row["iduser"])
    out["user"] = ctx.user_login(row["iduser"])
    out["clid"] = php.php_int(row["clid"])
    out["client"] = ctx.client_title(row["clid"])
    if info:
        first = php.php_int(row["pid"])
        out["person"] = ctx.person_list(str(first))
    else:
        persons = ctx.person_list(row["pid"])
        if persons:
            out["person"] = persons
    out["did"] = php.php_int(row["did"])
    out["dogovor"] = ctx.deal_title(row["did"])
    return out


def history_list(ctx):
    p = ctx.params
    start = page_start(ctx, p.get("offset"), 246)
    order = "datum" if php.php_blank(p.get("order")) else p.get("order")
    column = check_order(order, data.HISTORY_COLUMNS)
    desc = not php.php_eq(p.get("first"), "old")
    today = ctx.clock.today()
    lo = day_bounds(p.get("dateStart"), today)
    hi = day_bounds(p.get("dateEnd"), today)
    word = None if php.php_blank(p.get("word")) else php.cleaner(
        p.get("word"))
    tip = p.get("tip")
    tip_filter = None
    if not php.php_blank(tip) and any(php.php_eq(tip, f)
                                      for f in HISTORY_FIELDS):
        tip_filter = php.cleaner(tip)
    user_ok = owner_test(ctx, p.get("user"))
    clid = p.get("clid") if php.php_int(p.get("clid")) > 0 else None
    did = p.get("did") if php.php_int(p.get("did")) > 0 else None
    pid = php.php_str(p.get("pid")) if php.php_int(p.get("pid")) > 0 \
        else None
    day_in = day_range(lo, hi)

    def select():
        return [row for row in ctx.store.history.values() if keep(row)]

    def keep(row):
        if not day_in(row["datum"]):
            return False
        if not user_ok(row["iduser"]):
            return False
        if word is not None and not (php.contains(row["des"], word)
                                     or php.contains(row["tip"], word)):
            return False
        if tip_filter is not None and not php.like(row["tip"], tip_filter):
            return False
        if clid is not None and not number_matches(row["clid"], clid):
            return False
        if did is not None and not number_matches(row["did"], did):
            return False
        if pid is not None and pid not in php.php_str(row["pid"]).replace(
                ";", ",").split(","):
            return False
        return True

    return list_page(ctx, lambda: sort_rows(select(), column, desc), start,
                     render_history)


def history_info(ctx):
    cid_param = ctx.p("cid")
    row = find_by_number(ctx.store.history, cid_param)
    if row is None and not php.php_blank(cid_param):
        return error("403", "Не найдено в пределах аккаунта указанного "
                            "пользователя.")
    if row is not None and not php.php_blank(cid_param):
        return {"data": render_history(ctx, row, info=True)}
    if php.php_blank(ctx.p("id")):
        return error(405, "Отсутствуют параметры - сid записи")
    return error(404, "Не найдено")


# --------------------------------------------------------------------------
# task
# --------------------------------------------------------------------------

def render_task(ctx, row, info=False):
    out = {}
    for field, _ in TASK_FIELDS:
        if field == "clid":
            out["clid"] = php.php_int(row["clid"])
            out["client"] = ctx.client_title(row["clid"])
        elif field == "pid":
            if info:
                out["person"] = ctx.person_list(row["pid"])
        elif field == "did":
            out["did"] = php.php_int(row["did"])
            out["dogovor"] = ctx.deal_title(row["did"])
        elif field == "iduser":
            out["iduser"] = php.php_int(row["iduser"])
            out["user"] = ctx.user_login(row["iduser"])
        elif field == "autor":
            out["autor"] = php.php_int(row["autor"])
            out["autorlogin"] = ctx.user_login(row["autor"])
        elif field == "totime":
            out["totime"] = get_time(row["totime"])
        else:
            out[field] = raw_str(row.get(field))
    return out


def task_list(ctx):
    p = ctx.params
    start = page_start(ctx, p.get("offset"), 256)
    order = "datum" if php.php_blank(p.get("order")) else p.get("order")
    column = check_order(order, data.TASK_COLUMNS)
    desc = not php.php_eq(p.get("first"), "old")
    active = p.get("active")
    if "status" in p and p["status"] is not None:
        active = "no"           # the status filter itself is lost
    today = ctx.clock.today()
    lo = day_bounds(p.get("dateStart"), today)
    hi = day_bounds(p.get("dateEnd"), today)
    word = None if php.php_blank(p.get("word")) else php.cleaner(
        p.get("word"))
    tip = p.get("tip")
    tip_filter = None
    if not php.php_blank(tip) and any(php.php_eq(tip, f)
                                      for f, _ in TASK_FIELDS):
        tip_filter = php.cleaner(tip)
    if php.php_blank(p.get("user")):
        people = set(ctx.people())
        user_ok = lambda v: v is not None and php.php_int(v) in people
    else:
        wanted = ctx.user_id(p.get("user"))
        user_ok = lambda v: v is not None and php.php_int(v) == wanted
    active_text = php.php_str(active)
    clid = p.get("clid") if php.php_int(p.get("clid")) > 0 else None
    did = p.get("did") if php.php_int(p.get("did")) > 0 else None

    def select():
        return [row for row in ctx.store.tasks.values() if keep(row)]

    def keep(row):
        if word is not None and not (php.contains(row["title"], word)
                                     or php.contains(row["des"], word)
                                     or php.contains(row["tip"], word)):
            return False
        if tip_filter is not None and not php.like(row["tip"], tip_filter):
            return False
        if not between(as_day(row["datum"]), lo, hi):
            return False
        if not user_ok(row["iduser"]):
            return False
        if row["active"] is None or \
                row["active"].rstrip(" ").casefold() != \
                active_text.rstrip(" ").casefold():
            return False
        if clid is not None and not number_matches(row["clid"], clid):
            return False
        if did is not None and not number_matches(row["did"], did):
            return False
        return True

    return list_page(ctx, lambda: sort_rows(select(), column, desc), start,
                     render_task)


def task_info(ctx):
    id_param = ctx.p("id")
    row = find_by_number(ctx.store.tasks, id_param)
    if row is None and not php.php_blank(id_param):
        return error(403, "Напоминание с указанным id не найдено в пределах "
                          "аккаунта указанного пользователя.")
    if row is not None and not php.php_blank(id_param):
        return {"data": render_task(ctx, row, info=True)}
    if php.php_blank(id_param):
        return error(405, "Отсутствуют параметры - id напоминания")
    return error(404, "Не найдено")


# --------------------------------------------------------------------------
# deal
# --------------------------------------------------------------------------

def deal_field_names(ctx):
    names = ["did", "uid", "datum", "datum_izm", "clid", "title"]
    for name, _ in data.DEAL_FORM:
        names.append({"idcategory": "step", "marg": "marga"}.get(name, name))
    names += ["datum_start", "datum_end", "dog_num", "close", "datum_close",
              "status_close", "des_fact", "kol_fact"]
    wanted = ctx.p("fields")
    if php.php_truthy(wanted) and not isinstance(wanted, (list, dict)):
        return [f for f in php.split_ids(wanted, ",") if f in names]
    return names


def render_deal_row(ctx, row):
    out = {}
    for field in deal_field_names(ctx):
        if field in ("iduser", "user"):
            out[field] = php.php_int(row["iduser"])
            out["user"] = ctx.user_login(row["iduser"])
            out["userTitle"] = ctx.user_title_or_blank(row["iduser"])
        elif field == "clid":
            out["clid"] = php.php_int(row["clid"])
            client = ctx.store.clients.get(php.php_int(row["clid"]))
            out["clientTitle"] = client["title"] if client else None
        elif field == "payer":
            out["payer"] = php.php_int(row["payer"])
            out["payerTitle"] = ctx.client_title(row["payer"])
        elif field == "step":
            out["step"] = php.php_int(step_title(row["idcategory"]))
            out["stepID"] = php.php_int(row["idcategory"])
            out["stepTitle"] = step_content(row["idcategory"])
        elif field == "direction":
            out["directionID"] = php.php_int(row["direction"])
            out["direction"] = direction_title(row["direction"])
        elif field == "tip":
            out["tipID"] = php.php_int(row["tip"])
            out["tip"] = deal_type_title(row["tip"])
        elif field == "status_close":
            status = data.STATUS_BY_ID.get(php.php_int(row["sid"]))
            out["status_close"] = status[1] if status else False
        elif field == "dog_num":
            out["contractID"] = php.php_int(row["dog_num"])
            out["contractTitle"] = None
            out["contractNumber"] = None
            out["contractDate"] = None
        elif field in data.INT_COLUMNS:
            out[field] = php.php_int(row.get(field))
        elif field in data.FLOAT_COLUMNS:
            out[field] = num(row.get(field))
        else:
            value = row.get(field)
            out[field] = value if value not in (None, "") else None
    return out


def deal_list(ctx):
    p = ctx.params
    page = php.php_int(p.get("offset"))
    page = page if page > 0 else 0
    ord_ = "datum" if php.php_blank(p.get("order")) else php.php_str(
        p.get("order"))
    tuda = "ASC" if php.php_eq(p.get("first"), "old") else "DESC"
    synonyms = {"date_create": "datum", "date_change": "datum_izm",
                "date_chage": "datum_izm", "date_start": "datum_start",
                "date_end": "datum_end", "date_close": "datum_close"}
    ord_ = synonyms.get(ord_, ord_)
    column = check_order(ord_, data.DEAL_COLUMNS, "deal.")
    d1 = p.get("dateStart") if php.php_truthy(p.get("dateStart")) else ""
    d2 = p.get("dateEnd") if php.php_truthy(p.get("dateEnd")) else ""
    word = php.cleaner(p.get("word"))
    viewer = ctx.iduser
    if not php.php_blank(p.get("user")):
        viewer = ctx.user_id(p.get("user"))
    if php.php_int(p.get("iduser")) > 0:
        viewer = php.php_int(p.get("iduser"))
    active = p.get("active")
    if active is None or php.php_eq(active, "no"):
        want_closed = True
    elif php.php_eq(active, "yes"):
        want_closed = False
    else:
        want_closed = None
    steps = None
    if not php.php_blank(p.get("steps")):
        ids = [step_id_by_title(s) for s in php.split_ids(p.get("steps"),
                                                          ",")]
        ids = [i for i in ids if i > 0]
        steps = set(ids) if ids else None
    if not php.php_blank(p.get("user")):
        wanted_user = ctx.user_id(p.get("user"))
        user_ok = lambda v: php.php_int(v) == wanted_user and v is not None
    elif ctx.user.get("isadmin") != "on":
        people = set(ctx.people(viewer))
        user_ok = lambda v: v is not None and php.php_int(v) in people
    else:
        user_ok = lambda v: True
    filters = p.get("filter")
    field_names = deal_field_names(ctx)
    checks = []
    if isinstance(filters, dict):
        for k, v in filters.items():
            if not php.php_truthy(v) or k not in field_names:
                continue
            checks.append(deal_filter(k, v))
    lo1, hi2 = php.mysql_datetime(d1), php.mysql_datetime(d2)
    cs, ce = p.get("dateChangeStart"), p.get("dateChangeEnd")

    def select():
        return [row for row in ctx.store.deals.values() if keep(row)]

    def keep(row):
        closed = php.php_str(row["close"] or "no").casefold() == "yes"
        if want_closed is True and not closed:
            return False
        if want_closed is False and closed:
            return False
        if not php.php_blank(word) and not (
                php.contains(row["title"], word)
                or php.contains(row["content"], word)
                or php.contains(row["adres"], word)):
            return False
        if not php.php_blank(p.get("client")):
            client = ctx.store.clients.get(php.php_int(row["clid"]))
            if not client or not php.contains(client["title"],
                                              p.get("client")):
                return False
        if steps is not None and php.php_int(row["idcategory"]) not in steps:
            return False
        day = as_day(row["datum"])
        if d1 != "" and d2 == "" and not (day is not None and day >= lo1):
            return False
        if d1 != "" and d2 != "" and not between(day, lo1, hi2):
            return False
        if d1 == "" and d2 != "" and not (day is not None and day <= hi2):
            return False
        changed = as_day(row["datum_izm"])
        if not php.php_blank(cs) and php.php_blank(ce) and not (
                changed is not None and changed >= php.mysql_datetime(
                    p.get("dateStart"))):
            return False
        if not php.php_blank(cs) and not php.php_blank(ce) and not between(
                changed, php.mysql_datetime(cs), php.mysql_datetime(ce)):
            return False
        if php.php_blank(cs) and not php.php_blank(ce) and not (
                changed is not None and changed <= php.mysql_datetime(ce)):
            return False
        if not user_ok(row["iduser"]):
            return False
        if not all(check(row) for check in checks):
            return False
        return True

    rows = listed(ctx, lambda: sort_rows(select(), column,
                                         tuda == "DESC"))
    total = len(rows)
    start = page * PAGE
    page_rows = [render_deal_row(ctx, r) for r in rows[start:start + PAGE]]
    params = {"page": page if page else 1,
              "pageall": int(math.ceil(total / float(PAGE))),
              "ord": ord_, "tuda": tuda, "count": len(page_rows)}
    return {"data": page_rows, "params": params, "count": len(page_rows)}


def deal_filter(key, value):
    if key in ("clid", "payer"):
        wanted = php.php_int(value)
        return lambda row: wanted <= 0 or php.php_int(row[key]) == wanted
    if key in ("direction", "tip"):
        wanted = dictionary_id(DIRECTION_PAIRS if key == "direction"
                               else DEAL_TYPE_PAIRS, value)
        return lambda row: php.php_int(row[key]) == wanted
    if key not in data.DEAL_COLUMNS:
        raise sql_fatal("Unknown column 'deal.%s' in 'WHERE'" % key)
    pattern = php.untag(value)
    return lambda row: php.contains(row.get(key), pattern)


def deal_where(ctx):
    """The deal the request names by uid or did, among the caller's
    people; raises the server's SQL error when it names none."""
    uid, did = ctx.p("uid"), ctx.p("did")
    people = ctx.people()
    if not php.php_blank(uid):
        match = [d for d in ctx.store.deals.values()
                 if d["uid"] is not None and d["uid"] == php.php_str(uid)]
    elif not php.php_blank(did):
        row = find_by_number(ctx.store.deals, did)
        match = [row] if row else []
    else:
        raise sql_fatal(
            "You have an error in your SQL syntax; check the manual that "
            "corresponds to your MariaDB server version for the right syntax "
            "to use near 'and iduser IN (%s) and identity = '1'' at line 1"
            % ",".join(str(i) for i in people))
    for d in match:
        if php.php_int(d["iduser"]) in people:
            return d
    return None


def client_info_block(ctx, clid):
    """get_client_info (+ recv/bankinfo) of a client, as deal/info nests
    it; None values where the client does not exist."""
    c = ctx.store.clients.get(php.php_int(clid))
    info = render_client_info(ctx, c) if c else empty_client_info(clid)
    recv = bank_info(ctx, c, clid)
    info["recv"] = recv
    info["bankinfo"] = recv
    info.pop("dostup", None)
    return info


def personinfo(ctx, pid):
    p = ctx.store.persons.get(php.php_int(pid))
    return {"pid": php.php_int(pid),
            "title": p["person"] if p else None,
            "post": p["ptitle"] if p else None,
            "phone": p["tel"] if p else None,
            "mob": p["mob"] if p else None,
            "email": p["mail"] if p else None}


def deal_info(ctx):
    deal = deal_where(ctx)
    if deal is None:
        return error(403, "Сделка не найдена в пределах аккаунта указанного "
                          "пользователя.")
    p = ctx.params
    status = data.STATUS_BY_ID.get(php.php_int(deal["sid"]))
    close = {"close": deal["close"], "date": deal["datum_close"],
             "summa": num(deal["kol_fact"]),
             "status": status[1] if status else None,
             "statustext": status[2] if status else None}
    out = {}
    for field in deal_field_names(ctx):
        if field == "iduser":
            out["iduser"] = php.php_int(deal["iduser"])
            out["user"] = ctx.user_login(deal["iduser"])
            u = ctx.store.users.get(php.php_int(deal["iduser"]))
            out["userUID"] = php.php_str(u["uid"]) if u else ""
        elif field == "step":
            out["step"] = php.php_int(deal["idcategory"])
            out["stepID"] = php.php_int(deal["idcategory"])
            out["stepTitle"] = php.php_int(step_title(deal["idcategory"]))
        elif field == "direction":
            out["directionID"] = php.php_int(deal["direction"])
            out["direction"] = direction_title(deal["direction"])
        elif field == "tip":
            out["tipID"] = php.php_int(deal["tip"])
            out["tip"] = deal_type_title(deal["tip"])
        elif field in ("close", "status_close"):
            out["close"] = close
        elif field == "dog_num":
            pass                        # "contract", removed below
        elif field == "did":
            out["did"] = deal["did"]
        elif field == "title":
            out["title"] = deal["title"]
        elif field == "datum_plan":
            out["datum_plan"] = deal["datum_plan"]
        elif field in ("datum_start", "datum_end"):
            out[field] = deal[field]
        elif field in ("mcid",):
            out[field] = php.php_int(deal[field])
        elif field in ("kol", "marga", "kol_fact"):
            out[field] = num(deal[field])
        elif field == "payer":
            out["payer"] = client_info_block(ctx, deal["payer"])
        else:
            out[field] = None       # uid, datum, datum_izm, clid, ...
    if php.php_truthy(p.get("client")):
        out["client"] = client_info_block(ctx, deal["clid"])
    if not php.php_truthy(p.get("payer")):
        out.pop("payer", None)
    client = ctx.store.clients.get(php.php_int(deal["clid"]))
    pids = php.split_ids(deal["pid_list"])
    persons = [personinfo(ctx, x) for x in pids]
    if client and php.php_int(client["pid"]) > 0 and not pids:
        persons.append(personinfo(ctx, client["pid"]))
    if client and php.php_int(client["pid"]) > 0 and persons and \
            php.php_truthy(p.get("contact")):
        out["contact"] = persons
    if php.php_truthy(p.get("bankinfo")):
        out["bankinfo"] = None
    if php.php_truthy(p.get("speka")):
        out["speka"] = []
    if php.php_truthy(p.get("invoice")):
        out["invoice"] = []
    if "close" in out and not php.php_truthy(out["close"]["close"]):
        del out["close"]
    return {"data": out}


# --------------------------------------------------------------------------
# client
# --------------------------------------------------------------------------

def client_field_names(ctx):
    names = ["clid", "uid", "type", "date_create", "date_edit"] + [
        n for n, _ in data.CLIENT_FORM if n != "recv"]
    wanted = ctx.p("fields")
    if php.php_truthy(wanted) and not isinstance(wanted, (list, dict)):
        return [f for f in php.split_ids(wanted, ",") if f in names]
    return names


def category_title(key):
    return dict_title(CATEGORY_PAIRS, key)


def render_client_row(ctx, row):
    out = {}
    for field in client_field_names(ctx):
        value = row.get(field)
        if field == "head_clid":
            out["head_clidTitle"] = category_title(value)
            out["head_clid"] = php.php_int(value)
        elif field == "pid":
            out["person"] = ctx.person_short(value)
            out["pid"] = php.php_int(value)
        elif field == "iduser":
            out["user"] = ctx.user_login(value)
            out["iduser"] = php.php_int(value)
        elif field == "idcategory":
            out["idcategoryTitle"] = category_title(value)
            out["idcategory"] = php.php_int(value)
        elif field == "territory":
            out["territoryTitle"] = dict_title(data.TERRITORIES, value)
            out["territory"] = php.php_int(value)
        elif field == "clientpath":
            out["clientpathTitle"] = dict_title(data.CLIENT_PATHS, value)
            out["clientpath"] = php.php_int(value)
        elif field in data.INT_COLUMNS:
            out[field] = php.php_int(value)
        else:
            out[field] = value
    return out


def client_list(ctx):
    p = ctx.params
    page = php.php_int(p.get("offset"))
    page = page if page > 0 else 0
    ord_ = "datum" if php.php_blank(p.get("order")) else php.php_str(
        p.get("order"))
    if ord_ == "date_change":
        ord_ = "date_edit"
    column = check_order(ord_, data.CLIENT_COLUMNS)
    tuda = "DESC"               # "first":"old" is lost on the way
    d1 = p.get("dateStart") if php.php_truthy(p.get("dateStart")) else ""
    d2 = p.get("dateEnd") if php.php_truthy(p.get("dateEnd")) else ""
    lo1, hi2 = php.mysql_datetime(d1), php.mysql_datetime(d2)
    word = None if php.php_blank(p.get("word")) else php.cleaner(
        p.get("word"))
    cs, ce = p.get("dateChangeStart"), p.get("dateChangeEnd")
    checks = []
    if not php.php_blank(p.get("user")):
        wanted = ctx.user_id(p.get("user"))
        checks.append(lambda r: r["iduser"] is not None
                      and php.php_int(r["iduser"]) == wanted)
    if php.php_int(p.get("iduser")) > 0:
        wanted_id = php.php_int(p.get("iduser"))
        checks.append(lambda r: php.php_int(r["iduser"]) == wanted_id)
    elif ctx.user.get("isadmin") != "on":
        people = set(ctx.people())
        checks.append(lambda r: r["iduser"] is not None
                      and php.php_int(r["iduser"]) in people)
    filters = p.get("filter")
    if isinstance(filters, dict):
        for k, v in filters.items():
            if php.php_blank(v):
                continue
            checks.append(client_filter(k, v))

    def select():
        return [row for row in ctx.store.clients.values() if keep(row)]

    def keep(row):
        if word is not None:
            digits = "".join(ch for ch in php.php_str(row["phone"])
                             if ch not in "+() -")
            if not (php.contains(digits, word)
                    or any(php.contains(row[f], word) for f in (
                        "title", "des", "mail_url", "site_url",
                        "address"))):
                return False
        created = row["date_create"]
        if d1 != "" and d2 == "" and not (created and created > lo1):
            return False
        if d1 != "" and d2 != "" and not between(created, lo1, hi2):
            return False
        if d1 == "" and d2 != "" and not (created and created < hi2):
            return False
        edited = row["date_edit"]
        if not php.php_blank(cs) and php.php_blank(ce) and not (
                edited and edited > php.mysql_datetime(p.get("dateStart"))):
            return False
        if not php.php_blank(cs) and not php.php_blank(ce) and not between(
                edited, php.mysql_datetime(cs), php.mysql_datetime(ce)):
            return False
        if php.php_blank(cs) and not php.php_blank(ce) and not (
                edited and edited < php.mysql_datetime(ce)):
            return False
        if not all(check(row) for check in checks):
            return False
        return True

    rows = listed(ctx, lambda: sort_rows(select(), column, True))
    total = len(rows)
    start = page * PAGE
    page_rows = [render_client_row(ctx, r)
                 for r in rows[start:start + PAGE]]
    for item, row in zip(page_rows, rows[start:start + PAGE]):
        if php.php_truthy(p.get("bankinfo")):
            recv = bank_info(ctx, row, row["clid"])
            item["bankinfo"] = {k: recv.get(k)
                                for k in data.BANK_FIELDS[:-1]}
    params = {"page": page if page else 1,
              "pageall": int(math.ceil(total / float(PAGE))),
              "ord": ord_, "tuda": tuda, "count": len(page_rows)}
    return {"data": page_rows, "params": params, "count": len(page_rows)}


def client_filter(key, value):
    if key == "relations":
        wanted = php.untag(value)
        return lambda r: r["tip_cmr"] is not None and \
            r["tip_cmr"].casefold() == wanted.casefold()
    if key in ("idcategory", "territory", "clientpath"):
        pairs = {"idcategory": CATEGORY_PAIRS,
                 "territory": data.TERRITORIES,
                 "clientpath": data.CLIENT_PATHS}[key]
        wanted = dictionary_id(pairs, value)
        return lambda r: php.php_int(r[key]) == wanted
    if key == "type":
        wanted = php.untag(value)
        return lambda r: (r["type"] or "").casefold() == wanted.casefold()
    if key == "trash":
        if php.php_truthy(value):
            return lambda r: r["trash"] == "yes"
        return lambda r: (r["trash"] or "no") == "no"
    return lambda r: True


def empty_client_info(clid):
    return {"clid": php.php_int(clid), "uid": None, "clientUID": None,
            "iduser": 0, "title": None, "des": None, "idcategory": 0,
            "category": "", "phone": None, "fax": None, "site_url": None,
            "mail_url": None, "address": None, "pid": 0, "fav": None,
            "trash": None, "head_clid": 0, "head": "", "scheme": None,
            "tip_cmr": None, "relation": None, "territory": 0,
            "territoryname": "", "created": None,
            "creator": "не определено", "creatorID": 0, "date_create": "",
            "edited": None, "editor": "не определено", "editorID": 0,
            "date_edit": "", "dostup": [], "clientpath": "",
            "clientpath2": 0, "type": None, "priceLevel": None}


def sf_date(value):
    """get_sfdate: ``dd.mm.yy,  HH:MM``."""
    if not value or value == php.ZERO_DATETIME:
        return ""
    d, t = (php.php_str(value) + " 00:00:00").split(" ")[:2]
    y, mo, dd = d.split("-")
    h, mi = t.split(":")[:2]
    return "%s.%s.%s,  %s:%s" % (dd, mo, y[2:], h, mi)


def render_client_info(ctx, c):
    head = ctx.store.clients.get(php.php_int(c["head_clid"]))
    return {
        "clid": c["clid"], "uid": c["uid"], "clientUID": c["uid"],
        "iduser": php.php_int(c["iduser"]), "title": c["title"],
        "des": c["des"], "idcategory": php.php_int(c["idcategory"]),
        "category": category_title(c["idcategory"]),
        "phone": c["phone"], "fax": c["fax"], "site_url": c["site_url"],
        "mail_url": c["mail_url"], "address": c["address"],
        "pid": php.php_int(c["pid"]), "fav": c["fav"], "trash": c["trash"],
        "head_clid": php.php_int(c["head_clid"]),
        "head": head["title"] if head and php.php_int(c["head_clid"]) > 0
        else "",
        "scheme": c["scheme"], "tip_cmr": c["tip_cmr"],
        "relation": c["tip_cmr"], "territory": php.php_int(c["territory"]),
        "territoryname": dict_title(data.TERRITORIES, c["territory"]),
        "created": c["date_create"], "creator": ctx.user_title(c["creator"]),
        "creatorID": php.php_int(c["creator"]),
        "date_create": sf_date(c["date_create"]), "edited": c["date_edit"],
        "editor": ctx.user_title(c["editor"]),
        "editorID": php.php_int(c["editor"]),
        "date_edit": sf_date(c["date_edit"]), "dostup": [],
        "clientpath": dict_title(data.CLIENT_PATHS, c["clientpath"]),
        "clientpath2": php.php_int(c["clientpath"]), "type": c["type"],
        "priceLevel": c["priceLevel"]}


def bank_info(ctx, c, clid):
    recv = (c or {}).get("recv") or {}
    out = {"clid": php.php_int(clid)}
    for key in ("castUrName", "castUrNameShort"):
        out[key] = recv.get(key, "")
    out["castName"] = c["title"] if c else None
    for key in data.BANK_FIELDS:
        if key not in ("castUrName", "castUrNameShort"):
            out[key] = recv.get(key, "")
    out["castFacAddr"] = None
    out["castType"] = c["type"] if c else None
    return out


def client_lookup(ctx):
    """client/info's search: by uid, else clid, and by INN in the bank
    details; only among the caller's people's clients."""
    p = ctx.params
    uid, clid, inn = p.get("uid"), p.get("clid"), p.get("inn")
    people = set(ctx.people())
    candidates = [c for c in ctx.store.clients.values()
                  if c["iduser"] is not None
                  and php.php_int(c["iduser"]) in people]
    conds = []
    if not php.php_blank(uid):
        conds.append(lambda c: c["uid"] is not None
                     and c["uid"] == php.php_str(uid))
    elif not (inn is not None and not php.php_blank(inn)
              and php.php_blank(clid)):
        conds.append(lambda c: clid is not None and number_matches(
            c["clid"], clid) and not php.php_blank(clid))
    if inn is not None and not php.php_blank(inn):
        wanted = php.php_str(inn)
        conds.append(lambda c: wanted in [php.php_str(v) for v in (
            c.get("recv") or {}).values()])
    for c in candidates:
        if all(cond(c) for cond in conds):
            return c
    return None


def client_info(ctx):
    p = ctx.params
    c = client_lookup(ctx)
    if c is None and php.php_int(p.get("clid")) > 0:
        return error(403, "Клиент не найден в пределах аккаунта указанного "
                          "пользователя.")
    if c is None and php.php_blank(p.get("uid")) and php.php_blank(
            p.get("inn")):
        return error(405, "Отсутствуют параметры клиента")
    if c is None:
        return error(404, "Не найдено")
    out = render_client_info(ctx, c)
    if php.php_truthy(p.get("bankinfo")):
        out["bankinfo"] = bank_info(ctx, c, c["clid"])
    if php.php_truthy(p.get("uids")):
        out["uids"] = []
    out["person"] = personinfo(ctx, c["pid"]) if php.php_int(c["pid"]) > 0 \
        else None
    if php.php_truthy(p.get("contacts")):
        out["contacts"] = [contact_row(ctx, c, x) for x in
                           ctx.store.persons.values()
                           if php.php_int(x["clid"]) == c["clid"]
                           and not php.php_blank(x["mail"])]
    return {"data": out}


def contact_row(ctx, client, person):
    """A contact as client/info's ``contacts`` lists it: database text."""
    return {"pid": raw_str(person["pid"]), "person": person["person"],
            "ptitle": person["ptitle"], "clid": raw_str(person["clid"]),
            "tel": person["tel"], "mob": person["mob"],
            "mail": person["mail"], "iduser": raw_str(person["iduser"]),
            "rol": person["rol"], "date_create": person["date_create"],
            "client": client["title"],
            "user": ctx.user_title_or_blank(person["iduser"]) or None,
            "color": None,
            "relation": loyalty_title(person["loyalty"]) or None,
            "clientpath": dict_title(data.CLIENT_PATHS,
                                     person["clientpath"]) or None}


# --------------------------------------------------------------------------
# person
# --------------------------------------------------------------------------

def person_field_names(ctx):
    names = ["pid", "date_create", "date_edit"] + [
        n for n, _ in data.PERSON_FORM]
    wanted = ctx.p("fields")
    if not php.php_blank(wanted) and not isinstance(wanted, (list, dict)):
        return [f for f in php.split_ids(wanted, ",") if f in names]
    return names


def loyalty_title(key):
    return dict_title(data.LOYALTIES, key)


def person_list(ctx):
    p = ctx.params
    start = page_start(ctx, p.get("offset"), 243)
    order = "date_create" if php.php_blank(p.get("order")) else p.get(
        "order")
    column = check_order(order, data.PERSON_COLUMNS)
    desc = not php.php_eq(p.get("first"), "old")
    word = None if php.php_blank(p.get("word")) else php.cleaner(
        p.get("word"))
    ds, de = p.get("dateStart"), p.get("dateEnd")
    lo, hi = php.mysql_datetime(ds), php.mysql_datetime(de)
    if php.php_blank(p.get("user")):
        people = set(ctx.people())
        user_ok = lambda v: v is not None and php.php_int(v) in people
    else:
        wanted = ctx.user_id(p.get("user"))
        user_ok = lambda v: v is not None and php.php_int(v) == wanted
    checks = []
    filters = p.get("filter")
    if isinstance(filters, dict):
        for k, v in filters.items():
            checks.append(person_filter(k, v))

    def select():
        return [row for row in ctx.store.persons.values() if keep(row)]

    def keep(row):
        if word is not None:
            digits = "".join(ch for ch in php.php_str(row["tel"])
                             if ch not in "+() -")
            if not (php.contains(digits, word)
                    or php.contains(row["person"], word)
                    or php.contains(row["ptitle"], word)
                    or php.contains(row["mail"], word)):
                return False
        created = row["date_create"]
        if not php.php_blank(ds) and php.php_blank(de) and not (
                created and created > lo):
            return False
        if not php.php_blank(ds) and not php.php_blank(de) and not between(
                created, lo, hi):
            return False
        if php.php_blank(ds) and not php.php_blank(de) and not (
                created and created < hi):
            return False
        if not user_ok(row["iduser"]):
            return False
        if not all(check(row) for check in checks):
            return False
        return True

    rows = listed(ctx, lambda: sort_rows(select(), column, desc))
    total = len(rows)
    rows = rows[start:start + PAGE]
    out = {}
    if rows:
        out["data"] = [render_person_row(ctx, r) for r in rows]
    out["count"] = total
    return out


def person_filter(key, value):
    if key == "clid":
        wanted = php.php_int(value)
        return lambda r: wanted <= 0 or php.php_int(r["clid"]) == wanted
    if key == "uid":
        return lambda r: php.php_blank(value) or php.php_str(
            r["uid"]) == php.untag(value)
    if key in ("loyalty", "clientpath"):
        if php.php_blank(value):
            return lambda r: True
        pairs = data.LOYALTIES if key == "loyalty" else data.CLIENT_PATHS
        wanted = dictionary_id(pairs, value)
        return lambda r: php.php_int(r[key]) == wanted
    if key not in data.PERSON_COLUMNS:
        raise sql_fatal("Unknown column '%s' in 'WHERE'" % key)
    pattern = php.untag(value)
    return lambda r: php.contains(r.get(key), pattern)


def render_person_row(ctx, row):
    out = {}
    for field in person_field_names(ctx):
        value = row.get(field)
        if field == "clid":
            out["clid"] = php.php_int(value)
            out["client"] = ctx.client_title(value)
        elif field == "loyalty":
            out["loyalty"] = loyalty_title(value)
        elif field == "iduser":
            out["user"] = ctx.user_login(value)
            out["iduser"] = php.php_int(value)
        elif field == "clientpath":
            out["clientpath"] = dict_title(data.CLIENT_PATHS, value)
        elif field in data.INT_COLUMNS:
            out[field] = php.php_int(value)
        else:
            out[field] = value
    if php.php_eq(ctx.p("socinfo"), "yes"):
        parts = php.php_str(row.get("social")).split(";")
        out["socials"] = {k: (parts[i] if i < len(parts) else None)
                          for i, (k, _) in enumerate(SOCIALS)}
    return out


def person_info(ctx):
    pid = ctx.p("pid")
    row = None
    if php.php_int(pid) > 0:
        row = find_by_number(ctx.store.persons, pid)
        if row is not None and not row["person"]:
            row = None
    out = {}
    for field in person_field_names(ctx):
        value = row.get(field) if row else None
        if field == "clid":
            out["clid"] = php.php_int(value) if row else None
            out["client"] = ctx.client_title(value)
        elif field == "iduser":
            out["iduser"] = ctx.user_login(value)
        elif field == "loyalty":
            out["loyalty"] = loyalty_title(value)
        elif field == "clientpath":
            out["clientpath"] = dict_title(data.CLIENT_PATHS, value)
        elif row and field in data.INT_COLUMNS:
            out[field] = php.php_int(value)
        else:
            out[field] = value
    if php.php_eq(ctx.p("socinfo"), "yes"):
        parts = php.php_str(row.get("social") if row else "").split(";")
        out["socials"] = {k: (parts[i] if i < len(parts) else None)
                          for i, (k, _) in enumerate(SOCIALS)}
    return {"data": out}


# --------------------------------------------------------------------------
# user
# --------------------------------------------------------------------------

def user_list(ctx):
    rows = [{"iduser": u["iduser"], "uid": u["uid"], "oid": False,
             "title": u["title"], "login": u["login"], "email": u["email"],
             "active": u["secrty"]} for u in ctx.store.users.values()]
    return {"data": rows} if rows else []


def user_info(ctx):
    p = ctx.params
    users = ctx.store.users.values()
    if not php.php_blank(p.get("uid")):
        match = [u for u in users if u["uid"] is not None
                 and u["uid"] == php.php_str(p.get("uid"))]
    elif not php.php_blank(p.get("user")):
        match = [u for u in users
                 if php.sql_equal(u["login"], p.get("user"))]
    elif php.php_int(p.get("iduser")) > 0:
        match = [u for u in users if u["iduser"] == php.php_int(
            p.get("iduser"))]
    else:
        return error(405, "Отсутствуют параметры")
    if not match:
        return {"error": {"code": "404", "text": "Пользователь не найден"}}
    u = match[0]
    return {"data": {
        "iduser": u["iduser"], "uid": u["uid"], "oid": False,
        "title": u["title"], "login": u["login"], "active": u["secrty"],
        "tip": u["tip"], "user_post": u["user_post"], "email": u["email"],
        "phone": u["phone"], "phone_in": u["phone_in"], "mob": u["mob"]}}


