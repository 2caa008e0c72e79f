"""Self-tests of the emulated amoCRM (Kommo) API v4: auth, dataset, HAL
lists and paging, filters, setup endpoints, validated batch writes and
their events, rate limit, account switches and faults.

    cd test/emulator && /usr/bin/python3 -m unittest -q test_amocrm
"""

import collections
import http.client
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

from emulator_testlib import (AMOCRM_AUTH, AMOCRM_TOKEN, API_TOKEN, ENV,
                              HERE, Client, ServerCase, crm_emulator)
import amocrm_data

HAL = "application/hal+json"
PROBLEM = "application/problem+json"
MAIN, PARTNER, RENEWALS = 7001, 7002, 7003


class AmoCase(ServerCase):
    """An emulator whose client speaks to amoCRM; the rate limit is off
    (``false``) unless a test turns it on."""

    provider = "amocrm"
    auth_headers = AMOCRM_AUTH

    def setUp(self):
        ServerCase.setUp(self)
        self.control("POST", "/__emulator/config",
                     {"amocrm_rate_limit": False})

    def get(self, path):
        status, body, resp = self.c.get(path)
        return status, body, resp

    def ok(self, method, path, body=None):
        status, parsed, resp = self.c.call(method, path, body)
        self.assertEqual(status, 200, (method, path, parsed))
        self.assertEqual(resp.getheader("Content-Type"), HAL)
        return parsed

    def all_items(self, path, key, limit=250):
        """Follow _links.next from page 1 to the end (or a 204)."""
        sep = "&" if "?" in path else "?"
        url = "%s%slimit=%d" % (path, sep, limit)
        items = []
        while True:
            status, body, _ = self.c.get(url)
            if status == 204:
                return items
            self.assertEqual(status, 200, (url, body))
            items.extend(body["_embedded"][key])
            nxt = body["_links"].get("next")
            if not nxt:
                return items
            url = urllib.parse.urlsplit(nxt["href"])
            url = url.path + "?" + url.query

    def ids(self, path, key="leads"):
        return [x["id"] for x in self.all_items(path, key)]

    def assertProblem(self, status, body, expect, resp=None, path=None):
        self.assertEqual(status, expect, body)
        if resp is not None:
            self.assertEqual(resp.getheader("Content-Type"), PROBLEM)
        self.assertEqual(body["status"], expect)
        self.assertEqual(body["type"], "https://httpstatus.es/%d" % expect)
        self.assertIn("title", body)
        self.assertIn("detail", body)
        if path is not None:
            paths = [e["path"] for g in body["validation-errors"]
                     for e in g["errors"]]
            self.assertIn(path, paths)

    def live_leads(self):
        return [x for x in self.dump("leads") if not x["is_deleted"]]


# --------------------------------------------------------------------------

class TestAuth(AmoCase):
    def test_bearer_and_rejections(self):
        self.assertEqual(self.get("/api/v4/account")[0], 200)
        cases = [({}, None),
                 ({"Authorization": "Bearer wrong"}, "bearer"),
                 ({"x-api-token": API_TOKEN}, None),
                 ({"Authorization": "Basic " + AMOCRM_TOKEN}, None),
                 ({"Authorization": "Bearer " + API_TOKEN}, "bearer")]
        for headers, scheme in cases:
            s, r, resp = self.c.get("/api/v4/leads", auth=False,
                                    headers=headers)
            self.assertProblem(s, r, 401, resp)
            self.assertEqual(r["title"], "Unauthorized")
        log = self.log()
        self.assertEqual([e["auth"] for e in log],
                         ["bearer"] + [s for _, s in cases])
        self.assertNotIn(AMOCRM_TOKEN, json.dumps(log))

    def test_unknown_path_and_method(self):
        s, r, resp = self.get("/api/v4/nothing")
        self.assertProblem(s, r, 404, resp)
        for method, path in (("DELETE", "/api/v4/leads/1000001"),
                             ("DELETE", "/api/v4/contacts/2000001"),
                             ("DELETE", "/api/v4/companies/3000001"),
                             ("PUT", "/api/v4/leads"),
                             ("POST", "/api/v4/events")):
            s, r, resp = self.c.call(method, path)
            self.assertProblem(s, r, 405, resp)
            self.assertTrue(resp.getheader("Allow"))
        self.assertEqual(len(self.dump("leads")), 600)


class TestDataset(AmoCase):
    def test_counts_and_id_ranges(self):
        expect = {"leads": (600, 1000001), "contacts": (250, 2000001),
                  "companies": (80, 3000001), "tasks": (400, 4000001),
                  "notes": (500, 5000001), "users": (8, 1001),
                  "loss_reasons": (4, 8001)}
        for entity, (n, first) in expect.items():
            rows = self.dump(entity)
            self.assertEqual([r["id"] for r in rows],
                             list(range(first, first + n)), entity)
        pipelines = self.dump("pipelines")
        self.assertEqual([p["id"] for p in pipelines], [MAIN, PARTNER,
                                                        RENEWALS])
        self.assertEqual([p["is_main"] for p in pipelines],
                         [True, False, False])
        for p in pipelines:
            ids = [s["id"] for s in p["_embedded"]["statuses"]]
            self.assertEqual(ids[-2:], [142, 143])
            self.assertTrue(all(s["pipeline_id"] == p["id"]
                                for s in p["_embedded"]["statuses"]))
        self.assertEqual(self.dump("groups"), [
            {"id": 0, "name": "Отдел продаж"},
            {"id": 101, "name": "Vertrieb Berlin"},
            {"id": 102, "name": "Поддержка"}])

    def test_leads_are_consistent(self):
        leads = self.dump("leads")
        users = {u["id"]: u for u in self.dump("users")}
        statuses = {(s["id"], s["pipeline_id"])
                    for s in self.dump("statuses")}
        contacts = {c["id"] for c in self.dump("contacts")}
        companies = {c["id"] for c in self.dump("companies")}
        tasks = self.dump("tasks")
        per_pipeline = collections.Counter(x["pipeline_id"] for x in leads
                                           if not x["is_deleted"])
        self.assertGreaterEqual(per_pipeline[MAIN], 120)
        self.assertLessEqual(per_pipeline[RENEWALS], 12)
        self.assertGreater(per_pipeline[RENEWALS], 0)
        for x in leads:
            self.assertIn((x["status_id"], x["pipeline_id"]), statuses)
            self.assertEqual(x["group_id"],
                             users[x["responsible_user_id"]]["rights"]
                             ["group_id"])
            self.assertEqual(x["closed_at"] is not None,
                             x["status_id"] in (142, 143), x["id"])
            self.assertLessEqual(x["created_at"], x["updated_at"])
            self.assertTrue(amocrm_data.BASE_TIME <= x["created_at"] and
                            x["updated_at"] <= amocrm_data.END_TIME)
            if x["loss_reason_id"] is not None:
                self.assertEqual(x["status_id"], 143)
            emb = x["_embedded"]
            self.assertTrue(all(c["id"] in contacts
                                for c in emb["contacts"]))
            if emb["contacts"]:
                self.assertEqual(sum(c["is_main"] for c in emb["contacts"]),
                                 1)
            self.assertTrue(all(c["id"] in companies
                                for c in emb["companies"]))
            open_tasks = [t["complete_till"] for t in tasks
                          if t["entity_type"] == "leads" and
                          t["entity_id"] == x["id"] and
                          not t["is_completed"]]
            self.assertEqual(x["closest_task_at"],
                             min(open_tasks) if open_tasks else None)
        names = [x["name"] for x in leads]
        self.assertIn('Сделка с "кавычками" и \\ слешем', names)
        self.assertIn("Großauftrag Müller GmbH", names)
        self.assertTrue(any(x["loss_reason_id"] for x in leads))
        self.assertTrue(any(x["is_deleted"] for x in leads))
        with_cf = [x for x in leads if x["custom_fields_values"]]
        self.assertGreater(len(with_cf), len(leads) // 2)
        types = {f["field_type"] for x in leads
                 for f in x["custom_fields_values"] or ()}
        self.assertEqual(types, {"select", "numeric", "checkbox", "date",
                                 "multiselect", "textarea", "url", "text"})
        ctypes = {f["field_type"] for x in self.dump("contacts")
                  for f in x["custom_fields_values"] or ()}
        self.assertIn("multitext", ctypes)
        cnames = [c["name"] for c in self.dump("companies")]
        self.assertIn('Quote "Q" & Backslash \\ Ltd', cnames)
        self.assertIn("ООО «Ромашка»", cnames)

    def test_notes_tasks_events(self):
        notes = self.dump("notes")
        by = collections.defaultdict(set)
        for n in notes:
            by[n["entity_type"]].add(n["note_type"])
        for entity in ("leads", "contacts", "companies"):
            self.assertGreaterEqual(len(by[entity]), 3, entity)
        tasks = self.dump("tasks")
        for entity in ("leads", "contacts"):
            done = {t["is_completed"] for t in tasks
                    if t["entity_type"] == entity}
            self.assertEqual(done, {True, False}, entity)
        self.assertTrue(any(t["result"] == [] for t in tasks))
        self.assertTrue(any(isinstance(t["result"], dict) for t in tasks))
        events = self.dump("events")
        kinds = {e["type"] for e in events}
        for kind in ("lead_added", "lead_status_changed", "task_added",
                     "task_completed", "common_note_added", "contact_added",
                     "company_added", "custom_field_value_changed",
                     "entity_responsible_changed", "incoming_call"):
            self.assertIn(kind, kinds)
        # the last status change of a lead says where the lead is
        last = {}
        for e in events:                # oldest first in the dump
            if e["type"] == "lead_status_changed":
                last[e["entity_id"]] = e["value_after"][0]["lead_status"]
        leads = {x["id"]: x for x in self.dump("leads")}
        self.assertGreater(len(last), 300)
        for lead_id, status in last.items():
            x = leads[lead_id]
            self.assertEqual(status, {"id": x["status_id"],
                                      "pipeline_id": x["pipeline_id"]})
        times = [e["created_at"] for e in events]
        self.assertEqual(times, sorted(times))
        self.assertEqual(len({e["id"] for e in events}), len(events))
        note_ids = {n["id"] for n in notes}
        for e in events:
            if e["type"] == "common_note_added":
                self.assertIn(e["value_after"][0]["note"]["id"], note_ids)

    def test_deterministic(self):
        other = crm_emulator.Emulator(seed=42, quiet=True, env=ENV)
        mine = self.emu.providers[1]
        theirs = other.providers[1]
        for entity in ("leads", "contacts", "events", "notes", "tasks"):
            self.assertEqual(mine.dump(entity), theirs.dump(entity), entity)
        changed = crm_emulator.Emulator(seed=7, quiet=True, env=ENV)
        self.assertNotEqual(changed.providers[1].dump("leads"),
                            mine.dump("leads"))

    def test_scale_keys(self):
        emu = crm_emulator.Emulator(seed=1, quiet=True, env=ENV, scale={
            "amocrm.leads": 50, "amocrm.pipelines": 5, "contacts": 10})
        amo = emu.providers[1]
        self.assertEqual(len(amo.dump("leads")), 50)
        self.assertEqual(len(amo.dump("contacts")), 10)
        self.assertEqual(len(amo.dump("pipelines")), 5)
        self.assertEqual(len(emu.providers[0].dump("deals")), 1200)
        with self.assertRaises(ValueError):
            crm_emulator.Emulator(quiet=True, env=ENV,
                                  scale={"amocrm.unicorns": 1})
        empty = crm_emulator.Emulator(quiet=True, env=ENV, scale={
            "amocrm.leads": 0, "amocrm.contacts": 0, "amocrm.companies": 0,
            "amocrm.tasks": 0, "amocrm.notes": 0})
        self.assertEqual(empty.providers[1].dump("leads"), [])


class TestLists(AmoCase):
    def test_hal_envelope_and_paging(self):
        s, body, resp = self.get("/api/v4/leads?limit=2&page=2")
        self.assertEqual(s, 200)
        self.assertEqual(resp.getheader("Content-Type"), HAL)
        self.assertEqual(body["_page"], 2)
        base = "http://127.0.0.1:%d" % self.port
        links = body["_links"]
        self.assertEqual(links["self"]["href"],
                         base + "/api/v4/leads?limit=2&page=2")
        self.assertEqual(links["next"]["href"],
                         base + "/api/v4/leads?limit=2&page=3")
        self.assertEqual(links["prev"]["href"],
                         base + "/api/v4/leads?limit=2&page=1")
        self.assertIn("first", links)
        lead = body["_embedded"]["leads"][0]
        self.assertEqual(lead["_links"]["self"]["href"],
                         base + "/api/v4/leads/%d" % lead["id"])
        # the Host header decides the links
        s, body, _ = self.c.get("/api/v4/leads?limit=1",
                                headers={"Host": "acme.amocrm.ru"})
        self.assertEqual(body["_links"]["self"]["href"],
                         "http://acme.amocrm.ru/api/v4/leads?limit=1&page=1")
        s, body, _ = self.get("/__fault/delay/1/api/v4/leads?limit=1")
        self.assertEqual(body["_links"]["next"]["href"],
                         base + "/__fault/delay/1/api/v4/leads?limit=1&page=2")
        # filters stay in the links
        s, body, _ = self.get("/api/v4/leads?filter[pipeline_id]=7003")
        self.assertEqual(body["_links"]["self"]["href"],
                         base + "/api/v4/leads?filter[pipeline_id]=7003"
                                "&limit=50&page=1")
        self.assertNotIn("next", body["_links"])
        live = [x["id"] for x in self.live_leads()]
        self.assertEqual(self.ids("/api/v4/leads", "leads"), live)
        got = self.all_items("/api/v4/leads", "leads", limit=97)
        self.assertEqual([x["id"] for x in got], live)
        full = self.ok("GET", "/api/v4/leads?limit=1000")
        self.assertEqual(len(full["_embedded"]["leads"]), 250)
        self.assertEqual(len(self.ok("GET", "/api/v4/leads")
                             ["_embedded"]["leads"]), 50)

    def test_empty_and_unknown_are_204(self):
        for path in ("/api/v4/leads?page=99", "/api/v4/leads/1",
                     "/api/v4/leads/999999999", "/api/v4/contacts/1000001",
                     "/api/v4/companies/42", "/api/v4/tasks/1",
                     "/api/v4/users/1", "/api/v4/leads/pipelines/1",
                     "/api/v4/leads/pipelines/7001/statuses/7",
                     "/api/v4/leads/custom_fields/900201",
                     "/api/v4/leads/notes/5000003",
                     "/api/v4/leads/1000002/notes/5000001",
                     "/api/v4/events/01aaaaaaaaaaaaaaaaaaaaaaaa",
                     "/api/v4/leads?filter[id]=1",
                     "/api/v4/leads/loss_reasons/1", "/api/v4/roles/9"):
            status, resp, data = self.c.raw("GET", path)
            self.assertEqual((status, data), (204, b""), path)
            self.assertIsNone(resp.getheader("Content-Type"), path)
            self.assertIsNone(resp.getheader("Content-Length"), path)
        deleted = next(x for x in self.dump("leads") if x["is_deleted"])
        self.assertEqual(self.get("/api/v4/leads/%d" % deleted["id"])[0],
                         204)
        self.assertEqual(self.log()[0]["status"], 204)

    def test_bad_paging_and_order(self):
        for query, path in (("limit=0", "limit"), ("limit=x", "limit"),
                            ("page=0", "page"), ("page=-1", "page"),
                            ("order[price]=asc", "order"),
                            ("order[id]=up", "order.id")):
            s, r, resp = self.get("/api/v4/leads?" + query)
            self.assertProblem(s, r, 400, resp, path)

    def test_order(self):
        leads = self.live_leads()
        got = self.all_items("/api/v4/leads?order[updated_at]=desc", "leads")
        keys = [(x["updated_at"], x["id"]) for x in got]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertEqual(len(got), len(leads))
        got = self.ids("/api/v4/leads?order[id]=desc")
        self.assertEqual(got, sorted(got, reverse=True))
        got = self.all_items("/api/v4/tasks?order[complete_till]=asc",
                             "tasks")
        self.assertEqual([t["complete_till"] for t in got],
                         sorted(t["complete_till"] for t in got))
        events = self.all_items("/api/v4/events", "events", limit=100)
        times = [e["created_at"] for e in events]
        self.assertEqual(times, sorted(times, reverse=True))
        events = self.all_items("/api/v4/events?order[created_at]=asc",
                                "events", limit=100)
        self.assertEqual([e["created_at"] for e in events],
                         sorted(times))

    def test_with_options(self):
        lead = self.ok("GET", "/api/v4/leads/1000001")
        self.assertNotIn("contacts", lead["_embedded"])
        self.assertEqual(lead["_embedded"]["companies"][0]["id"], 3000002)
        self.assertEqual([t["name"] for t in lead["_embedded"]["tags"]],
                         ["VIP", 'tag "quoted" \\ slash'])
        lead = self.ok("GET", "/api/v4/leads/1000001?with=contacts")
        self.assertEqual([(c["id"], c["is_main"])
                          for c in lead["_embedded"]["contacts"]],
                         [(2000001, True), (2000002, False)])
        lost = self.ok("GET", "/api/v4/leads/1000003?with=loss_reason,"
                              "is_price_modified_by_robot")
        self.assertEqual(lost["loss_reason_id"], 8004)
        self.assertEqual(lost["_embedded"]["loss_reason"][0]["name"],
                         'Kein Budget \\ "zu teuer"')
        self.assertIs(lost["is_price_modified_by_robot"], False)
        deleted = self.all_items("/api/v4/leads?with=only_deleted", "leads")
        self.assertEqual([x["id"] for x in deleted],
                         [x["id"] for x in self.dump("leads")
                          if x["is_deleted"]])
        self.assertEqual(set(deleted[0]), {"id", "updated_by", "updated_at",
                                           "is_deleted", "_links"})
        contact = self.ok("GET", "/api/v4/contacts/2000001?with=leads")
        self.assertEqual([x["id"] for x in contact["_embedded"]["leads"]],
                         [x["id"] for x in self.live_leads()
                          if any(c["id"] == 2000001 for c in
                                 x["_embedded"]["contacts"])])
        company = self.ok("GET", "/api/v4/companies/3000002?with=contacts,"
                                 "leads")
        self.assertIn(1000001, [x["id"] for x in
                                company["_embedded"]["leads"]])
        self.assertEqual(
            [x["id"] for x in company["_embedded"]["contacts"]],
            [c["id"] for c in self.dump("contacts")
             if c["_embedded"]["companies"] and
             c["_embedded"]["companies"][0]["id"] == 3000002])
        # a row from the API equals its dump (same renderer)
        dumped = next(x for x in self.dump("leads") if x["id"] == 1000001)
        api = self.ok("GET", "/api/v4/leads/1000001?with=contacts,"
                             "loss_reason,catalog_elements,"
                             "is_price_modified_by_robot")
        self.assertEqual(api, dumped)


class TestFilters(AmoCase):
    def test_lead_filters(self):
        leads = self.live_leads()

        def ids(query):
            return self.ids("/api/v4/leads?" + query)

        def want(pred):
            return [x["id"] for x in leads if pred(x)]
        self.assertEqual(ids("filter[id]=1000005"), [1000005])
        self.assertEqual(ids("filter[id][]=1000005&filter[id][]=1000002"),
                         [1000002, 1000005])
        self.assertEqual(ids("filter[id][0]=1000007&filter[id][1]=1000003"),
                         [1000003, 1000007])
        self.assertEqual(ids("filter[name]=" + urllib.parse.quote(
            "Großauftrag Müller GmbH")), [1000002])
        self.assertEqual(ids("filter[price][from]=1000&filter[price][to]="
                             "50000"),
                         want(lambda x: 1000 <= x["price"] <= 50000))
        t = leads[40]["updated_at"]
        self.assertEqual(ids("filter[updated_at][from]=%d" % t),
                         want(lambda x: x["updated_at"] >= t))
        self.assertEqual(ids("filter[updated_at][to]=%d" % t),
                         want(lambda x: x["updated_at"] <= t))
        c = leads[10]["created_at"]
        self.assertEqual(
            ids("filter[created_at][from]=%d&filter[created_at][to]=%d"
                % (c - 86400 * 30, c)),
            want(lambda x: c - 86400 * 30 <= x["created_at"] <= c))
        self.assertEqual(ids("filter[closed_at][from]=1"),
                         want(lambda x: x["closed_at"] is not None))
        self.assertEqual(ids("filter[closest_task_at][from]=1"),
                         want(lambda x: x["closest_task_at"] is not None))
        self.assertEqual(ids("filter[pipeline_id]=7003"),
                         want(lambda x: x["pipeline_id"] == RENEWALS))
        self.assertEqual(ids("filter[pipeline_id][]=7003&"
                             "filter[pipeline_id][]=7002"),
                         want(lambda x: x["pipeline_id"] != MAIN))
        self.assertEqual(
            ids("filter[statuses][0][pipeline_id]=7002&"
                "filter[statuses][0][status_id]=142&"
                "filter[statuses][1][pipeline_id]=7001&"
                "filter[statuses][1][status_id]=700103"),
            want(lambda x: (x["pipeline_id"], x["status_id"]) in
                 ((PARTNER, 142), (MAIN, 700103))))
        self.assertEqual(ids("filter[responsible_user_id][]=1002&"
                             "filter[responsible_user_id][]=1003&"
                             "filter[created_by]=1004"),
                         want(lambda x: x["responsible_user_id"] in
                              (1002, 1003) and x["created_by"] == 1004))
        self.assertEqual(ids("filter[updated_by]=0"),
                         want(lambda x: x["updated_by"] == 0))
        self.assertEqual(
            ids("filter[custom_fields_values][900101][]=910101"),
            want(lambda x: any(v.get("enum_id") == 910101
                               for f in x["custom_fields_values"] or ()
                               for v in f["values"])))
        self.assertEqual(ids("query=" + urllib.parse.quote("кавычками")),
                         [1000001])

        def budget(x):
            return next((float(v["value"])
                         for f in x["custom_fields_values"] or ()
                         if f["field_id"] == 900102 for v in f["values"]),
                        None)
        self.assertEqual(
            ids("filter[custom_fields_values][900102][from]=2000&"
                "filter[custom_fields_values][900102][to]=12500"),
            want(lambda x: budget(x) is not None and
                 2000 <= budget(x) <= 12500))
        for bad, path in (("filter[id]=x", "filter.id"),
                          ("filter[price][from]=cheap", "filter.price.from"),
                          ("filter[statuses][0][pipeline_id]=7001",
                           "filter.statuses.0.status_id"),
                          ("filter[statuses][0][status_id]=142",
                           "filter.statuses.0.pipeline_id"),
                          ("filter[custom_fields_values][1]=2",
                           "filter.custom_fields_values.1"),
                          ("filter[created_at][from]=yesterday",
                           "filter.created_at.from")):
            s, r, resp = self.get("/api/v4/leads?" + bad)
            self.assertProblem(s, r, 400, resp, path)

    def test_filters_switched_off(self):
        self.control("POST", "/__emulator/config",
                     {"amocrm_api_filters": False})
        live = [x["id"] for x in self.live_leads()]
        self.assertEqual(self.ids("/api/v4/leads?filter[pipeline_id]=7003&"
                                  "filter[id]=x"), live)
        self.assertEqual(len(self.ids("/api/v4/contacts?filter[id]=2000001",
                                      "contacts")), 250)
        account = self.ok("GET", "/api/v4/account?with=is_api_filter_enabled")
        self.assertIs(account["is_api_filter_enabled"], False)
        # tasks, notes and events filters are not part of that feature
        self.assertEqual(self.ids("/api/v4/tasks?filter[id]=4000002",
                                  "tasks"), [4000002])
        self.control("POST", "/__emulator/config",
                     {"amocrm_api_filters": None})
        account = self.ok("GET", "/api/v4/account?with=is_api_filter_enabled")
        self.assertIs(account["is_api_filter_enabled"], True)
        self.assertNotIn("is_api_filter_enabled",
                         self.ok("GET", "/api/v4/account"))

    def test_contact_and_company_filters(self):
        contacts = self.dump("contacts")
        got = self.ids("/api/v4/contacts?filter[responsible_user_id]=1003",
                       "contacts")
        self.assertEqual(got, [c["id"] for c in contacts
                               if c["responsible_user_id"] == 1003])
        got = self.ids("/api/v4/contacts?filter[name]=" +
                       urllib.parse.quote("Зоя Петрова"), "contacts")
        self.assertEqual(got, [c["id"] for c in contacts
                               if c["name"] == "Зоя Петрова"])
        self.assertEqual(got[0], 2000002)
        got = self.ids("/api/v4/contacts?query=zo%C3%AB", "contacts")
        self.assertIn(2000001, got)
        companies = self.dump("companies")
        t = companies[5]["updated_at"]
        got = self.ids("/api/v4/companies?filter[updated_at][from]=%d" % t,
                       "companies")
        self.assertEqual(got, [c["id"] for c in companies
                               if c["updated_at"] >= t])

    def test_task_filters(self):
        tasks = self.dump("tasks")

        def ids(query):
            return self.ids("/api/v4/tasks?" + query, "tasks")

        def want(pred):
            return [t["id"] for t in tasks if pred(t)]
        self.assertEqual(ids("filter[is_completed]=1"),
                         want(lambda t: t["is_completed"]))
        self.assertEqual(ids("filter[is_completed][]=0"),
                         want(lambda t: not t["is_completed"]))
        self.assertEqual(ids("filter[task_type][]=2&"
                             "filter[is_completed][]=1"),
                         want(lambda t: t["task_type_id"] == 2 and
                              t["is_completed"]))
        self.assertEqual(ids("filter[responsible_user_id][]=1004"),
                         want(lambda t: t["responsible_user_id"] == 1004))
        self.assertEqual(ids("filter[entity_type]=contacts&"
                             "filter[entity_id][]=2000001"),
                         want(lambda t: t["entity_type"] == "contacts" and
                              t["entity_id"] == 2000001))
        self.assertEqual(ids("filter[entity_type]=companies"),
                         want(lambda t: t["entity_type"] == "companies"))
        t0 = tasks[20]["updated_at"]
        self.assertEqual(ids("filter[updated_at]=%d" % t0),
                         want(lambda t: t["updated_at"] >= t0))
        self.assertEqual(ids("filter[updated_at][to]=%d" % t0),
                         want(lambda t: t["updated_at"] <= t0))
        self.assertEqual(ids("filter[id][]=4000003&filter[id][]=4000001"),
                         [4000001, 4000003])
        for bad, path in (("filter[entity_id]=1000001", "filter.entity_type"),
                          ("filter[entity_type]=deals", "filter.entity_type"),
                          ("filter[is_completed]=maybe",
                           "filter.is_completed")):
            s, r, resp = self.get("/api/v4/tasks?" + bad)
            self.assertProblem(s, r, 400, resp, path)

    def test_note_filters(self):
        notes = self.dump("notes")
        got = self.ids("/api/v4/leads/notes", "notes")
        self.assertEqual(got, [n["id"] for n in notes
                               if n["entity_type"] == "leads"])
        got = self.ids("/api/v4/contacts/notes?filter[note_type][]=common&"
                       "filter[note_type][]=call_out", "notes")
        self.assertEqual(got, [n["id"] for n in notes
                               if n["entity_type"] == "contacts" and
                               n["note_type"] in ("common", "call_out")])
        got = self.ids("/api/v4/leads/notes?filter[entity_id][]=1000001",
                       "notes")
        self.assertEqual(got, self.ids("/api/v4/leads/1000001/notes",
                                       "notes"))
        self.assertEqual(got[:2], [5000001, 5000002])
        t = notes[50]["updated_at"]
        got = self.ids("/api/v4/companies/notes?filter[updated_at][from]=%d"
                       % t, "notes")
        self.assertEqual(got, [n["id"] for n in notes
                               if n["entity_type"] == "companies" and
                               n["updated_at"] >= t])
        note = self.ok("GET", "/api/v4/leads/notes/5000001")
        self.assertEqual(note["params"]["text"],
                         'Kunde sagt "ok" \\ см. C:\\temp')
        self.assertEqual(note, self.ok("GET",
                                       "/api/v4/leads/1000001/notes/5000001"))
        s, r, resp = self.get("/api/v4/leads/notes?filter[note_type]=memo")
        self.assertProblem(s, r, 400, resp, "filter.note_type")

    def test_event_filters(self):
        events = sorted(self.dump("events"),
                        key=lambda e: (e["created_at"], e["id"]),
                        reverse=True)

        def ids(query):
            return [e["id"] for e in self.all_items(
                "/api/v4/events?" + query, "events", limit=100)]

        def want(pred):
            return [e["id"] for e in events if pred(e)]
        self.assertEqual(ids("filter[type]=lead_status_changed"),
                         want(lambda e: e["type"] == "lead_status_changed"))
        self.assertEqual(ids("filter[type]=task_added,task_completed"),
                         want(lambda e: e["type"] in ("task_added",
                                                      "task_completed")))
        self.assertEqual(ids("filter[type][]=contact_added&"
                             "filter[type][]=company_added"),
                         want(lambda e: e["type"] in ("contact_added",
                                                      "company_added")))
        self.assertEqual(ids("filter[entity][]=lead&filter[entity_id][]="
                             "1000001"),
                         want(lambda e: e["entity_type"] == "lead" and
                              e["entity_id"] == 1000001))
        self.assertEqual(ids("filter[entity]=contact&"
                             "filter[created_by][]=1002"),
                         want(lambda e: e["entity_type"] == "contact" and
                              e["created_by"] == 1002))
        c = events[100]["created_at"]
        self.assertEqual(ids("filter[created_at][from]=%d" % c),
                         want(lambda e: e["created_at"] >= c))
        self.assertEqual(ids("filter[created_at]=%d" % c),
                         want(lambda e: e["created_at"] >= c))
        self.assertEqual(ids("filter[id]=" + events[3]["id"]),
                         [events[3]["id"]])
        self.assertEqual(
            ids("filter[value_after][leads_statuses][0][pipeline_id]=7001&"
                "filter[value_after][leads_statuses][0][status_id]=142"),
            want(lambda e: e["type"] == "lead_status_changed" and
                 e["value_after"][0]["lead_status"] ==
                 {"id": 142, "pipeline_id": 7001}))
        self.assertEqual(
            ids("filter[value_before][responsible_user_id]=1001,1002"),
            want(lambda e: e["type"] == "entity_responsible_changed" and
                 e["value_before"][0]["responsible_user"]["id"] in
                 (1001, 1002)))
        self.assertEqual(
            ids("filter[type]=custom_field_900101_value_changed&"
                "filter[value_after][custom_field_values]=910101,910102"),
            want(lambda e: e["type"] == "custom_field_value_changed" and
                 e["value_after"][0]["custom_field_value"]["enum_id"] in
                 (910101, 910102)))
        sale = next(e for e in events if e["type"] == "sale_field_changed")
        price = sale["value_after"][0]["sale_field_value"]["sale"]
        self.assertEqual(
            ids("filter[type]=sale_field_changed&filter[value_after][value]="
                "%d" % price),
            want(lambda e: e["type"] == "sale_field_changed" and
                 e["value_after"][0]["sale_field_value"]["sale"] == price))
        page = self.ok("GET", "/api/v4/events?limit=250")
        self.assertEqual(len(page["_embedded"]["events"]), 100)
        self.assertIn("limit=100&page=1", page["_links"]["self"]["href"])
        named = self.ok("GET", "/api/v4/events?with=lead_name&filter[entity]="
                               "lead&filter[entity_id]=1000002&limit=1")
        self.assertEqual(named["_embedded"]["events"][0]["_embedded"]
                         ["entity"]["name"], "Großauftrag Müller GmbH")
        one = self.ok("GET", "/api/v4/events/" + events[0]["id"])
        self.assertEqual(one["id"], events[0]["id"])
        for bad, path in (("filter[entity_id]=1", "filter.entity"),
                          ("filter[entity]=lead,contact&filter[entity_id]=1",
                           "filter.entity"),
                          ("filter[type]=nonsense", "filter.type"),
                          ("filter[entity]=planet", "filter.entity"),
                          ("filter[value_after][leads_statuses][0]"
                           "[status_id]=142",
                           "filter.value_after.leads_statuses.0.pipeline_id")):
            s, r, resp = self.get("/api/v4/events?" + bad)
            self.assertProblem(s, r, 400, resp, path)


class TestSetupEndpoints(AmoCase):
    def test_pipelines_and_statuses(self):
        body = self.ok("GET", "/api/v4/leads/pipelines")
        self.assertEqual(body["_total_items"], 3)
        main = body["_embedded"]["pipelines"][0]
        self.assertEqual((main["id"], main["name"], main["is_main"],
                          main["sort"]), (MAIN, "Воронка", True, 1))
        self.assertEqual(main["_embedded"]["statuses"][0]["type"], 1)
        self.assertEqual(self.ok("GET", "/api/v4/leads/pipelines/7002"),
                         body["_embedded"]["pipelines"][1])
        statuses = self.ok("GET", "/api/v4/leads/pipelines/7002/statuses")
        self.assertEqual([s["name"] for s in
                          statuses["_embedded"]["statuses"]],
                         ["Neu", "Qualifiziert", 'Angebot "Final"',
                          "Gewonnen", "Verloren"])
        won = self.ok("GET", "/api/v4/leads/pipelines/7003/statuses/142"
                             "?with=descriptions")
        self.assertEqual(
            (won["id"], won["pipeline_id"], won["descriptions"]),
            (142, RENEWALS, []))
        reasons = self.ok("GET", "/api/v4/leads/loss_reasons")
        self.assertEqual([r["id"] for r in reasons["_embedded"]
                          ["loss_reasons"]], [8001, 8002, 8003, 8004])
        self.assertEqual(self.ok("GET", "/api/v4/leads/loss_reasons/8002")
                         ["name"], "Пропала потребность")

    def test_users_roles_account(self):
        body = self.ok("GET", "/api/v4/users?with=role,group")
        self.assertEqual((body["_total_items"], body["_page_count"]), (8, 1))
        users = body["_embedded"]["users"]
        self.assertEqual(users[0]["name"], "Анна Смирнова")
        self.assertIs(users[0]["rights"]["is_admin"], True)
        self.assertEqual(users[1]["_embedded"]["groups"],
                         [{"id": 101, "name": "Vertrieb Berlin"}])
        self.assertEqual(users[1]["_embedded"]["roles"][0]["name"],
                         "Менеджер")
        self.assertIs(users[7]["rights"]["is_active"], False)
        self.assertNotIn("_embedded",
                         self.ok("GET", "/api/v4/users/1002"))
        roles = self.ok("GET", "/api/v4/roles?with=users")
        self.assertIn(1002, roles["_embedded"]["roles"][0]["_embedded"]
                      ["users"])
        account = self.ok("GET", "/api/v4/account?with=users_groups,"
                                 "task_types,datetime_settings")
        self.assertEqual(account["current_user_id"], 1001)
        self.assertEqual([t["id"] for t in account["_embedded"]
                          ["task_types"]], [1, 2, 2101])
        self.assertEqual([g["id"] for g in account["_embedded"]
                          ["users_groups"]], [0, 101, 102])
        types = self.ok("GET", "/api/v4/events/types?language_code=en")
        keys = [t["key"] for t in types["_embedded"]["events_types"]]
        self.assertIn("lead_status_changed", keys)
        self.assertEqual(types["_total_items"], len(keys))

    def test_custom_fields_and_tags(self):
        body = self.ok("GET", "/api/v4/leads/custom_fields")
        fields = body["_embedded"]["custom_fields"]
        self.assertEqual([f["type"] for f in fields],
                         ["select", "numeric", "checkbox", "date",
                          "multiselect", "textarea", "url", "text"])
        self.assertEqual(body["_total_items"], 8)
        select = self.ok("GET", "/api/v4/leads/custom_fields/900101")
        self.assertEqual([e["id"] for e in select["enums"]],
                         [910101, 910102, 910103, 910104])
        phone = self.ok("GET", "/api/v4/contacts/custom_fields/900201")
        self.assertEqual((phone["code"], phone["type"],
                          phone["is_predefined"]),
                         ("PHONE", "multitext", True))
        only = self.ok("GET", "/api/v4/companies/custom_fields?"
                              "filter[type][0]=multitext")
        self.assertEqual([f["code"] for f in
                          only["_embedded"]["custom_fields"]],
                         ["PHONE", "EMAIL"])
        tags = self.ok("GET", "/api/v4/leads/tags?filter[name]=VIP")
        self.assertEqual(tags["_embedded"]["tags"],
                         [{"id": 6001, "name": "VIP", "color": "FF8F92"}])
        contact = self.ok("GET", "/api/v4/contacts/2000001")
        values = contact["custom_fields_values"]
        phone_values = next(f for f in values if f["field_code"] == "PHONE")
        self.assertIn(phone_values["values"][0]["enum_code"],
                      amocrm_data.PHONE_ENUMS)


class TestWrites(AmoCase):
    def events_of(self, entity, entity_id, kind=None):
        return [e for e in self.dump("events")
                if e["entity_type"] == entity and e["entity_id"] == entity_id
                and (kind is None or e["type"] == kind)]

    def test_create_leads(self):
        body = self.ok("POST", "/api/v4/leads", [
            {"name": "Neue Sache", "price": 1500, "request_id": "first",
             "responsible_user_id": 1002,
             "custom_fields_values": [
                 {"field_id": 900101, "values": [{"enum_id": 910103}]},
                 {"field_id": 900102, "values": [{"value": 12.5}]},
                 {"field_id": 900105, "values": [{"value": "CRM"},
                                                 {"enum_id": 910113}]},
                 {"field_id": 900103, "values": [{"value": True}]}],
             "tags_to_add": [{"name": "Brand-new tag"}, {"id": 6001}],
             "_embedded": {"contacts": [{"id": 2000005},
                                        {"id": 2000006, "is_main": True}],
                           "companies": [{"id": 3000004}]}},
            {"name": "Won at once", "status_id": 142, "pipeline_id": 7002},
            {}])
        items = body["_embedded"]["leads"]
        self.assertEqual([x["id"] for x in items],
                         [1000601, 1000602, 1000603])
        self.assertEqual([x["request_id"] for x in items],
                         ["first", "1", "2"])
        self.assertTrue(items[0]["_links"]["self"]["href"].endswith(
            "/api/v4/leads/1000601"))
        lead = self.ok("GET", "/api/v4/leads/1000601?with=contacts")
        self.assertEqual((lead["status_id"], lead["pipeline_id"]),
                         (700102, MAIN))
        self.assertEqual(lead["responsible_user_id"], 1002)
        self.assertEqual(lead["created_by"], 1001)
        self.assertEqual([(c["id"], c["is_main"]) for c in
                          lead["_embedded"]["contacts"]],
                         [(2000005, False), (2000006, True)])
        self.assertEqual(lead["_embedded"]["companies"][0]["id"], 3000004)
        cf = {f["field_id"]: f["values"]
              for f in lead["custom_fields_values"]}
        self.assertEqual(cf[900101], [{"value": "Рекомендация",
                                       "enum_id": 910103,
                                       "enum_code": None}])
        self.assertEqual(cf[900102], [{"value": "12.5"}])
        self.assertEqual([v["enum_id"] for v in cf[900105]],
                         [910111, 910113])
        self.assertEqual(cf[900103], [{"value": True}])
        self.assertEqual([t["name"] for t in lead["_embedded"]["tags"]],
                         ["VIP", "Brand-new tag"])
        self.assertLess(abs(lead["created_at"] - time.time()), 5)
        won = self.ok("GET", "/api/v4/leads/1000602")
        self.assertEqual((won["status_id"], won["pipeline_id"]),
                         (142, PARTNER))
        self.assertIsNotNone(won["closed_at"])
        self.assertEqual(len(self.events_of("lead", 1000601,
                                            "lead_added")), 1)
        self.assertEqual(len(self.events_of("lead", 1000601,
                                            "entity_tag_added")), 1)
        self.assertIn(1000601, self.ids("/api/v4/leads?filter[id]=1000601"))

    def test_batch_is_all_or_nothing(self):
        s, r, resp = self.c.call("POST", "/api/v4/leads", [
            {"name": "fine"},
            {"name": "bad", "price": "lots", "request_id": "x1"},
            {"status_id": 700201, "pipeline_id": 7001},
            {"custom_fields_values": [{"field_id": 1, "values": []}],
             "responsible_user_id": 99},
            {"loss_reason_id": 1, "pipeline_id": 99}])
        self.assertProblem(s, r, 400, resp)
        groups = {g["request_id"]: [(e["code"], e["path"])
                                    for e in g["errors"]]
                  for g in r["validation-errors"]}
        self.assertEqual(groups, {
            "x1": [("InvalidType", "price")],
            "2": [("NotSupportedChoice", "status_id")],
            "3": [("NotSupportedChoice", "responsible_user_id"),
                  ("NotSupportedChoice", "custom_fields_values.0.field_id")],
            "4": [("NotSupportedChoice", "loss_reason_id"),
                  ("NotSupportedChoice", "pipeline_id")]})
        self.assertEqual(r["detail"], "Request validation failed")
        self.assertEqual(len(self.dump("leads")), 600)
        for body, path in (({"name": "x"}, ""), ([], ""),
                           ([{"name": "x"}] * 251, "")):
            s, r, resp = self.c.call("POST", "/api/v4/leads", body)
            self.assertProblem(s, r, 400, resp, path)
        s, resp, data = self.c.raw("POST", "/api/v4/leads", "{nope",
                                   {"Content-Type": "application/json"})
        self.assertEqual(s, 400)
        self.assertEqual(resp.getheader("Content-Type"), PROBLEM)
        self.assertEqual(len(self.dump("leads")), 600)

    def test_stage_changes(self):
        before = self.ok("GET", "/api/v4/leads/1000001")
        body = self.ok("PATCH", "/api/v4/leads", [
            {"id": 1000001, "status_id": 143, "loss_reason_id": 8001,
             "updated_by": 1003},
            {"id": 1000004, "pipeline_id": 7003}])
        items = body["_embedded"]["leads"]
        self.assertEqual([set(x) for x in items],
                         [{"id", "updated_at", "_links"}] * 2)
        lead = self.ok("GET", "/api/v4/leads/1000001")
        self.assertEqual((lead["status_id"], lead["pipeline_id"],
                          lead["loss_reason_id"], lead["updated_by"]),
                         (143, MAIN, 8001, 1003))
        self.assertLess(abs(lead["closed_at"] - time.time()), 5)
        self.assertEqual(lead["updated_at"], items[0]["updated_at"])
        change = self.events_of("lead", 1000001, "lead_status_changed")[-1]
        self.assertEqual(change["value_before"], [{"lead_status": {
            "id": before["status_id"], "pipeline_id": MAIN}}])
        self.assertEqual(change["value_after"], [{"lead_status": {
            "id": 143, "pipeline_id": MAIN}}])
        self.assertEqual(change["created_by"], 1003)
        moved = self.ok("GET", "/api/v4/leads/1000004")
        self.assertEqual((moved["pipeline_id"], moved["status_id"]),
                         (RENEWALS, 700301))
        found = self.ids(
            "/api/v4/events?filter[type]=lead_status_changed&"
            "filter[value_after][leads_statuses][0][pipeline_id]=7003&"
            "filter[value_after][leads_statuses][0][status_id]=700301&"
            "filter[entity]=lead&filter[entity_id]=1000004", "events")
        self.assertEqual(len(found), 1)
        # single PATCH: answer is the item itself; reopen clears closing
        one = self.ok("PATCH", "/api/v4/leads/1000001",
                      {"status_id": 700102, "price": 99, "name": "Renamed",
                       "responsible_user_id": 1004})
        self.assertEqual(set(one), {"id", "updated_at", "_links"})
        lead = self.ok("GET", "/api/v4/leads/1000001")
        self.assertEqual((lead["status_id"], lead["closed_at"],
                          lead["loss_reason_id"], lead["price"],
                          lead["name"], lead["group_id"]),
                         (700102, None, None, 99, "Renamed", 101))
        kinds = [e["type"] for e in self.events_of("lead", 1000001)]
        for kind in ("sale_field_changed", "name_field_changed",
                     "entity_responsible_changed"):
            self.assertIn(kind, kinds)
        # a status of another pipeline, the unsorted status, unknown ids
        for item, path in (({"id": 1000001, "status_id": 700201},
                            "status_id"),
                           ({"id": 1000001, "status_id": 700101}, "status_id"),
                           ({"id": 1000001, "pipeline_id": 7002,
                             "status_id": 700102}, "status_id"),
                           ({"id": 42}, "id"), ({"name": "no id"}, "id"),
                           ({"id": "1000001"}, "id")):
            s, r, resp = self.c.call("PATCH", "/api/v4/leads", [item])
            self.assertProblem(s, r, 400, resp, path)
        s, r, resp = self.c.call("PATCH", "/api/v4/leads/999", {"name": "x"})
        self.assertProblem(s, r, 400, resp, "id")

    def test_custom_field_updates(self):
        self.ok("PATCH", "/api/v4/leads/1000001", {"custom_fields_values": [
            {"field_id": 900106, "values": None},
            {"field_id": 900101, "values": [{"value": "Сайт"}]},
            {"field_id": 900104, "values": [{"value": 1767225600}]}]})
        lead = self.ok("GET", "/api/v4/leads/1000001")
        cf = {f["field_id"]: f["values"]
              for f in lead["custom_fields_values"]}
        self.assertNotIn(900106, cf)
        self.assertEqual(cf[900101][0]["enum_id"], 910101)
        self.assertEqual(cf[900104], [{"value": 1767225600}])
        changes = self.events_of("lead", 1000001,
                                 "custom_field_value_changed")
        self.assertEqual(changes[-1]["value_after"][0]["custom_field_value"]
                         ["field_id"], 900104)
        for values, path in (
                ([{"value": "nope"}], "custom_fields_values.0.values.0.value"),
                ([{"enum_id": 1}],
                 "custom_fields_values.0.values.0.enum_id"),
                ("x", "custom_fields_values.0.values")):
            s, r, resp = self.c.call("PATCH", "/api/v4/leads/1000001", {
                "custom_fields_values": [{"field_id": 900101,
                                          "values": values}]})
            self.assertProblem(s, r, 400, resp, path)
        s, r, resp = self.c.call("PATCH", "/api/v4/leads/1000001", {
            "custom_fields_values": [{"field_id": 900102,
                                      "values": [{"value": "abc"}]}]})
        self.assertProblem(s, r, 400, resp,
                           "custom_fields_values.0.values.0.value")

    def test_complex(self):
        body = self.ok("POST", "/api/v4/leads/complex", [
            {"name": "Komplex", "price": 10,
             "_embedded": {
                 "contacts": [{"first_name": "Екатерина",
                               "custom_fields_values": [
                                   {"field_code": "EMAIL", "values": [
                                       {"value": "k@example.com",
                                        "enum_code": "WORK"}]}]}],
                 "companies": [{"name": "ООО Рога и Копыта"}]}},
            {"name": "Linked", "_embedded": {"contacts": [{"id": 2000003}]}}])
        first, second = body
        self.assertEqual(first["request_id"], ["0"])
        self.assertIs(first["merged"], False)
        contact = self.ok("GET", "/api/v4/contacts/%d" % first["contact_id"])
        self.assertEqual(contact["name"], "Екатерина")
        self.assertEqual(contact["_embedded"]["companies"][0]["id"],
                         first["company_id"])
        lead = self.ok("GET", "/api/v4/leads/%d?with=contacts" % first["id"])
        self.assertEqual(lead["_embedded"]["contacts"][0]["id"],
                         first["contact_id"])
        self.assertEqual((second["contact_id"], second["company_id"]),
                         (2000003, None))
        s, r, resp = self.c.call("POST", "/api/v4/leads/complex",
                                 [{"name": "x"}] * 51)
        self.assertProblem(s, r, 400, resp, "")
        s, r, resp = self.c.call("POST", "/api/v4/leads/complex", [
            {"_embedded": {"contacts": [{"responsible_user_id": "me"}]}}])
        self.assertProblem(s, r, 400, resp,
                           "_embedded.contacts.0.responsible_user_id")

    def test_contacts_and_companies(self):
        body = self.ok("POST", "/api/v4/contacts", [
            {"first_name": "Петр", "last_name": "Смирнов",
             "custom_fields_values": [
                 {"field_code": "PHONE", "values": [
                     {"value": "+79990001122"},
                     {"value": "+49301234", "enum_code": "MOB"}]}]},
            {"name": "Владимир Смирнов", "request_id": "v"}])
        new = body["_embedded"]["contacts"]
        self.assertEqual([x["id"] for x in new], [2000251, 2000252])
        contact = self.ok("GET", "/api/v4/contacts/2000251")
        self.assertEqual(contact["name"], "Петр Смирнов")
        phones = contact["custom_fields_values"][0]["values"]
        self.assertEqual([(p["enum_id"], p["enum_code"]) for p in phones],
                         [(910201, "WORK"), (910203, "MOB")])
        self.ok("PATCH", "/api/v4/contacts/2000251",
                {"tags_to_add": [{"id": 6101}, {"name": "Neu"}]})
        self.ok("PATCH", "/api/v4/contacts/2000251",
                {"tags_to_delete": [{"name": "Ключевой клиент"}]})
        self.assertEqual([t["name"] for t in self.ok(
            "GET", "/api/v4/contacts/2000251")["_embedded"]["tags"]],
            ["Neu"])
        one = self.ok("PATCH", "/api/v4/contacts/2000001",
                      {"first_name": "Zoe", "name": "Zoe Müller"})
        self.assertEqual(set(one), {"id", "name", "updated_at", "_links"})
        self.assertEqual(self.ok("GET", "/api/v4/contacts/2000001")
                         ["first_name"], "Zoe")
        body = self.ok("POST", "/api/v4/companies", [{"name": "АО Рога"}])
        cid = body["_embedded"]["companies"][0]["id"]
        self.assertEqual(cid, 3000081)
        body = self.ok("PATCH", "/api/v4/companies", [
            {"id": cid, "name": "АО Рога и Копыта",
             "custom_fields_values": [{"field_code": "WEB", "values": [
                 {"value": "https://roga.example"}]}]}])
        self.assertEqual(body["_embedded"]["companies"][0]["name"],
                         "АО Рога и Копыта")
        kinds = [e["type"] for e in self.dump("events")
                 if e["entity_type"] == "company" and e["entity_id"] == cid]
        self.assertEqual(kinds, ["company_added", "name_field_changed"])
        s, r, resp = self.c.call("POST", "/api/v4/companies", [{"name": 5}])
        self.assertProblem(s, r, 400, resp, "name")

    def test_tasks(self):
        body = self.ok("POST", "/api/v4/tasks", [
            {"task_type_id": 2, "text": "Встретиться с клиентом",
             "complete_till": 1900000000, "entity_id": 1000005,
             "entity_type": "leads", "request_id": "example"},
            {"text": "standalone", "complete_till": 1900000000}])
        new = body["_embedded"]["tasks"]
        self.assertEqual([(x["id"], x["request_id"]) for x in new],
                         [(4000401, "example"), (4000402, "1")])
        task = self.ok("GET", "/api/v4/tasks/4000401")
        self.assertEqual((task["responsible_user_id"], task["is_completed"],
                          task["result"]), (1001, False, []))
        lead = self.ok("GET", "/api/v4/leads/1000005")
        self.assertIsNotNone(lead["closest_task_at"])
        self.assertLessEqual(lead["closest_task_at"], 1900000000)
        done = self.ok("PATCH", "/api/v4/tasks/4000401", {
            "is_completed": True, "result": {"text": "Удалось связаться"}})
        self.assertEqual(set(done), {"id", "updated_at", "request_id",
                                     "_links"})
        task = self.ok("GET", "/api/v4/tasks/4000401")
        self.assertEqual(task["result"], {"text": "Удалось связаться"})
        kinds = [e["type"] for e in self.dump("events")
                 if e["entity_type"] == "task" and
                 e["entity_id"] == 4000401]
        self.assertEqual(kinds, ["task_added", "task_completed",
                                 "task_result_added"])
        body = self.ok("PATCH", "/api/v4/tasks", [
            {"id": 4000001, "text": "Новый текст", "complete_till":
             1900000001}])
        self.assertEqual(body["_embedded"]["tasks"][0]["request_id"], "0")
        for item, path in (({"complete_till": 1}, "text"),
                           ({"text": "x"}, "complete_till"),
                           ({"text": "x", "complete_till": 1,
                             "entity_id": 1000001}, "entity_type"),
                           ({"text": "x", "complete_till": 1,
                             "entity_type": "leads", "entity_id": 5},
                            "entity_id"),
                           ({"text": "x", "complete_till": 1,
                             "task_type_id": 77}, "task_type_id"),
                           ({"text": "x", "complete_till": "soon"},
                            "complete_till")):
            s, r, resp = self.c.call("POST", "/api/v4/tasks", [item])
            self.assertProblem(s, r, 400, resp, path)
        self.assertEqual(len(self.dump("tasks")), 402)

    def test_notes(self):
        body = self.ok("POST", "/api/v4/leads/notes", [
            {"entity_id": 1000002, "note_type": "common",
             "params": {"text": "Обычное примечание"}},
            {"entity_id": 1000002, "note_type": "call_in",
             "params": {"uniq": "8f52d38a", "duration": 60,
                        "source": "onlinePBX", "phone": "+79999999999",
                        "link": "https://example.com"}}])
        new = body["_embedded"]["notes"]
        self.assertEqual([(x["id"], x["entity_id"], x["request_id"])
                          for x in new],
                         [(5000501, 1000002, "0"), (5000502, 1000002, "1")])
        self.assertTrue(new[0]["_links"]["self"]["href"].endswith(
            "/api/v4/leads/1000002/notes/5000501"))
        body = self.ok("POST", "/api/v4/contacts/2000004/notes", [
            {"note_type": "sms_out", "params": {"text": "Hallo",
                                                "phone": "+491"}}])
        self.assertEqual(body["_embedded"]["notes"][0]["entity_id"], 2000004)
        listed = self.ids("/api/v4/leads/1000002/notes", "notes")
        self.assertEqual(listed[-2:], [5000501, 5000502])
        kinds = [e["type"] for e in self.dump("events")
                 if e["value_after"] and "note" in e["value_after"][0] and
                 e["value_after"][0]["note"]["id"] in (5000501, 5000502)]
        self.assertEqual(kinds, ["common_note_added", "incoming_call"])
        patched = self.ok("PATCH", "/api/v4/leads/1000002/notes/5000501", {
            "params": {"text": "geändert"}})
        self.assertEqual(set(patched), {"id", "entity_id", "updated_at",
                                        "_links"})
        self.assertEqual(self.ok("GET", "/api/v4/leads/notes/5000501")
                         ["params"], {"text": "geändert"})
        body = self.ok("PATCH", "/api/v4/leads/notes", [
            {"id": 5000502, "note_type": "call_out",
             "params": {"uniq": "u", "duration": 5, "source": "pbx",
                        "phone": "+1"}}])
        self.assertEqual(body["_embedded"]["notes"][0]["id"], 5000502)
        self.assertEqual(self.ok("GET", "/api/v4/leads/notes/5000502")
                         ["note_type"], "call_out")
        s, r, resp = self.c.call("PATCH", "/api/v4/contacts/notes",
                                 [{"id": 5000501, "params": {"text": "x"}}])
        self.assertProblem(s, r, 400, resp, "id")
        for path, item, where in (
                ("/api/v4/leads/notes", {"note_type": "common",
                                         "params": {"text": "x"}},
                 "entity_id"),
                ("/api/v4/leads/notes", {"entity_id": 2000001,
                                         "note_type": "common",
                                         "params": {"text": "x"}},
                 "entity_id"),
                ("/api/v4/leads/notes", {"entity_id": 1000002,
                                         "note_type": "memo",
                                         "params": {}}, "note_type"),
                ("/api/v4/leads/notes", {"entity_id": 1000002,
                                         "note_type": "call_out",
                                         "params": {"uniq": "u"}},
                 "params.duration"),
                ("/api/v4/companies/3000001/notes",
                 {"note_type": "common"}, "params")):
            s, r, resp = self.c.call("POST", path, [item])
            self.assertProblem(s, r, 400, resp, where)
        self.assertEqual(len(self.dump("notes")), 503)


class TestLimitsAndFaults(AmoCase):
    def test_rate_limit_is_on_by_default(self):
        self.control("POST", "/__emulator/reset")
        self.assertEqual(self.control("GET", "/__emulator/config")
                         ["amocrm_rate_limit"], 7)
        got = [self.c.get("/api/v4/account") for _ in range(8)]
        self.assertEqual([g[0] for g in got], [200] * 7 + [429])
        s, r, resp = got[7]
        self.assertProblem(s, r, 429, resp)
        self.assertIsNone(resp.getheader("Retry-After"))
        self.assertIsNone(got[0][2].getheader("x-ratelimit-limit"))
        # Pipedrive's own limiter is separate
        c = Client(self.port)
        self.assertEqual(c.get("/api/v2/pipelines")[0], 200)
        c.close()
        time.sleep(1.05)
        self.assertEqual(self.c.get("/api/v4/account")[0], 200)

    def test_account_switches(self):
        self.control("POST", "/__emulator/config",
                     {"amocrm_account_blocked": True})
        s, r, resp = self.get("/api/v4/leads")
        self.assertProblem(s, r, 403, resp)
        self.assertIn("заблокирован", r["detail"])
        self.control("POST", "/__emulator/config",
                     {"amocrm_account_blocked": False,
                      "amocrm_payment_required": True})
        s, r, resp = self.get("/api/v4/leads")
        self.assertProblem(s, r, 402, resp)
        s, _, _ = self.c.call("POST", "/__emulator/config",
                              {"amocrm_api_filters": "no"}, auth=False)
        self.assertEqual(s, 400)

    def test_faults(self):
        s, r, resp = self.get("/__fault/status/503/api/v4/leads")
        self.assertProblem(s, r, 503, resp)
        s, r, resp = self.c.get("/__fault/status/500/api/v4/leads",
                                auth=False)
        self.assertEqual(s, 401)
        s, resp, data = self.c.raw("GET", "/__fault/notjson/api/v4/leads")
        self.assertEqual((s, data), (200, b"<html><body>Bad Gateway</body>"
                                          b"</html>"))
        self.control("POST", "/__emulator/faults", {
            "method": "PATCH", "path": "^/api/v4/leads", "status": 502,
            "after_processing": True})
        s, r, resp = self.c.call("PATCH", "/api/v4/leads/1000001",
                                 {"name": "applied anyway"})
        self.assertProblem(s, r, 502, resp)
        self.assertEqual(self.ok("GET", "/api/v4/leads/1000001")["name"],
                         "applied anyway")
        self.control("POST", "/__emulator/faults", {
            "path": "^/api/v4/tasks$", "status": 429, "times": 1})
        s, r, resp = self.get("/api/v4/tasks")
        self.assertProblem(s, r, 429, resp)
        self.assertEqual(self.get("/api/v4/tasks")[0], 200)
        with self.assertRaises(http.client.HTTPException):
            self.c.raw("GET", "/__fault/truncated/api/v4/leads")
        log = self.log()
        self.assertEqual([e["path"] for e in log[:3]],
                         ["/api/v4/leads"] * 3)

    def test_dumps(self):
        for entity in ("leads", "contacts", "companies", "tasks", "notes",
                       "events", "pipelines", "statuses", "loss_reasons",
                       "users", "roles", "groups", "task_types",
                       "custom_fields", "tags", "event_types", "account"):
            self.assertTrue(self.dump(entity), entity)
        s, _, _ = self.c.get("/__emulator/dump/amocrm/nothing", auth=False)
        self.assertEqual(s, 404)
        health = self.control("GET", "/__emulator/health")
        self.assertIn("amocrm", health["providers"])


class TestCommandLine(unittest.TestCase):
    def test_anchor_now_and_scale(self):
        proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "crm_emulator.py"),
             "--quiet", "--anchor", "now", "--scale", "amocrm.leads=30"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(
                os.environ, **ENV))
        try:
            line = proc.stdout.readline().decode()
            port = int(line.rsplit(":", 1)[1])
            c = Client(port, AMOCRM_AUTH)
            s, body, _ = c.get("/api/v4/leads?order[updated_at]=desc&"
                               "limit=1")
            c.close()
            self.assertEqual(s, 200)
            latest = body["_embedded"]["leads"][0]["updated_at"]
            self.assertEqual(time.strftime("%Y-%m-%d", time.gmtime(latest)),
                             time.strftime("%Y-%m-%d", time.gmtime()))
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0)


class TestAnchor(unittest.TestCase):
    def test_amocrm_times_move_by_whole_days(self):
        plain = crm_emulator.Emulator(quiet=True, env=ENV,
                                      scale={"amocrm.leads": 80})
        moved = crm_emulator.Emulator(quiet=True, env=ENV,
                                      anchor="2027-03-10",
                                      scale={"amocrm.leads": 80})
        shift = moved.providers[1].shift
        self.assertEqual(shift % 86400, 0)
        self.assertEqual(shift, moved.providers[0].shift)
        a, b = plain.providers[1], moved.providers[1]
        for x, y in zip(a.dump("leads"), b.dump("leads")):
            for key in ("created_at", "updated_at", "closed_at",
                        "closest_task_at"):
                self.assertEqual(None if x[key] is None else x[key] + shift,
                                 y[key])
        for x, y in zip(a.dump("events"), b.dump("events")):
            self.assertEqual(x["created_at"] + shift, y["created_at"])
            self.assertEqual(x["type"], y["type"])
        latest = max(x["updated_at"] for x in b.dump("leads"))
        self.assertEqual(time.strftime("%Y-%m-%d", time.gmtime(latest)),
                         "2027-03-10")


if __name__ == "__main__":
    unittest.main()
