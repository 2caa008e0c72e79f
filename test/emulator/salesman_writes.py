"""SalesMan CRM API v3: the write actions.

This module owns every action that changes the account: history ``add``,
``add.list``, ``delete``; task ``add``, ``update``, ``doit``, ``delete``,
``history``; deal ``add``, ``update``, ``change.step``, ``close``,
``delete``; client ``add``, ``add.list``, ``update``, ``delete``; person
``add``, ``add.list``, ``update``, ``delete``.  Each stores what the server
would store (its cleaners, defaults and the fields it overwrites or drops),
writes the history rows the server writes by itself (``СобытиеCRM`` on
client/add, deal/add, deal/change.step, deal/close, task/doit; ``ЛогCRM``
change logs on client, person and deal updates) and answers in the
method's own envelope, including its quirks (``add.list`` results that are
not reset between items, ``302`` on a no-op update, history writes that fail
in an account west of UTC).  Each handler takes a ``salesman.Ctx``.
"""

import datetime

import salesman_data as data
import salesman_php as php
from salesman import HistoryError, error, method_fatal, sql_fatal
from salesman_reads import (CATEGORY_PAIRS, STATUS_PAIRS, deal_type_id,
                            deal_where, dict_id, dict_title, dictionary_id,
                            direction_id, find_by_number, step_id_by_title,
                            step_title)

OK = "Успешно"


def history_failure(exc, prefix=""):
    return "%s%s в строке %d" % (prefix, exc, HistoryError.code)


def pid_list_text(value):
    """``yimplode(";", yexplode(";", str_replace(",", ";", $pid)))``."""
    return ";".join(p for p in php.split_ids(
        php.php_str(value).replace(",", ";")) if p != "")


def to_text(value, limit=None):
    """A value as a text column stores it (3-byte utf8, length limit)."""
    if value is None:
        return None
    text = php.utf8mb3(php.php_str(value))
    return text[:limit] if limit else text


def null_if_empty(value):
    """arrayNullClean: empty values are not written (the column keeps its
    default, usually NULL); integer zero is kept."""
    if value is None or value == "" or value is False:
        return None
    return value


def num_format(value):
    """``2 000,00``: the server's money format in change logs."""
    whole, frac = ("%.2f" % float(value or 0)).split(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "%s%s,%s" % (sign, " ".join(groups) or "0", frac)


def list_param(value):
    """The array an ``add.list`` action walks: a JSON array, or the values
    of an object (a PHP array with keys); None for anything else."""
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else None


def change_log(lines):
    """The text of a ``ЛогCRM`` history row, or None without changes."""
    if not lines:
        return None
    return ("Изменены параметры записи:\n============================\n "
            + "\n".join("%s - <b>%s</b> (было - %s)" % line
                        for line in lines))


def shown(value):
    return "Нет" if value is None or php.php_str(value) == "" else \
        php.php_str(value)


def same(a, b):
    """array_diff_ext: values compared as strings, NULL equal to ''."""
    return php.php_str(a) == php.php_str(b)


# --------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------

def history_add(ctx):
    p = ctx.params
    iduser = ctx.iduser if php.php_blank(p.get("user")) else \
        ctx.user_id(p.get("user"))
    tip = p.get("tip")
    tip = php.untag(tip) if tip is not None and not php.php_blank(tip) \
        else data.HISTORY_DEFAULT_TIP
    linked = not (php.php_blank(p.get("clid")) and php.php_blank(p.get("pid"))
                  and php.php_blank(p.get("did")))
    if not (linked and not php.php_blank(p.get("content"))):
        return error(405, "Отсутствуют параметры")
    try:
        cid = ctx.write_history(
            clid=php.php_int(p.get("clid")), pid=pid_list_text(p.get("pid")),
            did=php.php_int(p.get("did")), des=p.get("content"), tip=tip,
            datum=p.get("datum"), iduser=iduser)
    except HistoryError as e:
        return error(500, history_failure(e))
    return {"result": OK, "data": cid}


def history_add_list(ctx):
    p = ctx.params
    default_user = ctx.iduser if php.php_blank(p.get("user")) else \
        ctx.user_id(p.get("user"))
    items = list_param(p.get("list"))
    if items is None:
        return []
    out, res = [], {}       # the server never resets its result holder
    for item in items:
        if isinstance(item, str):
            raise method_fatal("history", "TypeError",
                               'Cannot access offset of type string on '
                               'string', 395)
        if not isinstance(item, dict):
            item = {}
        if not php.php_blank(item.get("content")):
            datum = item.get("datum")
            if php.php_blank(datum):
                datum = ctx.clock.now_text()
            user = item.get("user")
            iduser = ctx.user_id(user) if user is not None and \
                not php.php_blank(user) else default_user
            try:
                cid = ctx.write_history(
                    clid=php.php_int(item.get("clid")),
                    pid=pid_list_text(item.get("pid")),
                    did=php.php_int(item.get("did")), des=item.get("content"),
                    tip=item.get("tip"), datum=datum, iduser=iduser)
                res["result"] = OK
                res["data"] = cid
            except HistoryError as e:
                res["result"] = "Error"
                res["error"] = {"code": 500, "text": history_failure(e)}
        else:
            res["result"] = "Error"
            res["error"] = {"code": 405,
                            "text": "Отсутствуют параметры - Заголовок"}
        out.append(dict((k, dict(v) if isinstance(v, dict) else v)
                        for k, v in res.items()))
    return out


def history_delete(ctx):
    p = ctx.params
    people = set(ctx.people())
    row = find_by_number(ctx.store.history, p.get("cid"))
    if row is not None and (row["iduser"] is None or php.php_int(
            row["iduser"]) not in people):
        row = None
    if row is None:
        out = error(403, "Запись не найдена.")
    else:
        ctx.store.history.delete(row["cid"])
        out = {"result": OK}
    if php.php_blank(p.get("cid")):
        out = error(405, "Отсутствуют параметры - cid записи")
    return out


# --------------------------------------------------------------------------
# task
# --------------------------------------------------------------------------

TASK_KEYS = ("tid", "datum", "totime", "title", "des", "tip", "active",
             "priority", "speed", "iduser", "autor", "clid", "pid", "did",
             "readonly", "day", "status")


def task_tip(ctx, value):
    """getTipTask: a new activity type is added to the dictionary."""
    name = php.untag(value)
    if not any(t[0] == name for t in ctx.store.tips):
        ctx.store.tips.append([name, None, "all"])
    return name


def task_data(ctx, params):
    """The method's first pass over the parameters it knows."""
    out = {}
    for key, value in params.items():
        if key not in TASK_KEYS:
            continue
        if key == "pid":
            out[key] = php.php_str(value).replace(",", ";")
        elif key in ("clid", "did"):
            out[key] = php.php_int(value)
        elif key == "tip":
            out[key] = task_tip(ctx, value) if not php.php_blank(value) \
                else "Задача"
        else:
            out[key] = php.untag(value)
    return out


def mysql_time(value):
    """A value stored into a TIME column."""
    text = php.php_str(value).strip()
    parts = text.split(":")
    try:
        h = int(parts[0])
        m = int(parts[1]) if len(parts) > 1 and parts[1] != "" else 0
        s = int(float(parts[2])) if len(parts) > 2 and parts[2] != "" else 0
    except ValueError:
        return "00:00:00"
    if m > 59 or s > 59:
        return None
    return "%02d:%02d:%02d" % (h, m, s)


def client_main_pid(ctx, clid):
    c = ctx.store.clients.get(php.php_int(clid))
    return php.php_int(c["pid"]) if c else 0


def task_add(ctx):
    p = dict(ctx.params)
    if php.php_blank(p.get("user")):
        p["iduser"] = ctx.iduser
    else:
        p["iduser"] = ctx.user_id(p.get("user"))
        p["autor"] = ctx.iduser
    if php.php_blank(p.get("title")):
        return error(405, "Отсутствуют параметры - Заголовок")
    now = ctx.clock.now()
    if php.php_blank(p.get("datum")):
        p["datum"] = ctx.clock.today()
    if php.php_blank(p.get("totime")):
        p["totime"] = "%d:%s" % (now.hour + 1, now.strftime("%M"))
    for key in ("priority", "speed"):
        if php.php_blank(p.get(key)):
            p[key] = 0
    if php.php_blank(p.get("active")):
        p["active"] = "yes"
    t = task_data(ctx, p)
    iduser = php.php_int(p["iduser"])
    if iduser <= 0:
        raise method_fatal("task", "TypeError",
                           "implode(): Argument #1 ($array) must be of type "
                           "array, string given", 412)
    autor = php.php_int(t.get("autor"))
    autor = ctx.iduser if autor == 0 else autor
    if iduser == autor:
        autor = 0
    pid = t.get("pid")
    if php.php_blank(pid):
        pid = str(client_main_pid(ctx, t.get("clid")))
    priority = t.get("priority")
    speed = t.get("speed")
    row = {
        "tid": None, "maintid": 0, "iduser": iduser,
        "clid": php.php_int(t.get("clid")), "pid": to_text(pid, 255),
        "did": php.php_int(t.get("did")), "cid": 0,
        "datum": null_if_empty(php.mysql_date(php.untag(t.get("datum")))),
        "totime": mysql_time(php.untag(t.get("totime"))),
        "title": null_if_empty(to_text(php.untag(t.get("title")), 250)),
        "des": null_if_empty(to_text(php.untag(t.get("des")))),
        "tip": null_if_empty(to_text(php.untag(t.get("tip")), 100))
        or data.TASK_DEFAULT_TIP,
        "active": "yes", "autor": autor,
        "priority": php.php_int(priority) if not php.php_blank(priority)
        else 0,
        "speed": php.php_int(speed) if not php.php_blank(speed) else 0,
        "created": ctx.clock.now_text(),
        "readonly": php.untag(t.get("readonly")) if php.php_truthy(
            t.get("readonly")) else "no",
        "alert": "no",
        "day": null_if_empty(to_text(php.untag(t.get("day")), 3)),
        "status": 0, "alertTime": 0}
    ctx.store.tasks.add(row)
    return {"result": OK, "data": row["tid"]}


def task_update(ctx):
    p = dict(ctx.params)
    if php.php_blank(p.get("user")):
        p["iduser"] = ctx.iduser
    else:
        p["iduser"] = ctx.user_id(p.get("user"))
        p["autor"] = ctx.iduser
    row = find_by_number(ctx.store.tasks, p.get("id"))
    if row is None:
        out = error(403, "Напоминание не найдено.")
    else:
        t = task_data(ctx, p)
        changes = {"iduser": ctx.iduser}
        title = php.untag(t.get("title"))
        if title != "":
            changes["title"] = to_text(title, 250)
        changes["des"] = to_text(php.untag(t.get("des")))
        if php.php_int(t.get("clid")) > 0:
            changes["clid"] = php.php_int(t.get("clid"))
        if php.php_int(t.get("did")) > 0:
            changes["did"] = php.php_int(t.get("did"))
        pid = t.get("pid")
        if php.php_blank(pid):
            pid = str(client_main_pid(ctx, t.get("clid")))
        changes["pid"] = to_text(pid, 255)
        for key in ("datum", "totime", "tip"):
            value = php.untag(t.get(key))
            if value != "":
                if key == "datum":
                    value = php.mysql_date(value)
                elif key == "totime":
                    value = mysql_time(value)
                changes[key] = to_text(value)
        changes["readonly"] = t["readonly"] if not php.php_blank(
            t.get("readonly")) else "no"
        changes["alert"] = "no"
        changes["priority"] = php.php_int(t.get("priority")) \
            if not php.php_blank(t.get("priority")) else 0
        changes["speed"] = php.php_int(t.get("speed")) \
            if not php.php_blank(t.get("speed")) else 0
        changes["active"] = t["active"] if not php.php_blank(
            t.get("active")) else "yes"
        changes["autor"] = php.php_int(t.get("autor"))
        changes["day"] = to_text(php.untag(t.get("day")), 3)
        row.update(changes)
        out = {"result": OK, "data": row["tid"]}
    if php.php_int(p.get("id")) == 0:
        out = error(405, "Отсутствуют параметры - tid напоминания")
    return out


def task_doit(ctx):
    p = ctx.params
    row = find_by_number(ctx.store.tasks, p.get("id"))
    if row is None:
        out = error(403, "Напоминание не найдено.")
    else:
        result = p.get("description")
        result = "Выполнено напоминание" if php.php_blank(result) else result
        tip = p.get("tip")
        tip = tip if tip is not None and not php.php_blank(tip) else \
            row["tip"]
        status = p.get("status")
        status = 1 if status is None else status
        messages, cid = [], 0
        try:
            cid = ctx.write_history(
                clid=row["clid"], pid=";".join(php.split_ids(row["pid"])),
                did=row["did"], des=php.untag(result), tip=tip)
            row["active"] = "no"
            row["status"] = php.php_int(status)
            row["cid"] = cid
            messages.append("Добавлена Активность")
        except HistoryError:
            pass
        out = {"result": OK, "data": row["tid"],
               "message": "\n".join(messages), "historyID": cid}
    if php.php_blank(p.get("id")):
        out = error(405, "Отсутствуют параметры - tid напоминания")
    return out


def task_delete(ctx):
    p = ctx.params
    people = set(ctx.people())
    row = find_by_number(ctx.store.tasks, p.get("id"))
    if row is not None and php.php_int(row["iduser"]) not in people:
        row = None
    if row is None:
        out = error(403, "Напоминание не найдено.")
    else:
        ctx.store.tasks.delete(row["tid"])
        out = {"result": OK, "data": row["tid"], "message": "Запись удалена"}
    if php.php_blank(p.get("id")):
        out = error(405, "Отсутствуют параметры - tid напоминания")
    return out


def task_history(ctx):
    """task/history: a history row whose type joins the dictionary; its
    datum is the given date plus the current time (without a date the row
    gets the zero datetime)."""
    p = ctx.params
    iduser = ctx.iduser if php.php_blank(p.get("user")) else \
        ctx.user_id(p.get("user"))
    tip = task_tip(ctx, p.get("tip"))
    linked = not (php.php_blank(p.get("clid")) and php.php_blank(p.get("pid"))
                  and php.php_blank(p.get("did")))
    if not (linked and not php.php_blank(p.get("content"))):
        return error(405, "Отсутствуют параметры")
    now = ctx.clock.now()
    datum = "%s %s" % (php.php_str(p.get("datum")), now.strftime("%H:%M"))
    try:
        cid = ctx.write_history(
            clid=php.php_int(p.get("clid")), pid=pid_list_text(p.get("pid")),
            did=php.php_int(p.get("did")), des=p.get("content"), tip=tip,
            datum=datum, iduser=iduser)
    except HistoryError as e:
        return error(500, history_failure(e))
    return {"result": OK, "data": cid}


# --------------------------------------------------------------------------
# deal
# --------------------------------------------------------------------------

def pre_format(value):
    """The server's money parser: spaces dropped, comma as decimal point."""
    text = php.php_str(value).replace(" ", "").replace(",", ".")
    return float(php.php_number(text))


def deal_add(ctx):
    p = dict(ctx.params)
    p["iduser"] = ctx.iduser if php.php_blank(p.get("user")) else \
        ctx.user_id(p.get("user"))
    clid_ok = ctx.store.clients.get(php.php_int(p.get("clid"))) is not None
    payer_ok = ctx.store.clients.get(php.php_int(p.get("payer"))) is not None
    if not (clid_ok or payer_ok):
        return error(407, "Клиент или Плательщик не найден.")
    if php.php_blank(p.get("title")):
        return error(406, "Отсутствуют параметры - Название сделки")
    if "clid" not in p and php.php_int(p.get("payer")) > 0:
        p["clid"] = p["payer"]
    elif "payer" not in p and php.php_int(p.get("clid")) > 0:
        p["payer"] = p["clid"]
    clid = php.php_int(p.get("clid"))
    payer = php.php_int(p.get("payer"))
    payer = clid if payer < 1 else payer
    pid = php.php_int(p.get("pid"))
    if payer > 0 and clid == 0 and pid == 0:
        clid = payer
    plan = php.mysql_date(p.get("datum_plan")) if php.php_truthy(
        p.get("datum_plan")) else "0000-00-00"
    if plan == "0000-00-00":
        plan = (ctx.clock.now() + datetime.timedelta(days=14)).strftime(
            "%Y-%m-%d")
    kol = pre_format(p["summa"] if "summa" in p else p.get("kol"))
    marga = pre_format(p["marga"] if "marga" in p else p.get("marg"))
    direction = p.get("direction")
    if direction is None or (php.php_int(direction) == 0
                             and not php.php_truthy(direction)):
        direction = data.DEFAULT_DIRECTION
    elif php.php_int(direction) == 0:
        direction = direction_id(php.untag(direction)) or \
            data.DEFAULT_DIRECTION
    direction = php.php_int(direction)
    tip = p.get("tip")
    if tip is None or (php.php_int(tip) == 0 and not php.php_truthy(tip)):
        tip = data.DEFAULT_DEAL_TYPE
    elif php.php_int(tip) == 0:
        tip = deal_type_id(php.untag(tip)) or data.DEFAULT_DEAL_TYPE
    tip = php.php_int(tip)
    step = 0
    if "step" in p:
        step = step_id_by_title(p.get("step"))
    if step == 0 and "category" in p:
        step = php.php_int(p.get("category"))
    if step == 0:
        step = data.funnel_of(direction, tip)[2]
    ctx.store.deal_number += 1
    title = "СД%d: %s" % (ctx.store.deal_number, php.untag(p.get("title")))
    row = {
        "did": None, "uid": null_if_empty(to_text(p.get("uid"), 30)),
        "datum": ctx.clock.today(), "datum_izm": None, "clid": clid,
        "payer": payer, "pid": pid, "title": to_text(title), "mcid": 0,
        "iduser": php.php_int(p["iduser"]), "autor": ctx.iduser,
        "datum_plan": plan, "idcategory": step, "tip": tip,
        "direction": direction, "kol": kol, "marga": marga, "close": "no",
        "datum_close": None, "sid": None, "des_fact": None, "kol_fact": 0.0,
        "datum_start": null_if_empty(php.untag(p.get("datum_start"))),
        "datum_end": null_if_empty(php.untag(p.get("datum_end"))),
        "content": None, "dog_num": None, "calculate": "no",
        "pid_list": null_if_empty(php.php_str(p.get("pid_list")).replace(
            ",", ";")) if "pid_list" in p else None,
        "adres": None}
    ctx.store.deals.add(row)
    try:
        ctx.write_history(clid=php.php_int(ctx.params.get("clid")),
                          des="Добавлена сделка", tip=data.SERVER_TIP)
    except HistoryError as e:
        raise sql_fatal(str(e))     # the server does not catch this one
    return {"result": OK, "data": row["did"]}


DEAL_LOG_TITLES = {
    "uid": "UID сделки", "clid": "Клиент по сделке",
    "payer": "Плательщик по сделке", "title": "Название",
    "content": "Описание", "tip": "Тип сделки", "mcid": "Компания",
    "direction": "Направление", "adres": "Адрес", "datum_plan": "Дата план",
    "datum_start": "Период.Начало", "datum_end": "Период.Конец",
    "kol": "Оборот", "marga": "Маржа", "dog_num": "Договор",
    "pid_list": "Контакты сделки", "calculate": "Спецификация"}
# What deal/update writes: the enabled deal form fields plus the fixed ones
# (in this order); the step, the closing fields and the rest are ignored.
DEAL_UPDATABLE = ("uid", "clid", "title", "mcid", "iduser", "datum_plan",
                  "dog_num", "tip", "direction", "payer", "kol", "marga",
                  "datum_start", "datum_end", "pid_list", "calculate")


def rus_date(value):
    """format_date_rus: ``dd.mm.yyyy``."""
    text = php.php_str(value)
    if len(text) >= 10 and text[4] == "-":
        return "%s.%s.%s" % (text[8:10], text[5:7], text[:4])
    return text


def deal_update(ctx):
    """deal/update writes the fields it is sent (never the step); the sum
    and margin count as a change only when the title is sent too, and an
    applied change also drops the deal's contact unless ``pid`` is sent."""
    p = dict(ctx.params)
    p.pop("step", None)
    p.pop("idcategory", None)
    people = set(ctx.people())
    did = php.php_int(p.get("did"))
    uid = php.untag(p.get("uid"))
    if did > 0:
        found = ctx.store.deals.get(did)
    elif uid != "":
        found = next((d for d in ctx.store.deals.values()
                      if d["uid"] == uid), None)
    else:                       # no condition: the first visible deal
        found = next((d for d in ctx.store.deals.values()
                      if php.php_int(d["iduser"]) in people), None)
    if found is not None and php.php_int(found["iduser"]) not in people:
        found = None
    if found is None:
        return error(403, "Сделка с указанным did не найдена в пределах "
                          "аккаунта указанного пользователя.")
    if "clid" not in p and php.php_int(p.get("payer")) > 0:
        p["clid"] = php.php_int(p["payer"])
    elif "payer" not in p and php.php_int(p.get("clid")) > 0:
        p["payer"] = php.php_int(p["clid"])
    deal = ctx.store.deals.get(did) if did > 0 else None
    if deal is None:
        return error(402, "Отсутствуют параметры - did сделки")
    if "pid_list" not in p:
        p["pid_list"] = ""
    new = {}
    for key in DEAL_UPDATABLE:
        if key not in p:
            continue
        value = p[key]
        if key == "title":
            title = php.untag(value)
            new[key] = to_text(title) if title != "" else deal["title"]
        elif key == "payer":
            new[key] = php.php_int(p.get("clid")) if php.php_number(
                value) < 1 else php.php_int(value)
        elif key in ("clid", "iduser", "mcid"):
            new[key] = php.php_int(value)
        elif key in ("direction", "tip"):
            if php.php_int(value) == 0 and php.php_truthy(value):
                new[key] = (direction_id if key == "direction"
                            else deal_type_id)(php.untag(value))
            else:
                new[key] = php.php_int(value)
            if php.php_int(value) == 0 and not new[key]:
                new[key] = (data.DEFAULT_DIRECTION if key == "direction"
                            else data.DEFAULT_DEAL_TYPE)
        elif key in ("kol", "marga"):
            new[key] = pre_format(value)
        elif key in ("datum_plan", "datum_start", "datum_end"):
            new[key] = php.mysql_date(php.field_clean(value)) \
                if php.php_truthy(value) else None
        elif key == "pid_list":
            new[key] = php.field_clean(value).replace(",", ";")
        else:
            new[key] = to_text(php.field_clean(value))
    if "direction" in p and "tip" in p:
        _, steps, _ = data.funnel_of(new.get("direction", deal["direction"]),
                                     new.get("tip", deal["tip"]))
        if php.php_int(deal["idcategory"]) not in steps:
            new["idcategory"] = steps[0]
    compared = [k for k in new if k not in ("kol", "marga")]
    if "uid" not in ctx.params and "uid" in compared:
        compared.remove("uid")
    if "title" in p:
        compared += [k for k in ("kol", "marga") if php.php_truthy(p.get(k))]
    lines = []
    for key in compared:
        value, old = new[key], deal.get(key)
        if key in ("kol", "marga"):
            if float(old or 0) != float(value):
                lines.append((DEAL_LOG_TITLES[key], num_format(value),
                              num_format(old)))
        elif key in ("datum_plan", "datum_start", "datum_end"):
            if php.php_str(value) != php.php_str(old) and \
                    value != "0000-00-00":
                lines.append((DEAL_LOG_TITLES[key],
                              rus_date(shown(value)), rus_date(shown(old))))
        elif same(old, value):
            continue
        elif key in ("clid", "payer"):
            lines.append((DEAL_LOG_TITLES[key], ctx.client_title(value),
                          ctx.client_title(old)))
        elif key == "tip":
            lines.append((DEAL_LOG_TITLES[key], shown(
                dict((t[0], t[1]) for t in data.DEAL_TYPES).get(value)),
                shown(dict((t[0], t[1]) for t in data.DEAL_TYPES).get(old))))
        elif key == "direction":
            lines.append((DEAL_LOG_TITLES[key], shown(
                dict((t[0], t[1]) for t in data.DIRECTIONS).get(value)),
                shown(dict((t[0], t[1]) for t in data.DIRECTIONS).get(old))))
        elif key == "idcategory":
            lines.append(("Этап сделки", shown(step_title(value)),
                          shown(step_title(old))))
        else:
            lines.append((DEAL_LOG_TITLES.get(key, key), shown(value),
                          shown(old)))
    log = change_log(lines)
    if log is None:
        return {"result": "Данные корректны, но идентичны имеющимся.",
                "data": did, "error": {"code": 302}}
    for key, value in new.items():
        deal[key] = None if value == "" else value
    deal["datum_izm"] = ctx.clock.today()
    deal["pid"] = php.php_int(p.get("pid")) if php.php_number(
        p.get("pid")) >= 1 else 0
    out = {"result": OK, "data": did}
    try:
        ctx.write_history(did=did, clid=php.php_int(p.get("clid")),
                          pid=str(php.php_int(p.get("pid"))), des=log,
                          tip=data.LOG_TIP, untag=False)
    except HistoryError as e:
        out["result"] = "Error"
        out["error"] = {"code": 500, "text": str(e)}
        return out
    out["result"] = "Готово"
    return out


def deal_change_step(ctx):
    p = ctx.params
    deal = deal_where(ctx)
    if deal is None:
        out = error(403, "Сделка с указанным did не найдена в пределах "
                         "аккаунта указанного пользователя.")
    elif php.php_blank(p.get("step")):
        out = error(405, "Отсутствуют параметры - Новый этап")
    else:
        out = change_step(ctx, php.php_int(p.get("did")),
                          step_id_by_title(p.get("step")),
                          p.get("description"))
    if php.php_blank(p.get("did")):
        out = dict(out)
        out["result"] = "Error"
        out["error"] = {"code": 406, "text": "Отсутствуют параметры - did "
                                             "сделки"}
    return out


def change_step(ctx, did, step, description):
    deal = ctx.store.deals.get(did) if did > 0 else None
    if did > 0 and deal is None:
        return error("403", "Сделка не найдена")
    if deal is None:
        return error(405, "Отсутствуют параметры - did сделки")
    old_name = step_title(deal["idcategory"]) or ""
    new_name = step_title(step) or ""
    if old_name == new_name:
        return error(302, "Данные корректны, но идентичны имеющимся")
    deal["idcategory"] = step
    message = "Этап сделки изменен на %s%%. Предыдущий этап %s%%." % (
        new_name, old_name)
    note = php.untag(description)
    text = message + ("Примечание: " + note if note != "" else
                      "Примечание: Причина не указана")
    try:
        ctx.write_history(did=did, des=text, tip=data.SERVER_TIP, clid=None,
                          pid=None)
    except HistoryError as e:
        return error(500, history_failure(e, "Ошибка"))
    return {"result": php.nl2br(message), "data": did}


def status_id(name):
    return dict_id(STATUS_PAIRS, name)


def deal_close(ctx):
    p = ctx.params
    did = php.php_int(p.get("did"))
    deal = ctx.store.deals.get(did) if did > 0 else None
    if did > 0 and deal is None:
        return {"result": "Error", "data": "Сделка не найдена",
                "error": {"code": 403, "text": "Сделка не найдена"}}
    if did > 0 and php.php_int(deal["sid"]) > 0:
        return {"result": "Error", "data": "Сделка уже закрыта",
                "error": {"code": 407, "text": "Сделка уже закрыта"}}
    if deal is None:
        return error("405", "Отсутствуют параметры - did сделки")
    sid = php.php_int(p.get("sid"))
    if sid == 0 and php.php_truthy(p.get("status_close")):
        sid = status_id(p.get("status_close"))
    status = data.STATUS_BY_ID.get(sid)
    changes = {
        "datum_close": php.mysql_date(php.untag(p["datum"])) if
        "datum" in p and not php.php_blank(p.get("datum"))
        else ctx.clock.today(),
        "sid": sid,
        "des_fact": null_if_empty(to_text(php.untag(p.get("des_fact")))),
        "marga": pre_format(p["marga"]) if "marga" in p else deal["marga"],
        "kol_fact": pre_format(p["kol_fact"]) if "kol_fact" in p
        else deal["kol"],
        "close": "yes"}
    if status and status[3] == "lose":
        changes["marga"] = 0.0
    if "description" in p:
        changes["des_fact"] = null_if_empty(to_text(php.untag(
            p.get("description"))))
    last = max(data.STEPS, key=lambda s: int(s[1]))[0]
    if deal["idcategory"] != last and changes["kol_fact"] > 0:
        changes["idcategory"] = last
    deal.update(changes)
    message = "Сделка закрыта со статусом " + (status[1] if status else "")
    try:
        ctx.write_history(did=did, des=message, tip=data.SERVER_TIP,
                          clid=None, pid=None)
    except HistoryError as e:
        return error("500", history_failure(e, "Ошибка"))
    return {"result": "Ok", "data": message}


def deal_delete(ctx):
    p = ctx.params
    people = set(ctx.people())
    uid, did = php.untag(p.get("uid")), p.get("did")
    if php.php_int(did) > 0:
        deal = find_by_number(ctx.store.deals, did)
    elif uid != "":
        deal = next((d for d in ctx.store.deals.values()
                     if d["uid"] == uid), None)
    else:
        raise sql_fatal(
            "You have an error in your SQL syntax; check the manual that "
            "corresponds to your MariaDB server version for the right syntax "
            "to use near 'AND iduser IN (%s) AND identity = '1'' at line 1"
            % ",".join(str(i) for i in sorted(people)))
    if deal is not None and php.php_int(deal["iduser"]) not in people:
        deal = None
    if deal is None:
        out = error(403, "Сделка с указанным did не найдена в пределах "
                         "аккаунта указанного пользователя.")
    else:
        target = php.php_int(did)
        if target > 0:
            ctx.store.deals.delete(target)
            for t in ctx.store.tasks.values():
                if php.php_int(t["did"]) == target:
                    t["did"] = 0
            for h in ctx.store.history.values():
                if php.php_int(h["did"]) == target:
                    ctx.store.history.delete(h["cid"])
        out = {"result": "Сделка удалена", "data": target}
    if php.php_blank(did):
        out = dict(out)
        out["result"] = "Error"
        out["error"] = {"code": 406, "text": "Отсутствуют параметры - did "
                                             "сделки"}
    return out


# --------------------------------------------------------------------------
# client
# --------------------------------------------------------------------------

LEGAL_FORMS = ("ООО", "ЗАО", "ОАО")


def client_title(text):
    """clientFormatTitle: cleaned, a leading ООО/ЗАО/ОАО moved to the end."""
    s = php.untag(text).replace('\\"', "")
    first = s[:3]
    if first in LEGAL_FORMS:
        s = (s.replace(first, "") + ", " + first).strip(php.PHP_TRIM)
    return s


def phone_text(value):
    if isinstance(value, list):
        return ",".join(php.php_str(v).strip() for v in value
                        if php.php_str(v).strip() != "")
    parts = php.split_ids(php.php_str(value).replace(",", ";"))
    return ",".join(parts)


def client_values(ctx, params, for_update):
    """Form fields (plus type, uid) as the server stores them."""
    fields = ["type"] + [n for n, _ in data.CLIENT_FORM if n != "recv"] + [
        "uid"]
    out = {}
    for key in fields:
        if key not in params:
            continue
        value = params[key]
        if isinstance(value, list) and key != "phone":
            value = ", ".join(php.php_str(v) for v in value)
        if key == "type":
            value = "client" if php.php_blank(value) else (
                php.untag(value) if for_update else php.php_str(value))
        elif key == "title":
            value = client_title(value)
        elif key == "idcategory":
            value = dictionary_id(CATEGORY_PAIRS, value)
        elif key == "clientpath":
            value = dictionary_id(data.CLIENT_PATHS, value)
        elif key == "territory":
            value = dictionary_id(data.TERRITORIES, value)
        elif key == "tip_cmr":
            value = php.untag(value)
        elif key in ("head_clid", "pid"):
            value = php.php_int(value)
        elif key == "iduser":
            value = php.php_int(value)
        elif key == "phone":
            value = phone_text(value)
        else:
            value = php.field_clean(value)
        if isinstance(value, str):
            value = to_text(value, 250 if key not in ("des", "address",
                                                      "scheme") else None)
        out[key] = value
    return out


def bank_details(recv, current=None):
    if not isinstance(recv, dict):
        return current
    out = dict(current or {k: "" for k in data.BANK_FIELDS})
    for key in data.BANK_FIELDS:
        if key in recv:
            out[key] = php.php_str(recv[key]).strip().replace('"', "\u201d")
    return out


def client_add_one(ctx, params):
    p = dict(params)
    if php.php_int(p.get("iduser")) == 0:
        p["iduser"] = ctx.iduser if php.php_blank(p.get("user")) else \
            ctx.user_id(p.get("user"))
    title = client_title(p.get("title"))
    phones = []
    if "phone" in p and not php.php_blank(p.get("phone")):
        raw = p["phone"] if isinstance(p["phone"], list) else \
            php.split_ids(php.php_str(p["phone"]).replace(",", ";"))
        phones = ["".join(ch for ch in php.php_str(x) if ch.isdigit())[1:]
                  for x in raw]
    mail = p.get("mail_url")
    for c in ctx.store.clients.values():
        if (c["title"] or "").casefold() != title.casefold():
            continue
        digits = "".join(ch for ch in php.php_str(c["phone"])
                         if ch not in "+() -")
        if phones and not any(ph in digits for ph in phones):
            continue
        if not php.php_blank(mail) and not php.contains(
                c["mail_url"], php.strip_tags(mail).strip()):
            continue
        return {"result": "Error", "exists": c["clid"],
                "error": {"code": 304,
                          "text": "Найден существующий клиент - %s "
                                  "(clid = %d). Запрос отклонен."
                                  % (c["title"], c["clid"])}}
    if php.php_blank(p.get("title")):
        return error(402, "Отсутствуют параметры - Название клиента")
    values = client_values(ctx, p, False)
    created = php.mysql_datetime(p.get("date_create")) if php.php_truthy(
        p.get("date_create")) else php.ZERO_DATETIME
    if created == php.ZERO_DATETIME:
        created = ctx.clock.now_text()
    row = {"clid": None, "uid": None, "title": None, "type": "client",
           "iduser": None, "date_create": created, "date_edit": None,
           "address": None, "phone": None, "fax": None, "site_url": None,
           "mail_url": None, "des": None, "idcategory": 0, "territory": 0,
           "tip_cmr": None, "clientpath": data.DEFAULT_CLIENT_PATH, "pid": 0,
           "head_clid": 0, "scheme": None, "trash": "no", "fav": "no",
           "creator": php.php_int(p.get("creator")) or ctx.iduser,
           "editor": 0, "recv": bank_details(p.get("recv")),
           "priceLevel": "price_1", "last_hist": None}
    for key, value in values.items():
        row[key] = null_if_empty(value) if not isinstance(value, int) \
            else value
    if "clientpath" not in values:
        row["clientpath"] = data.DEFAULT_CLIENT_PATH
    ctx.store.clients.add(row)
    out = {"result": OK, "data": row["clid"]}
    try:
        ctx.write_history(clid=row["clid"], des="Добавлен клиент",
                          tip=data.SERVER_TIP)
    except HistoryError as e:
        out["result"] = "Error"
        out["error"] = {"code": 500, "text": history_failure(e, "Ошибка")}
    return out


def client_add(ctx):
    return client_add_one(ctx, ctx.params)


def client_add_list(ctx):
    items = list_param(ctx.p("client"))
    if items is None:
        return []
    out = []
    for item in items:
        item = dict(item) if isinstance(item, dict) else {}
        item["iduser"] = ctx.iduser if "user" not in item else \
            ctx.user_id(item.get("user"))
        out.append(client_add_one(ctx, item))
    return out


CLIENT_LOG_TITLES = dict(data.CLIENT_FORM, type="Тип записи")


def client_update(ctx):
    p = dict(ctx.params)
    if not php.php_blank(p.get("uid")) and php.php_int(p.get("clid")) == 0:
        match = next((c for c in ctx.store.clients.values()
                      if c["uid"] == php.php_str(p.get("uid"))), None)
        p["clid"] = match["clid"] if match else 0
    if isinstance(p.get("phone"), list):
        p["phone"] = ",".join(php.php_str(x) for x in p["phone"]
                              if php.php_str(x).strip() != "")
    row = ctx.store.clients.get(php.php_int(p.get("clid")))
    if row is None:
        return error(403, "Клиент с указанным clid не найден в пределах "
                          "аккаунта")
    new = client_values(ctx, p, True)
    if row["uid"] not in (None, ""):
        new["uid"] = row["uid"]
    lines = []
    for key, value in new.items():
        old = row.get(key)
        if key in ("idcategory", "territory", "clientpath", "head_clid",
                   "pid", "iduser"):
            changed = php.php_int(old) != php.php_int(value)
        else:
            changed = not same(old, value)
        if changed:
            lines.append((CLIENT_LOG_TITLES.get(key, key), shown(value),
                          shown(old)))
    log = change_log(lines)
    messages, out = [], {}
    if log is not None:
        for key, value in new.items():
            row[key] = value        # an UPDATE stores '' as ''
        row["date_edit"] = ctx.clock.now_text()
        row["editor"] = ctx.iduser
        messages.append(OK)
        out["data"] = row["clid"]
        try:
            out["hid"] = ctx.write_history(clid=row["clid"], des=log,
                                           tip=data.LOG_TIP, untag=False)
        except HistoryError as e:
            out["result"] = "Error"
            out["error"] = {"code": 500,
                            "text": history_failure(e, "Ошибка")}
            return out
    else:
        messages.append("Данные корректны, но идентичны имеющимся.")
        out["data"] = row["clid"]
    if isinstance(p.get("recv"), dict) and p.get("recv"):
        row["recv"] = bank_details(p["recv"], row.get("recv"))
        messages.append("Реквизиты обновлены")
    out["result"] = "; ".join(messages)
    return out


def client_delete(ctx):
    clid = php.php_int(ctx.p("clid"))
    row = ctx.store.clients.get(clid)
    if row is None:
        return error(403, "Не найдена запись")
    if any(php.php_int(d["clid"]) == clid for d in ctx.store.deals.values()):
        return error(408, "Клиент не удален. Внимание: К сожалению Удаление "
                          "записи не возможно. Причина - Имеются связанные "
                          "записи - Сделки.")
    persons = 0
    for person in ctx.store.persons.values():
        if php.php_int(person["clid"]) == clid:
            person["clid"] = 0
            persons += 1
    history = 0
    for h in ctx.store.history.values():
        if php.php_int(h["clid"]) == clid:
            ctx.store.history.delete(h["cid"])
            history += 1
    tasks = 0
    for t in ctx.store.tasks.values():
        if php.php_int(t["clid"]) == clid:
            if php.php_int(t["pid"]) == 0:
                ctx.store.tasks.delete(t["tid"])
            else:
                t["clid"] = 0
            tasks += 1
    ctx.store.clients.delete(clid)
    return {"message": "Успешно: Клиент удален.<br>Также удалено %d записи "
                       "истории активностей. Снята привязка к Клиенту у %d "
                       "Контактов. Удалено %d записей напоминаний. Удалено 0 "
                       "файлов." % (history, persons, tasks),
            "result": "Клиент удален", "data": clid}


# --------------------------------------------------------------------------
# person
# --------------------------------------------------------------------------

PERSON_FIELDS = tuple(n for n, _ in data.PERSON_FORM)
PERSON_TITLES = dict(data.PERSON_FORM)


def person_add_one(ctx, params):
    p = dict(params)
    if php.php_int(p.get("iduser")) == 0:
        p["iduser"] = ctx.iduser if "user" not in p else \
            ctx.user_id(p.get("user"))
    if not php.php_truthy(p.get("person")):
        return {"result": "", "data": 0, "error": ""}
    row = {"pid": None, "clid": None, "person": None, "ptitle": None,
           "tel": None, "fax": None, "mob": None, "mail": None,
           "iduser": None, "input7": None, "date_create":
           ctx.clock.now_text(), "date_edit": None, "loyalty": 0,
           "clientpath": data.DEFAULT_CLIENT_PATH, "rol": None,
           "social": None, "creator": ctx.iduser, "editor": 0, "uid": None}
    for key in PERSON_FIELDS:
        value = p.get(key)
        if not php.php_truthy(value):
            continue
        if isinstance(value, list):
            value = ", ".join(php.php_str(v) for v in value)
        row[key] = null_if_empty(to_text(php.field_clean(value), 250))
    if php.php_int(p.get("clid")) > 0:
        row["clid"] = php.php_int(p.get("clid"))
    if php.php_truthy(p.get("clientpath")):
        row["clientpath"] = php.php_int(p.get("clientpath"))
    row["loyalty"] = php.php_int(p.get("loyalty")) if "loyalty" in p else 0
    row["iduser"] = str(php.php_int(p.get("iduser")))
    ctx.store.persons.add(row)
    if php.php_eq(p.get("mperson"), "yes") and php.php_int(row["clid"]) > 0:
        client = ctx.store.clients.get(php.php_int(row["clid"]))
        if client:
            client["pid"] = row["pid"]
    return {"result": "Контакт добавлен", "data": row["pid"], "error": ""}


def person_add(ctx):
    return person_add_one(ctx, ctx.params)


def person_add_list(ctx):
    items = list_param(ctx.p("persons"))
    if items is None:
        return []
    out = []
    for item in items:
        item = dict(item) if isinstance(item, dict) else {}
        item["iduser"] = ctx.iduser if php.php_blank(item.get("user")) \
            else ctx.user_id(item.get("user"))
        out.append(person_add_one(ctx, item))
    return out


def person_update(ctx):
    """person/update overwrites every form field: one the request does not
    send is emptied (and the curator too, unless ``iduser`` is sent); the
    change log and its history row are written even for a pid that does
    not exist."""
    p = dict(ctx.params)
    pid = php.php_int(p.get("pid"))
    row = ctx.store.persons.get(pid)
    if "clid" not in p or p.get("clid") is None:
        p["clid"] = php.php_int(row["clid"]) if row else 0
    new = {}
    for key in data.PERSON_FORM_ORDER:
        value = p.get(key)
        if isinstance(value, list):
            value = ", ".join(php.php_str(v) for v in value)
        new[key] = to_text(php.field_clean(php.php_str(value).replace(
            "\\r\\n", "\r\n")), 250)
    new["clid"] = php.php_int(p.get("clid"))
    new["clientpath"] = php.php_int(p.get("clientpath")) if php.php_truthy(
        p.get("clientpath")) else data.DEFAULT_CLIENT_PATH
    new["loyalty"] = php.php_int(p.get("loyalty")) if "loyalty" in p else 0
    new["iduser"] = None if p.get("iduser") is None else php.php_str(
        p.get("iduser"))
    new["date_edit"] = ctx.clock.now_text()
    new["editor"] = ctx.iduser
    lines = []
    for key, value in new.items():
        old = row.get(key) if row else None
        if key == "clientpath":
            if php.php_int(old) != php.php_int(value):
                lines.append(("clientpath", dict_title(data.CLIENT_PATHS,
                                                       value),
                              dict_title(data.CLIENT_PATHS, old)))
        elif key in ("clid", "loyalty"):
            if php.php_int(old) != php.php_int(value):
                lines.append((PERSON_TITLES.get(key, key), shown(value),
                              shown(old)))
        elif not same(old, value):
            lines.append((PERSON_TITLES.get(key, key), shown(value),
                          shown(old)))
    if row is not None:
        row.update(new)         # an UPDATE stores '' as ''
    messages, errors = [], []
    try:
        messages.append("Данные контакта обновлены")
        ctx.write_history(pid=str(pid), clid=new["clid"],
                          des=change_log(lines) or "", tip=data.LOG_TIP,
                          untag=False)
    except HistoryError as e:
        errors.append(history_failure(e, "Ошибка"))
    return {"result": ",".join(messages), "data": pid,
            "error": ",".join(errors)}


def person_delete(ctx):
    pid = php.php_int(ctx.p("pid"))
    if any(php.php_int(d["pid"]) == pid for d in ctx.store.deals.values()):
        return {"result": "Контакт не удален",
                "error": "Внимание: К сожалению Удаление записи не возможно. "
                         "Причина - Имеются связанные записи - Сделки.",
                "data": pid}
    history = 0
    for h in ctx.store.history.values():
        pids = php.split_ids(h["pid"])
        if str(pid) not in [x.strip() for x in php.php_str(h["pid"]).replace(
                ";", ",").split(",")]:
            continue
        rest = [x for x in pids if x != str(pid)]
        if php.php_int(h["clid"]) < 1 and php.php_int(h["did"]) < 1 \
                and not rest:
            ctx.store.history.delete(h["cid"])
        else:
            h["pid"] = ";".join(rest)
        history += 1
    tasks = 0
    for t in ctx.store.tasks.values():
        pids = php.split_ids(t["pid"])
        if str(pid) not in pids:
            continue
        rest = [x for x in pids if x != str(pid)]
        if php.php_int(t["clid"]) < 1 and php.php_int(t["did"]) < 1 \
                and not rest:
            ctx.store.tasks.delete(t["tid"])
        else:
            t["pid"] = ";".join(rest)
        tasks += 1
    ctx.store.persons.delete(pid)
    return {"message": "Успешно: Контакт удален. Также удалено %d записи "
                       "истории активностей. Удалено %d записей напоминаний. "
                       "Удалено 0 файлов.\n\t\t\t" % (history, tasks),
            "result": "Клиент удален", "data": pid}




# --------------------------------------------------------------------------
# user
# --------------------------------------------------------------------------

def user_add(ctx):
    """user/add never works on the real server: it inserts into a table
    spelled in upper case, which MariaDB on Linux does not find (live)."""
    login = php.untag(ctx.p("user")).strip()
    if any(u["login"].casefold() == login.casefold()
           for u in ctx.store.users.values()):
        return error(406, "Ошибка: Такой логин уже существует")
    return error(500, "Table 'salesman.app_USER' doesn't exist в строке 1146")
