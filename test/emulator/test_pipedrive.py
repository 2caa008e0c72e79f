"""Self-tests of the emulated Pipedrive API: auth, dataset, v2 and v1
reads, filters, paging and validated writes.

    cd test/emulator && /usr/bin/python3 -m unittest -q test_pipedrive
"""

import json
import threading
import unittest

from emulator_testlib import (API_TOKEN, ENV, OAUTH_TOKEN, RFC3339_Z, SCHEMAS,
                              V1_TIME, Client, ServerCase, crm_emulator)
import pipedrive_data


class TestAuth(ServerCase):
    def test_header_token_and_bearer(self):
        s, r, _ = self.c.get("/api/v2/pipelines")
        self.assertEqual(s, 200)
        s, r, _ = self.c.get("/api/v2/pipelines", auth=False, headers={
            "Authorization": "Bearer " + OAUTH_TOKEN})
        self.assertEqual(s, 200)
        self.assertEqual([e["auth"] for e in self.log()],
                         ["x-api-token", "bearer"])

    def test_rejections(self):
        cases = [
            ({}, None),
            ({"x-api-token": "wrong"}, "x-api-token"),
            ({"Authorization": "Bearer wrong"}, "bearer"),
            ({"Authorization": "Bearer " + API_TOKEN}, "bearer"),
            ({"Authorization": "Basic " + OAUTH_TOKEN}, None),
        ]
        for headers, scheme in cases:
            s, r, _ = self.c.get("/api/v2/deals", auth=False, headers=headers)
            self.assertError(s, r, 401, "unauthorized access")
            self.assertEqual(r["errorCode"], 401)
        self.assertEqual([e["auth"] for e in self.log()],
                         [scheme for _, scheme in cases])

    def test_token_in_url_does_not_authenticate(self):
        s, r, _ = self.c.get("/api/v2/deals?api_token=" + API_TOKEN,
                             auth=False)
        self.assertEqual(s, 401)
        entry = self.log()[0]
        self.assertEqual(entry["query"], "api_token=REDACTED")
        self.assertNotIn(API_TOKEN, json.dumps(self.log()))

    def test_control_needs_no_auth_and_is_not_logged(self):
        self.control("GET", "/__emulator/config")
        self.control("GET", "/__emulator/requests")
        self.assertEqual(self.log(), [])


class TestDataset(ServerCase):
    def test_counts_and_id_ranges(self):
        expect = {"users": 5, "pipelines": 3, "stages": 12,
                  "organizations": 50, "persons": 120, "products": 30,
                  "deals": 1200, "activities": 1500, "notes": 300,
                  "activity_types": 6, "currencies": 5, "tasks": 40,
                  "files": 60, "filters": 8}
        for entity, n in expect.items():
            rows = self.dump(entity)
            self.assertEqual(len(rows), n, entity)
            self.assertEqual([r["id"] for r in rows], list(range(1, n + 1)))
        fields = self.dump("deal_fields")
        custom = [f["field_code"] for f in fields if f["is_custom_field"]]
        self.assertEqual(custom, list(pipedrive_data.CUSTOM_KEYS))
        for key in custom:
            self.assertRegex(key, r"^[0-9a-f]{40}$")

    def test_consistency(self):
        stages = {s["id"]: s for s in self.dump("stages")}
        pipelines = {p["id"] for p in self.dump("pipelines")}
        persons = {p["id"]: p for p in self.dump("persons")}
        orgs = {o["id"] for o in self.dump("organizations")}
        users = {u["id"] for u in self.dump("users")}
        for s in stages.values():
            self.assertIn(s["pipeline_id"], pipelines)
        self.assertEqual(sorted(s["order_nr"] for s in stages.values()
                                if s["pipeline_id"] == 1), [1, 2, 3, 4])
        for p in persons.values():
            self.assertTrue(p["org_id"] is None or p["org_id"] in orgs)
        deals = self.dump("deals")
        statuses = {}
        for d in deals:
            statuses[d["status"]] = statuses.get(d["status"], 0) + 1
            self.assertEqual(d["pipeline_id"],
                             stages[d["stage_id"]]["pipeline_id"])
            self.assertIn(d["owner_id"], users)
            self.assertTrue(d["person_id"] is None or
                            d["person_id"] in persons)
            self.assertTrue(d["org_id"] is None or d["org_id"] in orgs)
            self.assertEqual(d["is_deleted"], d["status"] == "deleted")
            self.assertEqual(d["won_time"] is not None, d["status"] == "won")
            self.assertEqual(d["lost_time"] is not None,
                             d["status"] == "lost")
            self.assertGreaterEqual(d["update_time"], d["add_time"])
            self.assertTrue("2025-01-01T00:00:00Z" <= d["add_time"] <=
                            d["update_time"] <= "2026-06-30T23:59:59Z")
            self.assertEqual(list(d["custom_fields"]),
                             list(pipedrive_data.CUSTOM_KEYS))
            budget = d["custom_fields"][pipedrive_data.CF_BUDGET]
            if budget is not None:
                self.assertEqual(set(budget), {"value", "currency"})
        self.assertEqual(set(statuses), {"open", "won", "lost", "deleted"})
        self.assertTrue(20 <= statuses["deleted"] <= 60, statuses)
        titles = [d["title"] for d in deals]
        self.assertIn('Deal with "quotes" and a \\backslash', titles)
        self.assertTrue(any("Зо" in t for t in titles))
        self.assertTrue(any(d["label_ids"] == [] for d in deals))
        self.assertTrue(any(len(d["label_ids"]) > 1 for d in deals))
        self.assertTrue(any(d["custom_fields"][pipedrive_data.CF_NOTES] is None
                            for d in deals))

    def test_deterministic(self):
        paths = ["/api/v2/deals?limit=500", "/api/v2/activities?limit=50",
                 "/api/v1/notes?limit=50", "/api/v2/deals/products?"
                 "deal_ids=1,2,3,4,5,6,7,8,9,10", "/api/v1/deals/9/flow",
                 "/api/v1/users", "/api/v2/dealFields"]
        first = [self.c.raw("GET", p)[2] for p in paths]
        other = crm_emulator.Emulator(seed=42, quiet=True, env=ENV)
        server = crm_emulator.make_server(other)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            c2 = Client(server.server_address[1])
            second = [c2.raw("GET", p)[2] for p in paths]
            c2.close()
        finally:
            server.shutdown()
            server.server_close()
        self.assertEqual(first, second)
        changed = crm_emulator.Emulator(seed=7, quiet=True, env=ENV)
        self.assertNotEqual(changed.providers[0].dump("deals"),
                            self.emu.providers[0].dump("deals"))

    def test_every_spec_property_is_present(self):
        """Each item carries every property of the spec's response schema
        (optional ones are asked for with the spec's include options)."""
        both = "include_fields=ui_visibility,important_fields,required_fields"
        extra = {"/api/v2/deals": "include_fields=source_lead_id",
                 "/api/v2/deals/{id}": "include_fields=source_lead_id",
                 "/api/v2/activities": "include_fields=attendees",
                 "/api/v2/activities/{id}": "include_fields=attendees",
                 "/api/v2/dealFields": both,
                 "/api/v2/dealFields/{field_code}": both,
                 "/api/v1/filters/{id}": "include_field_code=true"}
        samples = {"/api/v2/deals/{id}": "/api/v2/deals/5",
                   "/api/v2/activities/{id}": "/api/v2/activities/5",
                   "/api/v2/persons/{id}": "/api/v2/persons/5",
                   "/api/v2/organizations/{id}": "/api/v2/organizations/5",
                   "/api/v2/products/{id}": "/api/v2/products/5",
                   "/api/v2/stages/{id}": "/api/v2/stages/5",
                   "/api/v2/pipelines/{id}": "/api/v2/pipelines/2",
                   "/api/v2/tasks/{id}": "/api/v2/tasks/5",
                   "/api/v2/dealFields/{field_code}":
                       "/api/v2/dealFields/title",
                   "/api/v1/notes/{id}": "/api/v1/notes/5",
                   "/api/v1/users/{id}": "/api/v1/users/2",
                   "/api/v1/files/{id}": "/api/v1/files/5",
                   "/api/v1/filters/{id}": "/api/v1/filters/1",
                   "/api/v1/deals/{id}/flow": "/api/v1/deals/9/flow",
                   "/api/v2/deals/products":
                       "/api/v2/deals/products?deal_ids=1,2,3,4,5,6,7,8,9"}
        checked = 0
        for key, op in SCHEMAS.items():
            method, path = key.split(" ", 1)
            props = op["response_properties"]
            # GET /products documents its items wrongly (nested envelope);
            # GET /products/{id} covers the same item
            if method != "GET" or not props or props == ["success", "data"]:
                continue
            url = samples.get(path, path)
            if path in extra:
                url += ("&" if "?" in url else "?") + extra[path]
            data = self.c.ok("GET", url)["data"]
            item = data[0] if isinstance(data, list) else data
            self.assertEqual([p for p in props if p not in item], [], key)
            checked += 1
        self.assertGreaterEqual(checked, 25)
        cond = self.c.ok("GET", "/api/v1/filters/1?include_field_code=true")[
            "data"]["conditions"]["conditions"][0]["conditions"][0]
        self.assertEqual(cond["field_code"], "status")

    def test_time_formats(self):
        deal = self.c.ok("GET", "/api/v2/deals/5")["data"]
        self.assertRegex(deal["add_time"], RFC3339_Z)
        note = self.c.ok("GET", "/api/v1/notes/5")["data"]
        self.assertRegex(note["add_time"], V1_TIME)
        user = self.c.ok("GET", "/api/v1/users/1")["data"]
        self.assertRegex(user["created"], V1_TIME)
        self.assertIs(user["is_you"], True)


class TestV2Lists(ServerCase):
    def test_paging_covers_everything_once(self):
        items = self.c.all_v2("/api/v2/deals", limit=97)
        ids = [d["id"] for d in items]
        live = [d["id"] for d in self.dump("deals") if not d["is_deleted"]]
        self.assertEqual(ids, live)
        page = self.c.ok("GET", "/api/v2/deals")
        self.assertEqual(len(page["data"]), 100)
        self.assertIsInstance(page["additional_data"]["next_cursor"], str)
        last = self.c.ok("GET", "/api/v2/pipelines")
        self.assertIsNone(last["additional_data"]["next_cursor"])

    def test_sorting(self):
        items = self.c.all_v2("/api/v2/deals?sort_by=update_time&"
                              "sort_direction=desc", limit=250)
        keys = [(d["update_time"], d["id"]) for d in items]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertEqual(len(items), len(set(d["id"] for d in items)))
        items = self.c.all_v2("/api/v2/activities?sort_by=due_date",
                              limit=400)
        keys = [(a["due_date"] is not None, a["due_date"] or "", a["id"])
                for a in items]
        self.assertEqual(keys, sorted(keys))
        s, r, _ = self.c.get("/api/v2/deals?sort_by=title")
        self.assertError(s, r, 400)

    def test_limit_and_cursor_errors(self):
        for q in ("limit=501", "limit=0", "limit=x", "cursor=%%%",
                  "cursor=e30"):
            s, r, _ = self.c.get("/api/v2/deals?" + q)
            self.assertError(s, r, 400)
        self.assertEqual(len(self.c.ok("GET", "/api/v2/deals?limit=500")
                             ["data"]), 500)
        cursor = self.c.ok("GET", "/api/v2/deals?limit=5")[
            "additional_data"]["next_cursor"]
        s, r, _ = self.c.get("/api/v2/deals?sort_by=add_time&cursor=" +
                             cursor)
        self.assertError(s, r, 400)

    def test_deal_filters(self):
        deals = [d for d in self.dump("deals")]
        live = [d for d in deals if not d["is_deleted"]]

        def ids(q):
            return [d["id"] for d in self.c.all_v2("/api/v2/deals?" + q)]
        self.assertEqual(ids("owner_id=2"),
                         [d["id"] for d in live if d["owner_id"] == 2])
        self.assertEqual(ids("stage_id=3&pipeline_id=1"),
                         [d["id"] for d in live if d["stage_id"] == 3])
        self.assertEqual(ids("person_id=7"),
                         [d["id"] for d in live if d["person_id"] == 7])
        self.assertEqual(ids("org_id=4"),
                         [d["id"] for d in live if d["org_id"] == 4])
        self.assertEqual(ids("status=won,lost"),
                         [d["id"] for d in deals
                          if d["status"] in ("won", "lost")])
        self.assertEqual(ids("status=deleted"),
                         [d["id"] for d in deals if d["is_deleted"]])
        self.assertEqual(ids("ids=5,1,3,999999"), [1, 3, 5])
        # updated_since inclusive, updated_until exclusive
        t = live[10]["update_time"]
        since = ids("updated_since=" + t)
        until = ids("updated_until=" + t)
        self.assertIn(live[10]["id"], since)
        self.assertNotIn(live[10]["id"], until)
        self.assertEqual(sorted(since + until), [d["id"] for d in live])
        window = ids("updated_since=2025-06-01T00:00:00Z&"
                     "updated_until=2025-07-01T00:00:00%2B02:00")
        self.assertEqual(window, [
            d["id"] for d in live
            if "2025-06-01T00:00:00Z" <= d["update_time"] <
            "2025-06-30T22:00:00Z"])
        self.assertTrue(0 < len(window) < len(live))
        # filter_id wins over ids; unknown parameters are ignored
        self.assertEqual(ids("filter_id=2&ids=1,2&whatever=1"),
                         [d["id"] for d in deals if d["status"] == "won"])
        for bad in ("owner_id=x", "ids=1,a", "status=closed",
                    "updated_since=2025-01-01", "updated_until=yesterday",
                    "ids=" + ",".join(map(str, range(1, 102))),
                    "filter_id=99", "filter_id=5"):
            s, r, _ = self.c.get("/api/v2/deals?" + bad)
            self.assertError(s, r, 400)

    def test_deal_include_options(self):
        deal = self.c.ok("GET", "/api/v2/deals/1?include_fields="
                                "source_lead_id")["data"]
        self.assertIn("source_lead_id", deal)
        deal = self.c.ok("GET", "/api/v2/deals/1")["data"]
        self.assertNotIn("source_lead_id", deal)
        deal = self.c.ok("GET", "/api/v2/deals?ids=1&custom_fields=" +
                         pipedrive_data.CF_NOTES)["data"][0]
        self.assertEqual(list(deal["custom_fields"]),
                         [pipedrive_data.CF_NOTES])

    def test_activity_filters(self):
        acts = self.dump("activities")

        def ids(q):
            return [a["id"] for a in self.c.all_v2("/api/v2/activities?" + q)]
        done = [a["id"] for a in acts if a["done"]]
        self.assertEqual(ids("done=true"), done)
        self.assertEqual(ids("done=1"), done)
        self.assertEqual(ids("done=0"), [a["id"] for a in acts
                                         if not a["done"]])
        deal_id = next(a["deal_id"] for a in acts if a["deal_id"])
        self.assertEqual(ids("deal_id=%d" % deal_id),
                         [a["id"] for a in acts if a["deal_id"] == deal_id])
        self.assertEqual(ids("person_id=3&owner_id=2"),
                         [a["id"] for a in acts if a["person_id"] == 3
                          and a["owner_id"] == 2])
        lead = next(a["lead_id"] for a in acts if a["lead_id"])
        self.assertEqual(ids("lead_id=" + lead),
                         [a["id"] for a in acts if a["lead_id"] == lead])
        self.assertEqual(ids("filter_id=7"), [a["id"] for a in acts
                                              if not a["done"]])
        for bad in ("done=maybe", "deal_id=1.5", "updated_since=now"):
            s, r, _ = self.c.get("/api/v2/activities?" + bad)
            self.assertError(s, r, 400)
        a = self.c.ok("GET", "/api/v2/activities/3")["data"]
        self.assertNotIn("attendees", a)
        self.assertEqual(a, {k: v for k, v in acts[2].items()
                             if k != "attendees"})

    def test_other_entities(self):
        persons = self.dump("persons")
        got = self.c.all_v2("/api/v2/persons?org_id=2")
        self.assertEqual([p["id"] for p in got],
                         [p["id"] for p in persons if p["org_id"] == 2])
        deal = self.dump("deals")[0]
        got = self.c.all_v2("/api/v2/persons?deal_id=%d" % deal["id"])
        self.assertEqual([p["id"] for p in got], [deal["person_id"]])
        orgs = self.c.all_v2("/api/v2/organizations?owner_id=1")
        self.assertEqual([o["id"] for o in orgs], [
            o["id"] for o in self.dump("organizations") if o["owner_id"] == 1])
        self.assertEqual([o["id"] for o in self.c.all_v2(
            "/api/v2/organizations?filter_id=5")], [o["id"] for o in orgs])
        products = self.c.all_v2("/api/v2/products?sort_by=name")
        self.assertEqual([p["name"] for p in products],
                         sorted(p["name"] for p in self.dump("products")))
        stages = self.c.all_v2("/api/v2/stages?pipeline_id=2")
        self.assertEqual([s["pipeline_id"] for s in stages], [2] * 4)
        tasks = self.dump("tasks")
        got = self.c.all_v2("/api/v2/tasks?is_done=false&parent_task_id=null")
        self.assertEqual([t["id"] for t in got], [
            t["id"] for t in tasks
            if not t["is_done"] and t["parent_task_id"] is None])
        got = self.c.all_v2("/api/v2/tasks?assignee_id=2")
        self.assertEqual([t["id"] for t in got], [
            t["id"] for t in tasks if 2 in t["assignee_ids"]])
        self.assertRegex(tasks[0]["add_time"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
        for path, message in (("/api/v2/deals/999999", "Deal not found"),
                              ("/api/v2/persons/999999", "Person not found"),
                              ("/api/v2/organizations/999999",
                               "Organization not found"),
                              ("/api/v2/products/999", "Product not found"),
                              ("/api/v2/stages/99", "Stage not found"),
                              ("/api/v2/pipelines/99", "Pipeline not found"),
                              ("/api/v2/tasks/999", "Task not found"),
                              ("/api/v2/activities/99999",
                               "Activity not found"),
                              ("/api/v2/dealFields/nope", "Field not found"),
                              ("/api/v1/notes/9999", "Note not found"),
                              ("/api/v1/users/99", "User not found"),
                              ("/api/v1/files/9999", "File not found"),
                              ("/api/v1/filters/99", "Filter not found")):
            s, r, _ = self.c.get(path)
            self.assertError(s, r, 404, message)

    def test_deal_fields(self):
        fields = self.c.all_v2("/api/v2/dealFields", limit=7)
        self.assertEqual([f["field_code"] for f in fields],
                         [f["field_code"] for f in self.dump("deal_fields")])
        self.assertNotIn("ui_visibility", fields[0])
        budget = self.c.ok("GET", "/api/v2/dealFields/" +
                           pipedrive_data.CF_BUDGET)["data"]
        self.assertEqual(budget["field_type"], "monetary")
        prio = self.c.ok("GET", "/api/v2/dealFields/" +
                         pipedrive_data.CF_PRIORITY +
                         "?include_fields=ui_visibility")["data"]
        self.assertEqual([o["id"] for o in prio["options"]], [41, 42, 43])
        self.assertIn("ui_visibility", prio)

    def test_deal_products(self):
        s, r, _ = self.c.get("/api/v2/deals/products")
        self.assertError(s, r, 400, "deal_ids")
        s, r, _ = self.c.get("/api/v2/deals/products?deal_ids=" + ",".join(
            map(str, range(1, 102))))
        self.assertError(s, r, 400)
        all_rows = self.dump("deal_products")
        want = [r["id"] for r in all_rows if r["deal_id"] in (3, 4, 10)]
        got = self.c.all_v2("/api/v2/deals/products?deal_ids=3&deal_ids=4,10",
                            limit=2)
        self.assertEqual([r["id"] for r in got], want)
        self.assertTrue(want)
        row = got[0]
        self.assertEqual(row["currency"], self.c.ok(
            "GET", "/api/v2/deals/%d" % row["deal_id"])["data"]["currency"])


class TestV1(ServerCase):
    def test_notes_paging_and_filters(self):
        notes = self.dump("notes")
        page = self.c.ok("GET", "/api/v1/notes?start=10&limit=20")
        self.assertEqual([n["id"] for n in page["data"]],
                         [n["id"] for n in notes[10:30]])
        self.assertEqual(page["additional_data"]["pagination"], {
            "start": 10, "limit": 20, "more_items_in_collection": True,
            "next_start": 30})
        last = self.c.ok("GET", "/api/v1/notes?start=290&limit=20")
        self.assertEqual(last["additional_data"]["pagination"], {
            "start": 290, "limit": 20, "more_items_in_collection": False})
        self.assertEqual(len(self.c.ok("GET", "/api/v1/notes")["data"]), 100)

        def ids(q):
            return [n["id"] for n in self.c.ok(
                "GET", "/api/v1/notes?limit=500&" + q)["data"]]
        deal_id = notes[0]["deal_id"]
        self.assertEqual(ids("deal_id=%d" % deal_id),
                         [n["id"] for n in notes if n["deal_id"] == deal_id])
        self.assertEqual(ids("user_id=2"),
                         [n["id"] for n in notes if n["user_id"] == 2])
        lead = next(n["lead_id"] for n in notes if n["lead_id"])
        self.assertEqual(ids("lead_id=" + lead),
                         [n["id"] for n in notes if n["lead_id"] == lead])
        self.assertEqual(ids("start_date=2025-03-01&end_date=2025-03-31"),
                         [n["id"] for n in notes if "2025-03-01" <=
                          n["add_time"][:10] <= "2025-03-31"])
        self.assertEqual(ids("updated_since=2026-01-01T00:00:00Z"),
                         [n["id"] for n in notes
                          if n["update_time"] >= "2026-01-01 00:00:00"])
        got = ids("sort=update_time%20DESC")
        self.assertEqual(got, [n["id"] for n in sorted(
            notes, key=lambda n: (n["update_time"], -n["id"]),
            reverse=True)])
        for bad in ("start_date=March", "updated_since=2026-01-01",
                    "deal_id=x", "sort=title%20ASC", "limit=501", "start=-1"):
            s, r, _ = self.c.get("/api/v1/notes?" + bad)
            self.assertError(s, r, 400)

    def test_unpaged_and_files(self):
        users = self.c.ok("GET", "/api/v1/users")
        self.assertEqual(len(users["data"]), 5)
        self.assertNotIn("additional_data", users)
        self.assertEqual(len(self.c.ok("GET", "/api/v1/activityTypes")
                             ["data"]), 6)
        cur = self.c.ok("GET", "/api/v1/currencies")["data"]
        self.assertEqual([c["code"] for c in cur],
                         ["EUR", "USD", "GBP", "RUB", "JPY"])
        self.assertEqual([c["code"] for c in self.c.ok(
            "GET", "/api/v1/currencies?term=eur")["data"]], ["EUR"])
        flt = self.c.ok("GET", "/api/v1/filters?type=deals")["data"]
        self.assertEqual([f["type"] for f in flt], ["deals"] * 4)
        s, r, _ = self.c.get("/api/v1/filters?type=bogus")
        self.assertError(s, r, 400)
        files = self.c.ok("GET", "/api/v1/files?limit=100&start=50")
        self.assertEqual(len(files["data"]), 10)
        self.assertFalse(files["additional_data"]["pagination"]
                         ["more_items_in_collection"])
        s, r, _ = self.c.get("/api/v1/files?limit=101")
        self.assertError(s, r, 400)

    def test_deal_flow(self):
        flow = self.c.ok("GET", "/api/v1/deals/9/flow?limit=2")
        self.assertEqual(set(flow["additional_data"]),
                         {"start", "limit", "more_items_in_collection"})
        self.assertIn("deal", flow["related_objects"])
        full = self.c.ok("GET", "/api/v1/deals/9/flow")["data"]
        stamps = [e["timestamp"] for e in full]
        self.assertEqual(stamps, sorted(stamps, reverse=True))
        self.assertIn("add_time", [e["data"].get("field_key") for e in full])
        self.control("POST", "/__emulator/config",
                     {"pipedrive_flow_pagination": "nested"})
        flow = self.c.ok("GET", "/api/v1/deals/9/flow?limit=1")
        self.assertIn("pagination", flow["additional_data"])
        s, r, _ = self.c.get("/api/v1/deals/999999/flow")
        self.assertError(s, r, 404)
        self.control("POST", "/__emulator/config",
                     {"pipedrive_v1_empty_data": "null"})
        empty = self.c.ok("GET", "/api/v1/notes?user_id=99")
        self.assertIsNone(empty["data"])

    def test_unknown_path_and_method(self):
        s, r, resp = self.c.get("/api/v2/nothing")
        self.assertError(s, r, 404)
        s, r, resp = self.c.call("PUT", "/api/v2/deals/1", {})
        self.assertError(s, r, 405)
        self.assertIn("PATCH", resp.getheader("Allow"))


class TestWrites(ServerCase):
    def test_deal_lifecycle(self):
        d = self.c.ok("POST", "/api/v2/deals", {
            "title": "Zoë's deal", "value": 10.5, "currency": "USD",
            "person_id": 3, "org_id": 2, "label_ids": [1],
            "custom_fields": {pipedrive_data.CF_BUDGET: {"value": 99.5,
                                                    "currency": "EUR"},
                              pipedrive_data.CF_PRIORITY: 43}})["data"]
        self.assertEqual(d["id"], 1201)
        self.assertEqual((d["pipeline_id"], d["stage_id"], d["status"]),
                         (1, 1, "open"))
        self.assertEqual(d["custom_fields"][pipedrive_data.CF_BUDGET],
                         {"value": 99.5, "currency": "EUR"})
        self.assertRegex(d["add_time"], RFC3339_Z)
        self.assertEqual(self.c.ok("GET", "/api/v2/deals/1201")["data"], d)
        self.assertEqual(self.c.ok("GET", "/api/v2/deals?ids=1201")["data"],
                         [d])
        # stage change moves the pipeline and stamps stage_change_time
        p = self.c.ok("PATCH", "/api/v2/deals/1201", {"stage_id": 7})["data"]
        self.assertEqual((p["stage_id"], p["pipeline_id"]), (7, 2))
        self.assertIsNotNone(p["stage_change_time"])
        won = self.c.ok("PATCH", "/api/v2/deals/1201",
                        {"status": "won"})["data"]
        self.assertEqual(won["status"], "won")
        self.assertIsNotNone(won["won_time"])
        self.assertEqual(won["close_time"], won["won_time"])
        lost = self.c.ok("PATCH", "/api/v2/deals/1201",
                         {"status": "lost", "lost_reason": "Too dear"})["data"]
        self.assertIsNone(lost["won_time"])
        self.assertEqual(lost["lost_reason"], "Too dear")
        flow = self.c.ok("GET", "/api/v1/deals/1201/flow")["data"]
        keys = [e["data"]["field_key"] for e in flow]
        self.assertIn("stage_id", keys)
        self.assertIn("status", keys)
        # a seeded deal: update_time moves to now
        old = self.c.ok("GET", "/api/v2/deals/2")["data"]
        new = self.c.ok("PATCH", "/api/v2/deals/2", {"title": "T"})["data"]
        self.assertGreater(new["update_time"], old["update_time"])
        self.assertEqual(new["add_time"], old["add_time"])
        since = self.c.ok("GET", "/api/v2/deals?updated_since=" +
                          new["update_time"])["data"]
        self.assertIn(2, [x["id"] for x in since])
        # delete: 404 afterwards, gone from the list, listed as deleted
        self.assertEqual(self.c.ok("DELETE", "/api/v2/deals/1201"),
                         {"success": True, "data": {"id": 1201}})
        s, r, _ = self.c.get("/api/v2/deals/1201")
        self.assertError(s, r, 404, "Deal not found")
        self.assertEqual(self.c.ok("GET", "/api/v2/deals?ids=1201")["data"],
                         [])
        self.assertEqual([x["id"] for x in self.c.ok(
            "GET", "/api/v2/deals?ids=1201&status=deleted")["data"]], [1201])
        s, r, _ = self.c.call("DELETE", "/api/v2/deals/1201")
        self.assertError(s, r, 404)

    def test_deal_validation(self):
        cases = [
            ({}, "title: Parameter 'title' is required"),
            ({"title": "x", "colour": "red"},
             "colour: Parameter 'colour' is not allowed for this request"),
            ({"title": "x", "value": "12"}, "value: Parameter 'value' must "
                                            "be a number"),
            ({"title": 5}, "title: Parameter 'title' must be a string"),
            ({"title": "x", "stage_id": 999}, "Stage with id 999 not found"),
            ({"title": "x", "person_id": 9999}, "Person with id 9999"),
            ({"title": "x", "owner_id": 77}, "User with id 77"),
            ({"title": "x", "stage_id": 1, "pipeline_id": 2},
             "does not belong"),
            ({"title": "x", "status": "closed"}, "status"),
            ({"title": "x", "lost_reason": "x"}, "lost_reason"),
            ({"title": "x", "expected_close_date": "soon"},
             "expected_close_date"),
            ({"title": "x", "custom_fields": {"f" * 40: 1}},
             "custom_fields.ffff"),
            ({"title": "x", "custom_fields": {pipedrive_data.CF_PRIORITY: 9}},
             "option ids"),
            ({"title": "x", "person_id": None}, "must not be null"),
        ]
        for body, text in cases:
            s, r, _ = self.c.call("POST", "/api/v2/deals", body)
            self.assertError(s, r, 400, text)
        s, r, _ = self.c.call("POST", "/api/v2/deals", "{not json",
                              headers={"Content-Type": "application/json"})
        self.assertError(s, r, 400)
        s, r, _ = self.c.call("PATCH", "/api/v2/deals/999999", {"title": "x"})
        self.assertError(s, r, 404)
        # a failed PATCH changes nothing
        before = self.c.ok("GET", "/api/v2/deals/4")["data"]
        s, r, _ = self.c.call("PATCH", "/api/v2/deals/4",
                              {"title": "new", "stage_id": 999})
        self.assertEqual(s, 400)
        self.assertEqual(self.c.ok("GET", "/api/v2/deals/4")["data"], before)
        self.assertEqual(len(self.dump("deals")), 1200)

    def test_activity_lifecycle(self):
        a = self.c.ok("POST", "/api/v2/activities", {
            "subject": "Call Зоя", "type": "call", "deal_id": 4,
            "participants": [{"person_id": 8, "primary": False},
                             {"person_id": 9, "primary": True}],
            "due_date": "2026-07-01", "due_time": "09:30",
            "done": True})["data"]
        self.assertEqual(a["id"], 1501)
        self.assertEqual(a["person_id"], 9)
        self.assertEqual(a["due_time"], "09:30:00")
        self.assertIsNotNone(a["marked_as_done_time"])
        got = self.c.ok("GET", "/api/v2/activities?deal_id=4")["data"]
        self.assertIn(1501, [x["id"] for x in got])
        u = self.c.ok("PATCH", "/api/v2/activities/1501",
                      {"done": False, "person_id": 10})["data"]
        self.assertIsNone(u["marked_as_done_time"])
        self.assertEqual(u["participants"], [{"person_id": 10,
                                              "primary": True}])
        self.assertEqual(self.c.ok("DELETE", "/api/v2/activities/1501"),
                         {"success": True, "data": {"id": 1501}})
        s, r, _ = self.c.get("/api/v2/activities/1501")
        self.assertError(s, r, 404)
        got = self.c.ok("GET", "/api/v2/activities?deal_id=4")["data"]
        self.assertNotIn(1501, [x["id"] for x in got])
        minimal = self.c.ok("POST", "/api/v2/activities", {})["data"]
        self.assertEqual((minimal["type"], minimal["subject"]),
                         ("task", "Task"))
        for body, text in (({"type": "party"}, "type"),
                           ({"deal_id": 999999}, "Deal with id"),
                           ({"participants": [{"person_id": 99999}]},
                            "Person with id"),
                           ({"due_time": "25:00"}, "due_time"),
                           ({"done": "yes"}, "must be a boolean"),
                           ({"location": {"planet": "Mars"}},
                            "location.planet"),
                           ({"lead_id": "not-a-lead"}, "lead_id")):
            s, r, _ = self.c.call("POST", "/api/v2/activities", body)
            self.assertError(s, r, 400, text)

    def test_notes_lifecycle(self):
        n = self.c.ok("POST", "/api/v1/notes", {
            "content": "<p>Grüße</p>", "deal_id": 4,
            "pinned_to_deal_flag": 1, "add_time": "2026-01-02 03:04:05",
            "unknown_v1_field": "ignored"})["data"]
        self.assertEqual(n["id"], 301)
        self.assertEqual(n["add_time"], "2026-01-02 03:04:05")
        self.assertIs(n["pinned_to_deal_flag"], True)
        self.assertEqual(n["deal"], {"title": self.c.ok(
            "GET", "/api/v2/deals/4")["data"]["title"]})
        u = self.c.ok("PUT", "/api/v1/notes/301", {"content": "neu"})["data"]
        self.assertEqual(u["content"], "neu")
        self.assertEqual(self.c.ok("GET", "/api/v1/notes/301")["data"], u)
        self.assertEqual(self.c.ok("DELETE", "/api/v1/notes/301"),
                         {"success": True, "data": True})
        s, r, _ = self.c.get("/api/v1/notes/301")
        self.assertError(s, r, 404)
        for body, text in (({"deal_id": 4}, "content"),
                           ({"content": "x"}, "attached"),
                           ({"content": "x", "deal_id": 999999}, "Deal"),
                           ({"content": "x", "deal_id": 4,
                             "pinned_to_deal_flag": True}, "number"),
                           ({"content": "x", "person_id": 1,
                             "add_time": "2026-01-02T03:04:05Z"}, "add_time")):
            s, r, _ = self.c.call("POST", "/api/v1/notes", body)
            self.assertError(s, r, 400, text)


if __name__ == "__main__":
    unittest.main()
