"""SalesMan CRM API v3 provider for the CRM emulator: the front door.

This module owns what the server's front controller does before and after a
method runs, and the provider contract towards the core:

* the URL ``/developer/v3/{method}/{action}`` (the method defaults to
  ``client``; a body parameter ``action`` overrides the URL's action);
* reading parameters and credentials the server's way: with a
  ``Content-Type`` header of exactly ``application/json`` the JSON body is
  the parameters and the credentials come from the ``apikey``/``Apikey`` and
  ``login``/``Login`` headers (or, failing those, from the body); with any
  other content type the body is ignored and parameters and credentials
  come from the query string and a form body only; malformed JSON is no
  parameters;
* authentication against ``CRM_EMULATOR_SALESMAN_API_KEY`` and the
  account's users, compared as MariaDB compares (case-insensitive, trailing
  spaces ignored); every failure is ``401 "Неизвестный пользователь"``;
* envelopes: every answer is HTTP 200 with ``Content-Type:
  application/json; charset=utf-8``, the body printed by ``php_json``; an
  unknown method is an empty body; uncaught server errors are PHP's fatal
  error page (``salesman_php.fatal_page``);
* dispatch of ``(method, action)`` to the handlers in ``salesman_reads``
  and ``salesman_writes``, and ``Ctx``, the per-request view of the store
  (the caller, the clock, lookups the server's helpers do);
* the dump entities for ``/__emulator/dump/salesman/{entity}``.

Data and dictionaries live in ``salesman_data``, PHP/MariaDB value semantics
in ``salesman_php``.
"""

import copy
import json
import urllib.parse
from http import HTTPStatus

import provider_kit
import salesman_data as data
import salesman_php as php
from crm_emulator import Provider, Response

CONTENT_TYPE = "application/json; charset=utf-8"


class Fatal(Exception):
    """An uncaught PHP exception: the answer is PHP's fatal error page."""

    def __init__(self, exception, message, where=php.FATAL_LIB, line=466):
        Exception.__init__(self, message)
        self.page = php.fatal_page(exception, message, where, line)


def sql_fatal(message):
    return Fatal("mysqli_sql_exception", message)


def method_fatal(method, exception, message, line):
    return Fatal(exception, message,
                 "/var/www/salesman/developer/v3/methods/%s.php" % method,
                 line)


class Empty(Exception):
    """The method printed nothing (unknown method file)."""


def error(code, text):
    return {"result": "Error", "error": {"code": code, "text": text}}


# --------------------------------------------------------------------------
# Parameters and credentials
# --------------------------------------------------------------------------

def read_request(req):
    """(params, apikey, login, scheme) as index.php reads them."""
    names = {}
    for name, value in req.headers.items():
        names.setdefault(name, value)
    json_mode = (names.get("Content-Type") == "application/json"
                 or names.get("content-type") == "application/json")
    if json_mode:
        params = req.json if req.json_ok and isinstance(req.json, dict) \
            else {}
        params = dict(params)
        apikey = names["apikey"] if "apikey" in names else names.get("Apikey")
        login = names["login"] if "login" in names else names.get("Login")
        scheme = "apikey" if apikey is not None else None
    else:
        raw = {}
        php.parse_str(req.raw_query, raw)
        ctype = (req.content_type or "").split(";")[0].strip().lower()
        if req.method == "POST" and req.body and \
                ctype == "application/x-www-form-urlencoded":
            php.parse_str(req.body.decode("utf-8", "replace"), raw)
        params = {k: (php.cleaner(v) if isinstance(v, str)
                      else php.array_value(v)) for k, v in raw.items()}
        apikey, login = params.get("apikey"), params.get("login")
        scheme = "query" if apikey is not None else None
    if apikey is None and params.get("apikey") is not None:
        apikey, login = params.get("apikey"), params.get("login")
        scheme = "body"
    return params, apikey, login, scheme


def redact_body(req):
    """Credentials sent in the body (JSON or form) never reach the request
    log: the logged copy of the body reads ``REDACTED`` for them."""
    if not req.body:
        return
    if req.json_ok and isinstance(req.json, dict):
        if not any(k in req.json for k in ("apikey", "Apikey")):
            return
        shown = dict(req.json)
        for key in ("apikey", "Apikey"):
            if key in shown:
                shown[key] = "REDACTED"
        req.body = json.dumps(shown, ensure_ascii=False).encode("utf-8")
        return
    text = req.body.decode("utf-8", "replace")
    parts = text.split("&")
    changed = False
    for i, part in enumerate(parts):
        name, eq, _ = part.partition("=")
        if eq and urllib.parse.unquote_plus(name).lower() == "apikey":
            parts[i] = name + "=REDACTED"
            changed = True
    if changed:
        req.body = "&".join(parts).encode("utf-8")


# --------------------------------------------------------------------------
# The per-request context
# --------------------------------------------------------------------------

class Ctx:
    """What a handler sees: params, the caller, the clock and the lookups
    the server's helper functions do."""

    def __init__(self, provider, store, user, params, config, method):
        self.provider = provider
        self.store = store
        self.user = user                        # caller's user row
        self.iduser = user["iduser"]
        self.params = params
        self.config = config
        self.method = method
        self.clock = data.Clock(config.get("salesman_timezone"),
                                provider.fixed_now, provider.clock_shift)

    def p(self, name):
        return self.params.get(name)

    # -- people and names --

    def people(self, iduser=None):
        """Users whose records a user sees (get_people)."""
        iduser = self.iduser if iduser is None else iduser
        u = self.store.users.get(iduser)
        role = u["tip"] if u else None
        allusers = [x["iduser"] for x in self.store.users.values()]
        if self.user.get("isadmin") == "on" or role in data.ROLES_SEE_ALL:
            return allusers
        if role == data.ROLE_DEPT_HEAD:
            return [x["iduser"] for x in self.store.users.values()
                    if x["mid"] == iduser] + [iduser]
        if role == "Руководитель подразделения":
            first = [x["iduser"] for x in self.store.users.values()
                     if x["mid"] == iduser]
            second = [x["iduser"] for x in self.store.users.values()
                      if x["mid"] in first]
            return [iduser] + first + second
        return [iduser]

    def user_id(self, login):
        """current_userbylogin: 0 when unknown."""
        if not php.php_truthy(login):
            return 0
        for u in self.store.users.values():
            if php.sql_equal(u["login"], login):
                return u["iduser"]
        return 0

    def user_login(self, iduser):
        iduser = php.php_int(iduser)
        u = self.store.users.get(iduser) if iduser > 0 else None
        return u["login"] if u else ""

    def user_title(self, iduser):
        """get_user: the name, or "не определено"."""
        u = self.store.users.get(php.php_int(iduser))
        return u["title"] if u and u["title"] else "не определено"

    def user_title_or_blank(self, iduser):
        u = self.store.users.get(php.php_int(iduser))
        return u["title"] if u else ""

    def client_title(self, clid):
        return linked_title(self.store.clients, clid)

    def deal_title(self, did):
        return linked_title(self.store.deals, did)

    def person_short(self, pid):
        """current_person: first two words, None if missing, "" for 0."""
        pid = php.php_int(pid)
        if pid <= 0:
            return ""
        p = self.store.persons.get(pid)
        if p is None or not p["person"]:
            return None
        return php.first_two_words(p["person"])

    def person_list(self, pid_text):
        return [{"pid": php.php_int(x), "person": self.person_short(x)}
                for x in php.split_ids(pid_text)]

    # -- writes the server does on the side --

    def write_history(self, clid=0, pid="", did=0, des="", tip=None,
                      datum=None, iduser=None, untag=True):
        """addHistorty: cleans the content, stores a row, answers its cid.
        Raises HistoryError when the account's timezone is west of UTC (or
        not on a whole hour), as the server's ``SET time_zone`` fails."""
        problem = self.clock.history_write_error()
        if problem is not None:
            raise HistoryError(problem)
        text = php.php_str(des).replace("\\r\\n", "\r\n")
        if untag:
            text = php.untag(text)
        datum = php.mysql_datetime(datum) if php.php_truthy(datum) \
            else self.clock.now_text()
        row = {"cid": None, "clid": php.php_int(clid),
               "pid": php.php_str(pid), "did": php.php_int(did),
               "datum": datum, "des": php.utf8mb3(text),
               "iduser": self.iduser if iduser is None else iduser,
               "tip": None if tip is None else php.utf8mb3(php.php_str(tip)),
               "fid": None}
        self.store.history.add(row)
        client = self.store.clients.get(row["clid"])
        if client is not None:
            client["last_hist"] = self.clock.now_text()
        return row["cid"]


def linked_title(table, row_id):
    """The title a row shows for a linked client or deal: "" for none (0),
    "--не найден--" for one that is gone or has no title."""
    row_id = php.php_int(row_id)
    if row_id <= 0:
        return ""
    row = table.get(row_id)
    return row["title"] if row and row["title"] else "--не найден--"


class HistoryError(Exception):
    """A history row could not be written (MariaDB error 1298)."""

    code = 1298


# --------------------------------------------------------------------------
# The provider
# --------------------------------------------------------------------------

class SalesmanProvider(Provider):
    name = "salesman"
    prefixes = ("/developer/v3/",)
    default_scale = dict(data.DEFAULT_SCALE)
    config_defaults = {
        "salesman_timezone": data.DEFAULT_TIMEZONE,
        "salesman_rate_limit": None,
        "salesman_daily_budget": None,
    }

    def __init__(self, seed, scale, env):
        Provider.__init__(self, seed, scale, env)
        self.api_key = env.get("CRM_EMULATOR_SALESMAN_API_KEY",
                               "demo-salesman-key")
        self.default_login = env.get("CRM_EMULATOR_SALESMAN_LOGIN",
                                     "admin@example.com")
        self.fixed_now = None       # tests may pin the clock (aware UTC)
        self.clock_shift = 0        # seconds the account clock runs ahead
        self.store = None

    def reset(self):
        """Generate the account.  Under --anchor its days move so that the
        latest generated day, 2026-06-30 (wall time), becomes the anchor's
        day in the account's zone, and its clock runs the whole days off
        the wall clock that make "today" the anchor's day (none for
        ``now``).  Every reset restores the default zone, so that is the
        zone both are counted in."""
        zone = data.account_zone(data.DEFAULT_TIMEZONE)
        latest = data.unix_of_wall(data.DATA_END, zone)
        shift = self.time_shift(latest, zone)
        self.clock_shift = 0
        if self.anchor not in (None, "now"):
            self.clock_shift = provider_kit.anchor_shift(
                provider_kit.now(), self.anchor, zone)
        self.store = data.generate(self.seed, self.scale, shift)
        admin = self.store.users.get(1)
        if admin is not None:
            admin["login"] = admin["email"] = self.default_login

    # -- dump --

    def dump(self, entity, host=None):
        """Rows as stored (database column names); ``host`` is unused: no
        SalesMan row carries an absolute link."""
        s = self.store
        tables = {"users": s.users, "clients": s.clients,
                  "persons": s.persons, "deals": s.deals, "tasks": s.tasks,
                  "history": s.history}
        if entity in tables:
            return copy.deepcopy(tables[entity].values())
        if entity == "tips":
            return [{"title": t, "color": c, "filter": f}
                    for t, c, f in s.tips]
        if entity == "steps":
            return [{"idcategory": i, "title": t, "content": c}
                    for i, t, c in data.STEPS]
        if entity == "directions":
            return [{"id": i, "title": t, "isDefault": d}
                    for i, t, d in data.DIRECTIONS]
        if entity == "deal_types":
            return [{"tid": i, "title": t, "isDefault": d}
                    for i, t, d in data.DEAL_TYPES]
        if entity == "close_statuses":
            return [{"sid": i, "title": t, "content": c, "result": r}
                    for i, t, c, r in data.CLOSE_STATUSES]
        if entity == "funnels":
            return [{"direction": d, "tip": t, "title": f[0],
                     "steps": list(f[1]), "default": f[2]}
                    for (d, t), f in sorted(data.FUNNELS.items())]
        return None

    # -- auth and envelopes --

    def find_user(self, login):
        if login is None:
            return None
        for u in self.store.users.values():
            if php.sql_equal(u["login"], login):
                return u
        return None

    def authenticate(self, req):
        params, apikey, login, scheme = read_request(req)
        req.salesman_params = params
        redact_body(req)
        user = None
        if apikey is not None and php.sql_equal(apikey, self.api_key):
            user = self.find_user(login)
        return scheme, (user["iduser"] if user else None)

    def answer(self, obj, status=200):
        return Response(status, php.php_json(obj), CONTENT_TYPE)

    def unauthorized(self, req):
        return self.answer(error(401, "Неизвестный пользователь"))

    def error(self, status, message=None):
        if message is None:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "Error"
        return self.answer(error(status, message), status)

    def rate_limited(self, retry_after, daily):
        text = ("Daily API request budget exceeded" if daily
                else "Request over limit")
        resp = self.answer(error(429, text), 429)
        resp.headers.append(("Retry-After", retry_after))
        return resp

    # -- dispatch --

    def handle(self, req, config):
        import salesman_reads
        import salesman_writes
        params = getattr(req, "salesman_params", None)
        if params is None:
            params = read_request(req)[0]
        parts = req.path.strip(" /").split("/")
        method = parts[2] if len(parts) > 2 and parts[2] else "client"
        action = parts[3] if len(parts) > 3 else None
        if php.php_truthy(params.get("action")):
            action = php.php_str(params.get("action"))
        handlers = METHODS.get(method)
        user = self.store.users.get(req.principal)
        if handlers is None or user is None:
            return Response(200, b"", CONTENT_TYPE)
        ctx = Ctx(self, self.store, user, params, config, method)
        fn = handlers.get(action)
        try:
            if fn is None:
                result = DEFAULT_ACTION[method]
            else:
                if fn[0] == "w":
                    self.store.list_cache.clear()
                result = getattr(salesman_reads if fn[0] == "r"
                                 else salesman_writes, fn[1])(ctx)
        except Fatal as e:
            return Response(200, e.page, CONTENT_TYPE)
        except Empty:
            return Response(200, b"", CONTENT_TYPE)
        return self.answer(result)


# (method, action) -> ("r"|"w", handler name in salesman_reads/_writes)
METHODS = {
    "history": {
        "fields": ("r", "history_fields"), "tips": ("r", "tips"),
        "list": ("r", "history_list"), "info": ("r", "history_info"),
        "add": ("w", "history_add"), "add.list": ("w", "history_add_list"),
        "delete": ("w", "history_delete"),
    },
    "task": {
        "fields": ("r", "task_fields"), "tips": ("r", "tips"),
        "list": ("r", "task_list"), "info": ("r", "task_info"),
        "add": ("w", "task_add"), "update": ("w", "task_update"),
        "doit": ("w", "task_doit"), "delete": ("w", "task_delete"),
        "history": ("w", "task_history"),
    },
    "deal": {
        "fields": ("r", "deal_fields"), "steplist": ("r", "deal_steplist"),
        "direction": ("r", "deal_direction"), "type": ("r", "deal_type"),
        "statusclose": ("r", "deal_statusclose"),
        "funnel": ("r", "deal_funnel"), "list": ("r", "deal_list"),
        "info": ("r", "deal_info"), "add": ("w", "deal_add"),
        "update": ("w", "deal_update"),
        "change.step": ("w", "deal_change_step"),
        "close": ("w", "deal_close"), "delete": ("w", "deal_delete"),
    },
    "client": {
        "fields": ("r", "client_fields"), "list": ("r", "client_list"),
        "info": ("r", "client_info"), "add": ("w", "client_add"),
        "add.list": ("w", "client_add_list"),
        "update": ("w", "client_update"), "delete": ("w", "client_delete"),
    },
    "person": {
        "fields": ("r", "person_fields"), "list": ("r", "person_list"),
        "info": ("r", "person_info"), "add": ("w", "person_add"),
        "add.list": ("w", "person_add_list"),
        "update": ("w", "person_update"), "delete": ("w", "person_delete"),
    },
    "user": {
        "list": ("r", "user_list"), "info": ("r", "user_info"),
        "add": ("w", "user_add"),
    },
}

# What each method answers for an action it does not know.
DEFAULT_ACTION = {
    "history": error(404, "Не понимаю чЁ происходит. Может в следующий раз?"),
    "task": error(404, "Неизвестный метод"),
    "deal": error(402, "Неизвестный метод"),
    "client": error(402, "Неизвестный метод"),
    "person": error(404, "Неизвестный метод"),
    "user": [],
}

PROVIDER = SalesmanProvider
