"""Self-tests of the CRM emulator's SalesMan CRM API v3 provider.

Run from test/emulator with Debian's python3 (standard library only):

    /usr/bin/python3 -m unittest test_salesman

The tests talk HTTP to an emulator served from a thread of this process on
an ephemeral port.  The provider's clock is pinned to 2026-03-15 12:00 in
the account's timezone (Europe/Moscow), a day inside the data window, so
"today" is deterministic.  The quirks asserted here were observed on a live
SalesMan 2025.4 install (see README.md, "The SalesMan CRM API as
emulated").
"""

import datetime
import json
import os
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import crm_emulator                                     # noqa: E402
import emulator_testlib                                 # noqa: E402
import salesman_data                                    # noqa: E402
import salesman_php                                     # noqa: E402

API_KEY = emulator_testlib.SALESMAN_API_KEY
LOGIN = emulator_testlib.SALESMAN_LOGIN
ENV = emulator_testlib.ENV
JSON_TYPE = "application/json; charset=utf-8"
# 2026-03-15 09:00 UTC = 12:00 in Moscow
PINNED_UTC = datetime.datetime(2026, 3, 15, 9, 0, 0,
                               tzinfo=datetime.timezone.utc)
TODAY = "2026-03-15"
WHOLE = {"dateStart": "2024-01-01", "dateEnd": "2027-12-31"}


class Client(emulator_testlib.Client):
    """The shared client, plus SalesMan requests and a control call that
    answers its status instead of asserting it."""

    def sm_raw(self, path, params=None, headers=None, method="POST",
               login=LOGIN, key=API_KEY):
        hdrs = {"Content-Type": "application/json", "apikey": key,
                "login": login}
        if headers is not None:
            hdrs = headers
        body = b"" if params is None else (
            params if isinstance(params, bytes)
            else json.dumps(params).encode("utf-8"))
        return self.raw(method, "/developer/v3/" + path, body, hdrs)

    def sm(self, path, params=None, **kw):
        status, resp, data = self.sm_raw(path, params, **kw)
        assert status == 200, (path, status, data)
        assert resp.getheader("Content-Type") == JSON_TYPE, path
        text = data.decode("utf-8")
        return json.loads(text) if text.strip().startswith(("{", "[")) \
            else text

    def control(self, method, path, body=None):
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        status, _, data = self.raw(method, "/__emulator/" + path, payload)
        return status, json.loads(data.decode("utf-8")) if data else None


class SalesmanCase(emulator_testlib.ServerCase):
    """One in-process emulator shared by a test class, reset before each
    test with the account clock pinned to PINNED_UTC."""

    provider = "salesman"
    auth_headers = {}               # SalesMan's credentials go per request
    client_class = Client
    # every reset regenerates all providers: keep the ones these tests do
    # not talk to small (otherwise half of these tests' time)
    scale = {"pipedrive.deals": 20, "pipedrive.activities": 20,
             "pipedrive.notes": 10, "pipedrive.persons": 10,
             "pipedrive.organizations": 5, "pipedrive.files": 5,
             "amocrm.leads": 20, "amocrm.contacts": 10,
             "amocrm.companies": 5, "amocrm.tasks": 10, "amocrm.notes": 10}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = next(p for p in cls.emu.providers
                           if p.name == "salesman")

    def setUp(self):
        self.emu.reset()
        self.account.fixed_now = PINNED_UTC

    def sm(self, path, params=None, **kw):
        return self.c.sm(path, params, **kw)

    def history_of(self, **params):
        params = dict(WHOLE, **params)
        out, page = [], 0
        while True:
            answer = self.sm("history/list", dict(params, offset=page))
            if answer == []:
                return out
            out.extend(answer["data"])
            if len(answer["data"]) < 200:
                return out
            page += 1

    def set_timezone(self, name):
        status, _ = self.c.control("POST", "config",
                                   {"salesman_timezone": name})
        self.assertEqual(status, 200)


# --------------------------------------------------------------------------
# The front door
# --------------------------------------------------------------------------

class TransportTest(SalesmanCase):

    def test_every_answer_is_200_json_even_errors(self):
        status, resp, data = self.c.sm_raw("history/info", {"cid": 10 ** 9})
        self.assertEqual(status, 200)
        self.assertEqual(resp.getheader("Content-Type"), JSON_TYPE)
        self.assertEqual(json.loads(data), {"result": "Error", "error": {
            "code": "403", "text": "Не найдено в пределах аккаунта "
                                   "указанного пользователя."}})

    def test_unknown_method_is_an_empty_body(self):
        status, resp, data = self.c.sm_raw("nosuchmethod/list", {})
        self.assertEqual((status, data), (200, b""))
        self.assertEqual(resp.getheader("Content-Type"), JSON_TYPE)

    def test_unknown_action_per_method(self):
        self.assertEqual(self.sm("history/zzz", {})["error"], {
            "code": 404,
            "text": "Не понимаю чЁ происходит. Может в следующий раз?"})
        self.assertEqual(self.sm("deal/zzz", {})["error"]["code"], 402)
        self.assertEqual(self.sm("client/zzz", {})["error"]["code"], 402)
        self.assertEqual(self.sm("task/zzz", {})["error"]["code"], 404)
        self.assertEqual(self.sm("person/zzz", {})["error"]["code"], 404)
        self.assertEqual(self.sm("user/zzz", {}), [])
        # the method defaults to client, the action comes from the body
        self.assertEqual(self.sm("", {})["error"]["code"], 402)
        answer = self.sm("history/list", {"action": "info", "cid": 7})
        self.assertEqual(answer["data"]["cid"], 7)

    def test_verb_is_not_checked(self):
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            status, _, data = self.c.sm_raw("history/info", {"cid": 3},
                                            method=method)
            self.assertEqual(json.loads(data)["data"]["cid"], 3, method)

    def test_json_is_encoded_as_php_prints_it(self):
        status, _, data = self.c.sm_raw("person/info", {"pid": 1})
        text = data.decode("utf-8")
        self.assertIn('"person":"Иванов Иван Петрович"', text)   # literal
        self.assertIn("\\u201d", text)          # other non-ASCII escaped
        status, _, data = self.c.sm_raw("client/list",
                                        {"order": "date_create"})
        self.assertIn("https:\\/\\/client", data.decode("utf-8"))

    def test_php_encoder(self):
        self.assertEqual(salesman_php.php_json(
            {"a": "Ёж/Müller 😀"}).decode("utf-8"),
            '{"a":"Ёж\\/M\\u00fcller \\ud83d\\ude00"}')


class AuthTest(SalesmanCase):

    def unknown_user(self, answer):
        self.assertEqual(answer, {"result": "Error", "error": {
            "code": 401, "text": "Неизвестный пользователь"}})

    def test_wrong_key_is_401_unknown_user(self):
        self.unknown_user(self.sm("user/list", {}, key="wrong"))
        self.unknown_user(self.sm("user/list", {}, login="nobody@x"))
        self.unknown_user(self.sm("user/list", {}, headers={
            "Content-Type": "application/json"}))

    def test_header_names(self):
        ok = self.sm("user/list", {}, headers={
            "Content-Type": "application/json", "Apikey": API_KEY,
            "Login": LOGIN})
        self.assertIn("data", ok)
        self.unknown_user(self.sm("user/list", {}, headers={
            "Content-Type": "application/json", "APIKEY": API_KEY,
            "LOGIN": LOGIN}))
        ok = self.sm("user/list", {}, headers={
            "content-type": "application/json", "apikey": API_KEY,
            "login": LOGIN})
        self.assertIn("data", ok)

    def test_key_and_login_compare_like_mariadb(self):
        ok = self.sm("user/list", {}, key=API_KEY.upper(),
                     login=LOGIN.upper())
        self.assertIn("data", ok)

    def test_charset_content_type_ignores_body_and_header_credentials(self):
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "apikey": API_KEY, "login": LOGIN}
        self.unknown_user(self.sm("history/info", {"cid": 5},
                                  headers=headers))
        query = urllib.parse.urlencode({"apikey": API_KEY, "login": LOGIN})
        status, _, data = self.c.raw(
            "POST", "/developer/v3/history/info?" + query,
            json.dumps({"cid": 5}).encode(),
            {"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(json.loads(data)["error"], {
            "code": 405, "text": "Отсутствуют параметры - сid записи"})
        status, _, data = self.c.raw(
            "POST", "/developer/v3/history/info?cid=5&" + query)
        self.assertEqual(json.loads(data)["data"]["cid"], 5)

    def test_form_body_and_body_credentials(self):
        form = urllib.parse.urlencode({"cid": 5, "apikey": API_KEY,
                                       "login": LOGIN}).encode()
        status, _, data = self.c.raw(
            "POST", "/developer/v3/history/info", form,
            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(json.loads(data)["data"]["cid"], 5)
        answer = self.sm("history/info", {"cid": 5, "apikey": API_KEY,
                                          "login": LOGIN},
                         headers={"Content-Type": "application/json"})
        self.assertEqual(answer["data"]["cid"], 5)
        log = self.c.control("GET", "requests")[1]
        self.assertEqual(log[-1]["body"]["apikey"], "REDACTED")
        self.assertIn("apikey=REDACTED", log[-2]["body"])
        self.assertNotIn(API_KEY, json.dumps(log))

    def test_malformed_json_is_no_parameters(self):
        answer = self.sm("history/info", b'{"cid": 5')
        self.assertEqual(answer["error"]["code"], 405)

    def test_login_picks_the_caller_and_its_view(self):
        # a sales manager sees only its own records
        mine = self.history_of()
        olga = self.sm("history/list", dict(WHOLE), login=(
            "olga.smirnova@example.com"))["data"]
        self.assertTrue(all(r["iduser"] == 3 for r in olga))
        self.assertGreater(len(mine), len(olga))
        # the department head sees its team
        ivan = self.sm("task/list", dict(WHOLE, active="yes"), login=(
            "ivan.petrov@example.com"))["data"]
        self.assertEqual({r["iduser"] for r in ivan} - {2, 3, 4}, set())


# --------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------

class HistoryReadTest(SalesmanCase):

    def test_paging_200_then_5_then_empty(self):
        pages = [self.sm("history/list", dict(WHOLE, clid=1, offset=n))
                 for n in range(3)]
        self.assertEqual(len(pages[0]["data"]), 200)
        self.assertEqual(len(pages[1]["data"]), 5)
        self.assertEqual(pages[2], [])
        cids = [r["cid"] for p in pages[:2] for r in p["data"]]
        self.assertEqual(len(set(cids)), 205)

    def test_without_dates_only_today(self):
        today = self.sm("history/list", {})
        expected = [r for r in self.dump("history")
                    if r["datum"].startswith(TODAY)]
        if not expected:
            self.assertEqual(today, [])
        else:
            self.assertEqual(sorted(r["cid"] for r in today["data"]),
                             sorted(r["cid"] for r in expected))
        # only dateStart: up to today; only dateEnd: from today
        after = self.sm("history/list", {"dateStart": "2026-03-01"})
        self.assertTrue(all("2026-03-01" <= r["datum"][:10] <= TODAY
                            for r in after["data"]))
        self.assertEqual(self.sm("history/list", {"dateEnd": "2026-01-01"}),
                         [])

    def test_row_shape(self):
        rows = self.history_of()
        first = rows[0]
        self.assertEqual(list(first)[:8], ["cid", "datum", "content", "tip",
                                           "iduser", "user", "clid",
                                           "client"])
        self.assertEqual(list(first)[-2:], ["did", "dogovor"])
        unlinked = [r for r in rows if r["clid"] == 0]
        self.assertTrue(unlinked)
        self.assertTrue(all(r["client"] == "" for r in unlinked))
        nodeal = [r for r in rows if r["did"] == 0]
        self.assertTrue(all(r["dogovor"] == "" for r in nodeal))
        self.assertTrue(all(isinstance(r["cid"], int) and isinstance(
            r["iduser"], int) for r in rows))
        self.assertTrue(any("person" not in r for r in rows))
        multi = [r for r in rows if len(r.get("person", [])) == 2]
        self.assertTrue(multi)
        lines = [r for r in rows if "\n" in r["content"]]
        self.assertTrue(lines)
        self.assertTrue(all("<br />\n" in r["content"] or "<br />\r\n" in
                            r["content"] for r in lines))

    def test_order_first_and_ties(self):
        rows = self.history_of(dateStart="2025-07-01", dateEnd="2025-07-01")
        tied = [r["cid"] for r in rows
                if r["datum"] == salesman_data.TIE_DATUM]
        self.assertEqual(len(tied), 3)
        self.assertEqual(tied, sorted(tied))        # ties by cid, even DESC
        old = self.sm("history/list", dict(WHOLE, first="old"))["data"]
        self.assertEqual([r["datum"] for r in old],
                         sorted(r["datum"] for r in old))
        fatal = self.sm("history/list", dict(WHOLE, order="nosuch"))
        self.assertIn("<b>Fatal error</b>", fatal)
        self.assertIn("Unknown column 'nosuch' in 'ORDER BY'", fatal)

    def test_filters(self):
        rows = self.history_of(did=1)
        self.assertTrue(rows and all(r["did"] == 1 for r in rows))
        rows = self.history_of(pid=1)
        self.assertTrue(rows and all(1 in [p["pid"] for p in r["person"]]
                                     for r in rows))
        rows = self.history_of(user="olga.smirnova@example.com")
        self.assertTrue(rows and all(r["user"] == "olga.smirnova@example.com"
                                     for r in rows))
        self.assertEqual(self.history_of(user="nobody@example.com"), [])
        rows = self.history_of(word="скидку")
        self.assertTrue(rows and all("скидку" in r["content"] for r in rows))
        # the tip filter only applies to a field name: real tips are ignored
        everything = len(self.history_of())
        self.assertEqual(len(self.history_of(tip="Встреча")), everything)
        self.assertEqual(self.history_of(tip="des"), [])

    def test_pages_of_one_scan_see_writes_in_between(self):
        before = len(self.history_of(clid=2))
        self.sm("history/add", {"clid": 2, "content": "new",
                                "datum": "2025-06-01 10:00:00"})
        self.assertEqual(len(self.history_of(clid=2)), before + 1)

    def test_offset_quirks(self):
        fatal = self.sm("history/list", dict(WHOLE, offset="abc"))
        self.assertIn("Unsupported operand types: string * int", fatal)
        fatal = self.sm("history/list", dict(WHOLE, offset=[1]))
        self.assertIn("array * int", fatal)
        one = self.sm("history/list", dict(WHOLE, clid=1, offset="1"))
        self.assertEqual(len(one["data"]), 5)

    def test_info(self):
        rows = {r["cid"]: r for r in self.dump("history")}
        none = next(c for c, r in rows.items() if r["pid"] == "")
        two = next(c for c, r in rows.items() if ";" in r["pid"])
        info = self.sm("history/info", {"cid": none})["data"]
        self.assertEqual(info["person"], [{"pid": 0, "person": ""}])
        info = self.sm("history/info", {"cid": two})["data"]
        self.assertEqual(len(info["person"]), 1)
        self.assertEqual(info["person"][0]["pid"],
                         int(rows[two]["pid"].split(";")[0]))
        multiline = next(c for c, r in rows.items() if "\n" in r["des"])
        info = self.sm("history/info", {"cid": multiline})["data"]
        self.assertEqual(info["content"], rows[multiline]["des"])
        self.assertEqual(self.sm("history/info", {"cid": "%dabc" % two})[
            "data"]["cid"], two)
        self.assertEqual(self.sm("history/info", {})["error"], {
            "code": 405, "text": "Отсутствуют параметры - сid записи"})
        self.assertEqual(self.sm("history/info", {"id": 1})["error"][
            "code"], 404)
        self.assertEqual(self.sm("history/info", {"cid": 10 ** 8})["error"][
            "code"], "403")

    def test_fields_and_tips(self):
        self.assertEqual(list(self.sm("history/fields")["data"]),
                         ["cid", "datum", "des", "tip", "iduser", "clid",
                          "pid", "did"])
        tips = self.sm("history/tips")["data"]
        self.assertEqual(tips[0], {"title": "Звонок", "color": "#009900",
                                   "filter": "all"})


class HistoryWriteTest(SalesmanCase):

    def add(self, **params):
        answer = self.sm("history/add", params)
        self.assertEqual(answer["result"], "Успешно", answer)
        return next(r for r in self.dump("history")
                    if r["cid"] == answer["data"])

    def test_add_stores_cleaned_content(self):
        row = self.add(clid=1, pid="1, 2", did=1, tip="<i>Встреча</i>",
                       content='Multi\nline <b>bold</b> "q" \'s\' a/b '
                               '«x» back\\slash 😀 end',
                       datum="2025-03-04 05:06:07")
        self.assertEqual(row["des"], "Multi\nline bold q s a/b x backslash "
                                     "???? end")
        self.assertEqual((row["tip"], row["pid"], row["datum"]),
                         ("Встреча", "1;2", "2025-03-04 05:06:07"))
        listed = self.sm("history/list", {"dateStart": "2025-03-04",
                                          "dateEnd": "2025-03-04",
                                          "did": 1})["data"]
        shown = next(r for r in listed if r["cid"] == row["cid"])
        self.assertEqual(shown["content"], "Multi<br />\nline bold q s a-b "
                                           "x backslash ???? end")

    def test_datum_parsing(self):
        cases = {
            "2025-03-04 05:06": "2025-03-04 05:06:00",
            "2025-03-04": "2025-03-04 00:00:00",
            "2025-03-04T10:11:12+05:00": "2025-03-04 10:11:12",
            "2025-03-04 10:11:12Z": "2025-03-04 10:11:12",
            "2025-03-04 10:11:59.9": "2025-03-04 10:11:59",
            "2025/03/04 10:11:12": "2025-03-04 10:11:12",
            "20250304101112": "2025-03-04 10:11:12",
            "25-3-4 1:2:3": "2025-03-04 01:02:03",
            "10:11:12": "2010-11-12 00:00:00",
            "2025-02-30 10:00:00": "0000-00-00 00:00:00",
            "2025-03-04 25:00:00": "0000-00-00 00:00:00",
            "04.03.2025 10:11": "0000-00-00 00:00:00",
            "garbage": "0000-00-00 00:00:00",
            "": "2026-03-15 12:00:00",
        }
        for given, stored in cases.items():
            row = self.add(clid=2, content="dt", datum=given)
            self.assertEqual(row["datum"], stored, given)

    def test_defaults_and_missing_parameters(self):
        row = self.add(clid=0, content="zero clid counts as given")
        self.assertEqual((row["tip"], row["iduser"]), ("Событие", 1))
        row = self.add(pid="3", content="x", user="ivan.petrov@example.com")
        self.assertEqual(row["iduser"], 2)
        for params in ({"content": "x"}, {"clid": 1}, {"clid": 1,
                                                       "content": ""}):
            self.assertEqual(self.sm("history/add", params), {
                "result": "Error", "error": {
                    "code": 405, "text": "Отсутствуют параметры"}})

    def test_west_of_utc_account_cannot_write_history(self):
        self.set_timezone("America/Bogota")
        before = len(self.dump("history"))
        self.assertEqual(self.sm("history/add", {"clid": 1, "content": "x"}),
                         {"result": "Error", "error": {
                             "code": 500,
                             "text": "Unknown or incorrect time zone: "
                                     "'+-5:00' в строке 1298"}})
        self.set_timezone("Asia/Kolkata")
        self.assertIn("'+5.5:00'", self.sm("history/add", {
            "clid": 1, "content": "x"})["error"]["text"])
        self.set_timezone("UTC")
        self.assertEqual(self.sm("history/add", {"clid": 1, "content": "x"})[
            "result"], "Успешно")
        self.assertEqual(len(self.dump("history")), before + 1)

    def test_add_list_does_not_reset_between_items(self):
        answer = self.sm("history/add.list", {"list": [
            {"clid": 1, "content": "one"}, {"clid": 1, "content": ""},
            {"clid": 1, "content": "three", "tip": "Встреча"}]})
        first = answer[0]["data"]
        self.assertEqual(answer[0], {"result": "Успешно", "data": first})
        self.assertEqual(answer[1], {"result": "Error", "data": first,
                                     "error": {"code": 405, "text":
                                               "Отсутствуют параметры - "
                                               "Заголовок"}})
        self.assertEqual(answer[2]["result"], "Успешно")
        self.assertEqual(answer[2]["data"], first + 1)
        self.assertEqual(answer[2]["error"]["code"], 405)   # stale
        rows = {r["cid"]: r for r in self.dump("history")}
        self.assertIsNone(rows[first]["tip"])      # no default tip here
        self.assertEqual(self.sm("history/add.list", {}), [])

    def test_delete(self):
        self.assertEqual(self.sm("history/delete", {"cid": 3}),
                         {"result": "Успешно"})
        self.assertEqual(self.sm("history/delete", {"cid": 3})["error"], {
            "code": 403, "text": "Запись не найдена."})
        self.assertEqual(self.sm("history/delete", {})["error"]["code"], 405)


# --------------------------------------------------------------------------
# task
# --------------------------------------------------------------------------

class TaskTest(SalesmanCase):

    def test_list_active_quirks(self):
        self.assertEqual(self.sm("task/list", dict(WHOLE)), [])
        active = self.sm("task/list", dict(WHOLE, active="yes"))["data"]
        done = self.sm("task/list", dict(WHOLE, active="no"))["data"]
        self.assertTrue(active and done)
        self.assertTrue(all(t["active"] == "yes" for t in active))
        self.assertTrue(all(t["active"] == "no" for t in done))
        self.assertEqual(self.sm("task/list", dict(WHOLE, active="no",
                                                   status=2))["data"], done)
        t = active[0]
        for key in ("tid", "priority", "speed", "status", "active"):
            self.assertIsInstance(t[key], str, key)
        self.assertNotIn("person", t)
        self.assertRegex(t["totime"], r"^\d\d:\d\d$")
        self.assertEqual(len(self.dump("tasks")), 150)

    def test_info(self):
        info = self.sm("task/info", {"id": 2})["data"]
        self.assertEqual(info["tid"], "2")
        self.assertIsInstance(info["person"], list)
        self.assertEqual(self.sm("task/info", {})["error"]["code"], 405)
        self.assertEqual(self.sm("task/info", {"id": 10 ** 6})["error"][
            "code"], 403)

    def test_add_update_doit_delete(self):
        answer = self.sm("task/add", {"title": 'Call "them"', "clid": 1,
                                      "tip": "Новый тип"})
        tid = answer["data"]
        info = self.sm("task/info", {"id": tid})["data"]
        self.assertEqual((info["title"], info["datum"], info["totime"],
                          info["active"], info["autor"], info["tip"]),
                         ("Call them", TODAY, "13:00", "yes", 0,
                          "Новый тип"))
        self.assertIn({"title": "Новый тип", "color": None, "filter": "all"},
                      self.sm("task/tips")["data"])
        self.assertEqual(self.sm("task/add", {"title": "x"}), {
            "result": "Успешно", "data": tid + 1})
        self.assertEqual(self.sm("task/info", {"id": tid + 1})["data"]["tip"],
                         "Звонок")
        # update resets what it is not sent
        self.sm("task/update", {"id": tid, "des": "agenda", "priority": 2})
        self.sm("task/update", {"id": tid, "title": "Renamed"})
        info = self.sm("task/info", {"id": tid})["data"]
        self.assertEqual((info["title"], info["des"], info["priority"]),
                         ("Renamed", "", "0"))
        done = self.sm("task/doit", {"id": tid, "description": "done"})
        self.assertEqual(done["message"], "Добавлена Активность")
        row = next(r for r in self.dump("history")
                   if r["cid"] == done["historyID"])
        self.assertEqual((row["des"], row["clid"]), ("done", 1))
        info = self.sm("task/info", {"id": tid})["data"]
        self.assertEqual((info["active"], info["status"]), ("no", "1"))
        self.assertEqual(self.sm("task/delete", {"id": tid}), {
            "result": "Успешно", "data": tid, "message": "Запись удалена"})
        self.assertEqual(self.sm("task/delete", {"id": tid})["error"][
            "code"], 403)
        fatal = self.sm("task/add", {"title": "x", "user": "nobody"})
        self.assertIn("implode()", fatal)


# --------------------------------------------------------------------------
# deal
# --------------------------------------------------------------------------

class DealTest(SalesmanCase):

    def listing(self, **params):
        return self.sm("deal/list", params)

    def test_active_values(self):
        deals = self.dump("deals")
        closed = sum(1 for d in deals if d["close"] == "yes")
        self.assertEqual(self.listing()["params"]["count"], closed)
        self.assertEqual(self.listing(active="no")["count"], closed)
        self.assertEqual(self.listing(active=True)["count"], closed)
        self.assertEqual(self.listing(active="yes")["count"],
                         len(deals) - closed)
        self.assertEqual(self.listing(active="all")["count"], 200)
        self.assertEqual(self.listing(active=False)["count"], 200)
        # offsets 0 and 1 both read "page": 1; count is the page's rows
        page = self.listing(active="all", offset=1)
        self.assertEqual(page["params"], {"page": 1, "pageall": 1,
                                          "ord": "datum", "tuda": "DESC",
                                          "count": 0})
        self.assertEqual(page["data"], [])

    def test_list_row_and_filters(self):
        row = self.listing(active="all")["data"][0]
        self.assertEqual(list(row)[:7], ["did", "uid", "datum", "datum_izm",
                                         "clid", "clientTitle", "title"])
        self.assertIsInstance(row["step"], int)
        self.assertIn("stepID", row)
        steps = self.listing(active="all", steps="20,100")["data"]
        self.assertTrue(steps and all(d["step"] in (20, 100) for d in steps))
        mine = self.listing(active="all", user="olga.smirnova@example.com")
        self.assertTrue(all(d["iduser"] == 3 for d in mine["data"]))
        fatal = self.listing(active="all", filter={"status_close": "x"})
        self.assertIn("Unknown column 'deal.status_close'", fatal)

    def test_info_quirks(self):
        info = self.sm("deal/info", {"did": 1})["data"]
        deal = next(d for d in self.dump("deals") if d["did"] == 1)
        self.assertEqual((info["datum"], info["clid"], info["datum_close"]),
                         (None, None, None))
        self.assertEqual(info["step"], deal["idcategory"])
        self.assertEqual(info["stepTitle"], int(salesman_data.STEP_BY_ID[
            deal["idcategory"]][1]))
        self.assertNotIn("payer", info)
        full = self.sm("deal/info", {"did": 1, "payer": True,
                                     "client": True})["data"]
        self.assertEqual(full["client"]["clid"], 1)
        self.assertIn("bankinfo", full["payer"])
        self.assertIn("Fatal error", self.sm("deal/info", {}))
        self.assertEqual(self.sm("deal/info", {"did": 10 ** 6})["error"][
            "code"], 403)

    def test_add_update_change_step(self):
        answer = self.sm("deal/add", {"title": "Новая", "clid": 2,
                                      "kol": "1 000,50", "step": "20"})
        did = answer["data"]
        deal = next(d for d in self.dump("deals") if d["did"] == did)
        self.assertEqual((deal["title"], deal["kol"], deal["idcategory"],
                          deal["datum"]),
                         ("СД%d: Новая" % did, 1000.5, 2, TODAY))
        added = [r for r in self.dump("history") if r["clid"] == 2
                 and r["des"] == "Добавлена сделка"
                 and r["datum"].startswith(TODAY)]
        self.assertEqual(added[0]["tip"], "СобытиеCRM")
        # sum alone is not a change; the step is never updated here
        self.assertEqual(self.sm("deal/update", {"did": did, "kol": 5,
                                                 "step": "80"}),
                         {"result": "Данные корректны, но идентичны "
                                    "имеющимся.", "data": did,
                          "error": {"code": 302}})
        self.assertEqual(self.sm("deal/update", {"did": did, "title": "B",
                                                 "kol": 2000}),
                         {"result": "Готово", "data": did})
        deal = next(d for d in self.dump("deals") if d["did"] == did)
        self.assertEqual((deal["title"], deal["kol"], deal["idcategory"]),
                         ("B", 2000.0, 2))
        log = [r for r in self.dump("history") if r["did"] == did]
        self.assertEqual(log[-1]["tip"], "ЛогCRM")
        self.assertIn("Оборот - <b>2 000,00</b> (было - 1 000,50)",
                      log[-1]["des"])
        # change.step by name, history row, same step is a 302
        moved = self.sm("deal/change.step", {"did": did, "step": "60"})
        self.assertEqual(moved, {"result": "Этап сделки изменен на 60%. "
                                           "Предыдущий этап 20%.",
                                 "data": did})
        same = self.sm("deal/change.step", {"did": did, "step": "60"})
        self.assertEqual(same["error"], {"code": 302, "text": "Данные "
                                         "корректны, но идентичны "
                                         "имеющимся"})
        row = [r for r in self.dump("history") if r["did"] == did][-1]
        self.assertEqual((row["tip"], row["clid"]), ("СобытиеCRM", 0))
        self.assertTrue(row["des"].endswith("Причина не указана"))
        gone = self.sm("deal/change.step", {"did": did, "step": "33"})
        self.assertEqual(gone["result"], "Этап сделки изменен на %. "
                                         "Предыдущий этап 60%.")

    def test_close_and_delete(self):
        did = next(d["did"] for d in self.dump("deals")
                   if d["close"] == "no")
        closed = self.sm("deal/close", {"did": did, "sid": 1})
        self.assertEqual(closed, {"result": "Ok",
                                  "data": "Сделка закрыта со статусом "
                                          "Победа"})
        self.assertEqual(self.sm("deal/close", {"did": did})["error"][
            "code"], 407)
        self.assertEqual(self.sm("deal/delete", {"did": did}), {
            "result": "Сделка удалена", "data": did})
        self.assertFalse([r for r in self.dump("history")
                          if r["did"] == did])

    def test_dictionaries(self):
        steps = self.sm("deal/steplist")["data"]
        self.assertEqual([s["title"] for s in steps],
                         ["0", "20", "40", "60", "80", "90", "100"])
        self.assertEqual(self.sm("deal/direction")["data"][0]["title"],
                         "Основное")
        types = self.sm("deal/type")["data"]
        self.assertEqual([t.get("isDefault") for t in types],
                         ["yes", None, None])
        wins = self.sm("deal/statusclose", {"filter": "win"})["data"]
        self.assertEqual({s["result"] for s in wins}, {"win"})
        funnel = self.sm("deal/funnel", {"direction": 2, "tip": 2})["data"]
        self.assertEqual(funnel["funnel"], "Сервисная")
        self.assertEqual(list(funnel["stepsName"].values()),
                         ["0", "40", "80", "100"])
        self.assertIn("stepsName", self.sm("deal/funnel")["data"])
        self.assertIn("current", self.sm("deal/funnel", {"did": 1})["data"])


# --------------------------------------------------------------------------
# client, person, user
# --------------------------------------------------------------------------

class ClientTest(SalesmanCase):

    def test_list_needs_order(self):
        status, resp, data = self.c.sm_raw("client/list", {})
        self.assertEqual(status, 200)
        self.assertEqual(resp.getheader("Content-Type"), JSON_TYPE)
        text = data.decode("utf-8")
        self.assertTrue(text.startswith("<br />\n<b>Fatal error</b>:  "
                                        "Uncaught mysqli_sql_exception: "
                                        "Unknown column 'datum' in "
                                        "'ORDER BY'"))
        first = self.sm("client/list", {"order": "date_create"})
        second = self.sm("client/list", {"order": "date_create",
                                         "first": "old"})
        self.assertEqual(first["data"], second["data"])   # always DESC
        self.assertEqual(first["params"]["tuda"], "DESC")
        self.assertEqual(first["count"], 60)

    def test_info(self):
        info = self.sm("client/info", {"clid": 1, "bankinfo": True,
                                       "contacts": True})["data"]
        self.assertEqual(info["title"], "Ромашка, ООО")
        self.assertRegex(info["date_create"], r"^\d\d\.\d\d\.\d\d,  "
                                              r"\d\d:\d\d$")
        self.assertIn("castInn", info["bankinfo"])
        self.assertTrue(all(isinstance(c["pid"], str)
                            for c in info["contacts"]))
        self.assertEqual(self.sm("client/info", {})["error"]["code"], 405)
        self.assertEqual(self.sm("client/info", {"clid": 10 ** 6})[
            "error"]["code"], 403)

    def test_add_update_delete(self):
        added = self.sm("client/add", {"title": 'ООО «Тест» "Q"',
                                       "phone": ["+7 111 222-33-44"]})
        clid = added["data"]
        row = next(c for c in self.dump("clients") if c["clid"] == clid)
        self.assertEqual(row["title"], "Тест Q, ООО")
        event = [r for r in self.dump("history") if r["clid"] == clid]
        self.assertEqual((event[0]["des"], event[0]["tip"]),
                         ("Добавлен клиент", "СобытиеCRM"))
        again = self.sm("client/add", {"title": 'ООО «Тест» "Q"'})
        self.assertEqual((again["exists"], again["error"]["code"]),
                         (clid, 304))
        self.assertEqual(self.sm("client/update", {"clid": clid,
                                                   "title": "Тест Q, ООО"}),
                         {"data": clid, "result": "Данные корректны, но "
                                                  "идентичны имеющимся."})
        changed = self.sm("client/update", {"clid": clid, "phone": "1"})
        self.assertEqual(changed["result"], "Успешно")
        self.assertIn("hid", changed)
        gone = self.sm("client/delete", {"clid": clid})
        self.assertEqual(gone["result"], "Клиент удален")
        self.assertEqual(self.sm("client/delete", {"clid": 1})["error"][
            "code"], 408)
        many = self.sm("client/add.list", {"client": [{"title": "A1"},
                                                      {"title": ""}]})
        self.assertEqual([m["result"] for m in many], ["Успешно", "Error"])

    def test_west_of_utc_client_add_is_stored_but_reported_as_error(self):
        self.set_timezone("America/New_York")
        answer = self.sm("client/add", {"title": "TZ"})
        self.assertEqual(answer["result"], "Error")
        self.assertTrue(any(c["clid"] == answer["data"]
                            for c in self.dump("clients")))
        self.assertIn("Fatal error", self.sm("deal/add", {"title": "x",
                                                          "clid": 1}))


class PersonUserTest(SalesmanCase):

    def test_person_list_info(self):
        listing = self.sm("person/list", {})
        self.assertEqual(listing["count"], 150)
        self.assertEqual(len(listing["data"]), 150)
        self.assertEqual(list(listing["data"][0])[:5],
                         ["pid", "date_create", "date_edit", "clid",
                          "client"])
        info = self.sm("person/info", {"pid": 2})["data"]
        self.assertEqual(info["person"], "O'Brien Kate")
        self.assertIsInstance(info["iduser"], str)
        empty = self.sm("person/info", {"pid": 10 ** 6})["data"]
        self.assertTrue(all(v in (None, "") for v in empty.values()))
        self.assertEqual(self.sm("person/list", {"word": "zzzz"}),
                         {"count": 0})

    def test_person_writes(self):
        added = self.sm("person/add", {"person": "Петров Пётр", "clid": 1,
                                       "tel": "1", "mail": "p@x"})
        pid = added["data"]
        self.assertEqual(added, {"result": "Контакт добавлен", "data": pid,
                                 "error": ""})
        self.assertEqual(self.sm("person/add", {"clid": 1}),
                         {"result": "", "data": 0, "error": ""})
        # update empties what it is not sent, curator included
        self.sm("person/update", {"pid": pid, "person": "Петров Пётр",
                                  "ptitle": "CEO"})
        row = next(p for p in self.dump("persons") if p["pid"] == pid)
        self.assertEqual((row["tel"], row["mail"], row["iduser"],
                          row["ptitle"]), ("", "", None, "CEO"))
        log = [r for r in self.dump("history") if r["pid"] == str(pid)]
        self.assertEqual(log[-1]["tip"], "ЛогCRM")
        self.assertEqual(self.sm("person/update", {"pid": 10 ** 6})[
            "result"], "Данные контакта обновлены")
        gone = self.sm("person/delete", {"pid": pid})
        self.assertEqual(gone["result"], "Клиент удален")
        self.assertTrue(gone["message"].endswith("файлов.\n\t\t\t"))

    def test_users(self):
        users = self.sm("user/list")["data"]
        self.assertEqual([u["login"] for u in users][:2],
                         [LOGIN, "ivan.petrov@example.com"])
        self.assertEqual(users[4]["active"], "no")
        info = self.sm("user/info", {"user": "ivan.petrov@example.com"})
        self.assertEqual(info["data"]["tip"], "Руководитель отдела")
        self.assertEqual(self.sm("user/info", {"iduser": 99}), {
            "error": {"code": "404", "text": "Пользователь не найден"}})
        self.assertEqual(self.sm("user/add", {"user": "x@example.com"})[
            "error"]["code"], 500)


# --------------------------------------------------------------------------
# Core features on SalesMan paths
# --------------------------------------------------------------------------

class CoreTest(SalesmanCase):

    def test_stateless_faults(self):
        headers = {"Content-Type": "application/json", "apikey": API_KEY,
                   "login": LOGIN}
        status, resp, data = self.c.raw(
            "POST", "/__fault/status/503/developer/v3/history/list", b"{}",
            headers)
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(data), {"result": "Error", "error": {
            "code": 503, "text": "Service Unavailable"}})
        status, _, data = self.c.raw(
            "POST", "/__fault/notjson/developer/v3/history/list", b"{}",
            headers)
        self.assertEqual((status, data[:6]), (200, b"<html>"))
        log = self.c.control("GET", "requests")[1]
        self.assertEqual(log[-1]["path"], "/developer/v3/history/list")

    def test_stateful_fault_after_processing_applies_the_write(self):
        self.c.control("POST", "faults", {
            "path": "^/developer/v3/history/add$", "status": 502,
            "after_processing": True})
        status, _, data = self.c.sm_raw("history/add", {"clid": 1,
                                                        "content": "lost"})
        self.assertEqual(status, 502)
        self.assertEqual(json.loads(data)["error"]["code"], 502)
        self.assertTrue(any(r["des"] == "lost" for r in self.dump("history")))
        self.c.control("POST", "faults", {
            "path": "client/list", "status": 200,
            "body": "<br />\n<b>Fatal error</b>:  boom",
            "content_type": JSON_TYPE})
        self.assertIn("Fatal error", self.sm("client/list",
                                             {"order": "title"}))

    def test_dump_entities(self):
        for entity, count in (("users", 5), ("clients", 60),
                              ("persons", 150), ("deals", 200),
                              ("tasks", 150), ("steps", 7),
                              ("directions", 2), ("deal_types", 3),
                              ("close_statuses", 5), ("funnels", 4)):
            self.assertEqual(len(self.dump(entity)), count, entity)
        self.assertGreater(len(self.dump("history")), 1500)
        self.assertEqual(len(self.dump("tips")), 10)
        status, _ = self.c.control("GET", "dump/salesman/nosuch")
        self.assertEqual(status, 404)

    def test_deterministic_and_scaled(self):
        first = self.dump("history")
        self.emu.reset()
        self.assertEqual(self.dump("history"), first)
        emu = crm_emulator.Emulator(seed=7, quiet=True, env=ENV, scale={
            "salesman.history": 10, "client": 3, "deals": 7})
        provider = next(p for p in emu.providers if p.name == "salesman")
        rows = provider.dump("history")
        self.assertEqual(sum(1 for r in rows if r["clid"] == 1), 205)
        self.assertEqual(len(provider.dump("clients")), 3)
        self.assertEqual(len(provider.dump("deals")), 200)  # Pipedrive's key

        self.assertEqual(len(emu.providers[0].dump("deals")), 7)
        scaled = crm_emulator.Emulator(seed=7, quiet=True, env=ENV, scale={
            "deal": 5, "salesman.user": 7})
        provider = next(p for p in scaled.providers if p.name == "salesman")
        self.assertEqual(len(provider.dump("deals")), 5)
        self.assertEqual(len(provider.dump("users")), 7)
        self.assertEqual(len(scaled.providers[0].dump("deals")), 1200)


# --------------------------------------------------------------------------
# --anchor
# --------------------------------------------------------------------------

class AnchorTest(SalesmanCase):
    """--anchor 2027-03-10: the data and the account's "today" move."""

    anchor = "2027-03-10"

    def setUp(self):
        self.emu.reset()                # the clock is not pinned here

    def test_every_generated_date_moves_by_whole_days(self):
        plain = crm_emulator.Emulator(seed=42, quiet=True, env=ENV)
        days = (datetime.date(2027, 3, 10) - datetime.date(2026, 6, 30)).days
        self.assertEqual(self.account.shift, days * 86400)
        # a date anchor moves every provider by the same days
        self.assertEqual(self.emu.providers[0].shift, self.account.shift)
        before = next(p for p in plain.providers if p.name == "salesman")
        for entity in ("clients", "persons", "deals", "tasks", "history"):
            self.assertEqual(
                emulator_testlib.shifted(before.dump(entity), days),
                self.dump(entity), entity)
        history = self.dump("history")
        self.assertEqual(max(r["datum"] for r in history)[:10], "2027-03-10")
        self.assertIn("0000-00-00 00:00:00", [r["datum"] for r in history])
        health = self.control("GET", "/__emulator/health")
        self.assertEqual(health["shift_days"]["salesman"], days)

    def test_today_is_the_anchor_day(self):
        latest = [r for r in self.dump("history")
                  if r["datum"].startswith("2027-03-10")]
        self.assertTrue(latest)
        today = self.sm("history/list", {})["data"]
        self.assertEqual(sorted(r["cid"] for r in today),
                         sorted(r["cid"] for r in latest))
        cid = self.sm("history/add", {"clid": 1, "content": "now"})["data"]
        self.assertEqual(self.sm("history/info", {"cid": cid})["data"][
            "datum"][:10], "2027-03-10")
        self.assertIn(cid, [r["cid"] for r in
                            self.sm("history/list", {})["data"]])
        # a pinned clock still wins
        self.account.fixed_now = PINNED_UTC
        self.assertTrue(all(r["datum"].startswith(TODAY) for r in
                            self.sm("history/list", {})["data"]))


class AnchorNowTest(SalesmanCase):
    """--anchor now: the latest generated day is the account's today."""

    anchor = "now"

    def setUp(self):
        self.emu.reset()

    def test_latest_day_is_today(self):
        zone = salesman_data.account_zone(salesman_data.DEFAULT_TIMEZONE)
        days = {datetime.datetime.now(zone).strftime("%Y-%m-%d")}
        latest = max(r["datum"] for r in self.dump("history"))[:10]
        today = self.sm("history/list", {})
        days.add(datetime.datetime.now(zone).strftime("%Y-%m-%d"))
        self.assertIn(latest, days)     # (midnight may pass meanwhile)
        self.assertTrue(today and all(r["datum"].startswith(latest)
                                      for r in today["data"]))
        self.assertEqual(self.account.clock_shift, 0)


if __name__ == "__main__":
    unittest.main()
