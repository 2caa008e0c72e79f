"""How Pipedrive shows its rows: internal row -> API object.

This module owns ``PipedriveRender``, the mixin that turns the internal rows
of ``pipedrive_data.py`` into what the API answers (v2 objects with RFC 3339
times, v1 objects with ``YYYY-MM-DD HH:MM:SS`` times and nested users,
persons and organizations) and the deal flow derived from a deal's history.
Reads, writes and the control API's dumps all render through it, so the
same row always looks the same.

It must never change a row, parse a request or decide what a request may
see (filters and paging live in ``pipedrive_reads.py``).
"""

import uuid

from pipedrive_data import (CF_BUDGET, CF_PRIORITY, CUSTOM_KEYS, DEAL_LABELS,
                            ME, PRIORITY_OPTIONS)
from provider_kit import (day_of, rfc3339_ms as v2_time_ms,
                          rfc3339_z as v2_time, sql_time as v1_time)


class PipedriveRender:
    """Mixin of ``PipedriveProvider``: renderers and the deal flow."""

    def render_deal(self, d, include=(), only_custom=None,
                    option_labels=False, labels=False):
        won, lost, closed = d["won_time"], d["lost_time"], d["close_time"]
        custom = {}
        for key in CUSTOM_KEYS:
            if only_custom is not None and key not in only_custom:
                continue
            value = d[key]
            if value is not None:
                if key == CF_BUDGET:
                    value = {"value": value[0], "currency": value[1]}
                elif key == CF_PRIORITY and option_labels:
                    value = {"id": value,
                             "label": dict((o[0], o[1])
                                           for o in PRIORITY_OPTIONS)[value]}
            custom[key] = value
        out = {
            "id": d["id"], "title": d["title"],
            "creator_user_id": d["creator_user_id"],
            "owner_id": d["owner_id"], "value": d["value"],
            "person_id": d["person_id"], "org_id": d["org_id"],
            "stage_id": d["stage_id"], "pipeline_id": d["pipeline_id"],
            "currency": d["currency"],
            "archive_time": v2_time(d["archive_time"]),
            "add_time": v2_time(d["add_time"]),
            "update_time": v2_time(d["update_time"]),
            "stage_change_time": v2_time(d["stage_change_time"]),
            "status": d["status"], "is_archived": d["is_archived"],
            "is_deleted": d["status"] == "deleted",
            "probability": d["probability"], "lost_reason": d["lost_reason"],
            "visible_to": d["visible_to"],
            "close_time": v2_time(closed), "won_time": v2_time(won),
            "lost_time": v2_time(lost),
            "local_won_date": day_of(won), "local_lost_date": day_of(lost),
            "local_close_date": day_of(closed),
            "expected_close_date": d["expected_close_date"],
            "label_ids": list(d["label_ids"]),
            "origin": d["origin"], "origin_id": None, "channel": None,
            "channel_id": None,
        }
        if "source_lead_id" in include:
            out["source_lead_id"] = d["source_lead_id"]
        out.update({"acv": None, "arr": None, "mrr": None,
                    "custom_fields": custom})
        if labels:
            names = dict((label[0], label[1]) for label in DEAL_LABELS)
            out["labels"] = [{"id": i, "label": names.get(i)}
                             for i in d["label_ids"]]
        return out

    def render_activity(self, a, include=()):
        out = {
            "id": a["id"], "subject": a["subject"], "type": a["type"],
            "owner_id": a["owner_id"],
            "creator_user_id": a["creator_user_id"],
            "is_deleted": a["is_deleted"],
            "add_time": v2_time(a["add_time"]),
            "update_time": v2_time(a["update_time"]),
            "deal_id": a["deal_id"], "lead_id": a["lead_id"],
            "person_id": a["person_id"], "org_id": a["org_id"],
            "project_id": a["project_id"], "due_date": a["due_date"],
            "due_time": a["due_time"], "duration": a["duration"],
            "busy": a["busy"], "done": a["done"],
            "marked_as_done_time": v2_time(a["marked_as_done_time"]),
            "location": a["location"],
            "participants": [dict(p) for p in a["participants"]],
        }
        if "attendees" in include:
            out["attendees"] = [dict(x) for x in a["attendees"]]
        out.update({
            "conference_meeting_client": a["conference_meeting_client"],
            "conference_meeting_url": a["conference_meeting_url"],
            "conference_meeting_id": a["conference_meeting_id"],
            "public_description": a["public_description"],
            "priority": a["priority"], "note": a["note"],
        })
        return out

    def render_person(self, p):
        return {
            "id": p["id"], "name": p["name"], "first_name": p["first_name"],
            "last_name": p["last_name"], "owner_id": p["owner_id"],
            "org_id": p["org_id"], "add_time": v2_time(p["add_time"]),
            "update_time": v2_time(p["update_time"]),
            "emails": [dict(e) for e in p["emails"]],
            "phones": [dict(e) for e in p["phones"]],
            "is_deleted": False, "visible_to": p["visible_to"],
            "label_ids": list(p["label_ids"]), "picture_id": p["picture_id"],
            "custom_fields": {}, "notes": p["notes"],
            "im": [dict(e) for e in p["im"]], "birthday": p["birthday"],
            "job_title": p["job_title"],
            "postal_address": p["postal_address"],
        }

    def render_org(self, o):
        return {
            "id": o["id"], "name": o["name"], "owner_id": o["owner_id"],
            "add_time": v2_time(o["add_time"]),
            "update_time": v2_time(o["update_time"]),
            "address": o["address"], "is_deleted": False,
            "visible_to": o["visible_to"], "label_ids": list(o["label_ids"]),
            "custom_fields": {},
        }

    def render_product(self, p):
        return {
            "id": p["id"], "name": p["name"], "code": p["code"],
            "description": p["description"], "unit": p["unit"],
            "tax": p["tax"], "category": p["category"],
            "is_linkable": p["is_linkable"], "is_deleted": False,
            "visible_to": p["visible_to"], "owner_id": p["owner_id"],
            "add_time": v2_time(p["add_time"]),
            "update_time": v2_time(p["update_time"]),
            "billing_frequency": p["billing_frequency"],
            "billing_frequency_cycles": p["billing_frequency_cycles"],
            "prices": [dict(x) for x in p["prices"]],
            "custom_fields": {},
        }

    def render_stage(self, s):
        return {k: (v2_time(v) if k in ("add_time", "update_time") else v)
                for k, v in s.items()}

    render_pipeline = render_stage

    def render_task(self, t):
        return {
            "id": t["id"], "title": t["title"], "creator_id": t["creator_id"],
            "description": t["description"], "project_id": t["project_id"],
            "is_done": t["is_done"], "is_milestone": t["is_milestone"],
            "due_date": t["due_date"], "start_date": t["start_date"],
            "parent_task_id": t["parent_task_id"],
            "assignee_ids": list(t["assignee_ids"]), "priority": t["priority"],
            "add_time": v2_time_ms(t["add_time"]),
            "update_time": v2_time_ms(t["update_time"]),
            "marked_as_done_time": v2_time_ms(t["marked_as_done_time"]),
        }

    def render_deal_product(self, r):
        product = self.products.rows[r["product_id"]]
        deal = self.deals.rows[r["deal_id"]]
        base = r["quantity"] * r["item_price"]
        if r["discount_type"] == "percentage":
            base *= 1 - r["discount"] / 100.0
        else:
            base -= r["discount"]
        if r["tax_method"] == "exclusive":
            base *= 1 + r["tax"] / 100.0
        return {
            "id": r["id"], "sum": round(base, 2), "tax": r["tax"],
            "deal_id": r["deal_id"], "name": product["name"],
            "product_id": r["product_id"], "product_variation_id": None,
            "order_nr": r["order_nr"], "add_time": v2_time(r["add_time"]),
            "update_time": v2_time(r["update_time"]),
            "comments": r["comments"], "currency": deal["currency"],
            "discount": r["discount"], "quantity": r["quantity"],
            "item_price": r["item_price"], "tax_method": r["tax_method"],
            "discount_type": r["discount_type"], "is_enabled": r["is_enabled"],
            "billing_frequency": r["billing_frequency"],
            "billing_frequency_cycles": r["billing_frequency_cycles"],
            "billing_start_date": r["billing_start_date"],
        }

    def render_deal_field(self, f, include=()):
        out = dict(f)
        out["options"] = None if f["options"] is None else \
            [dict(o) for o in f["options"]]
        out["subfields"] = None if f["subfields"] is None else \
            [dict(o) for o in f["subfields"]]
        if "ui_visibility" in include:
            out["ui_visibility"] = {
                "add_visible_flag": True, "details_visible_flag": True,
                "projects_detail_visible_flag": False,
                "show_in_pipelines": {"show_in_all": True,
                                      "pipeline_ids": []}}
        if "important_fields" in include:
            out["important_fields"] = {"enabled": False, "stage_ids": []}
        if "required_fields" in include:
            out["required_fields"] = {
                "enabled": f["field_code"] == "title", "stage_ids": [],
                "statuses": {}}
        return out

    def user_brief(self, user_id):
        u = self.users.rows.get(user_id)
        if u is None:
            return None
        return {"email": u["email"], "icon_url": u["icon_url"],
                "is_you": u["id"] == ME, "name": u["name"]}

    def render_note(self, n):
        deal = self.deals.rows.get(n["deal_id"]) if n["deal_id"] else None
        org = self.orgs.rows.get(n["org_id"]) if n["org_id"] else None
        person = self.persons.rows.get(n["person_id"]) \
            if n["person_id"] else None
        task = self.tasks.rows.get(n["task_id"]) if n["task_id"] else None
        return {
            "id": n["id"], "active_flag": n["active_flag"],
            "add_time": v1_time(n["add_time"]), "content": n["content"],
            "deal": {"title": deal["title"]} if deal else None,
            "lead_id": n["lead_id"], "deal_id": n["deal_id"],
            "last_update_user_id": n["last_update_user_id"],
            "org_id": n["org_id"],
            "organization": {"name": org["name"]} if org else None,
            "person": {"name": person["name"]} if person else None,
            "person_id": n["person_id"], "project_id": n["project_id"],
            "project": {"title": "Project %d" % n["project_id"]}
            if n["project_id"] else None,
            "task_id": n["task_id"],
            "task": {"title": task["title"]} if task else None,
            "pinned_to_lead_flag": n["pinned_to_lead_flag"],
            "pinned_to_deal_flag": n["pinned_to_deal_flag"],
            "pinned_to_organization_flag": n["pinned_to_organization_flag"],
            "pinned_to_person_flag": n["pinned_to_person_flag"],
            "pinned_to_project_flag": n["pinned_to_project_flag"],
            "pinned_to_task_flag": n["pinned_to_task_flag"],
            "update_time": v1_time(n["update_time"]),
            "user": self.user_brief(n["user_id"]),
            "user_id": n["user_id"],
        }

    def render_user(self, u):
        access = [{"app": "sales", "admin": u["admin"],
                   "permission_set_id": str(uuid.UUID(int=u["id"] * 7919,
                                                      version=4))},
                  {"app": "global", "admin": u["admin"],
                   "permission_set_id": str(uuid.UUID(int=u["id"] * 104729,
                                                      version=4))}]
        return {
            "id": u["id"], "name": u["name"], "default_currency": "EUR",
            "locale": u["locale"], "lang": 1, "email": u["email"],
            "phone": u["phone"], "activated": u["activated"],
            "last_login": v1_time(u["last_login"]),
            "created": v1_time(u["created"]),
            "modified": v1_time(u["modified"]),
            "has_created_company": u["id"] == 1, "access": access,
            "active_flag": u["activated"],
            "timezone_name": u["timezone_name"],
            "timezone_offset": u["timezone_offset"], "role_id": u["role_id"],
            "icon_url": u["icon_url"], "is_you": u["id"] == ME,
            "is_deleted": False,
        }

    def render_activity_type(self, t):
        return {"id": t["id"], "order_nr": t["order_nr"], "name": t["name"],
                "key_string": t["key_string"], "icon_key": t["icon_key"],
                "active_flag": t["active_flag"], "color": t["color"],
                "is_custom_flag": t["is_custom_flag"],
                "add_time": v1_time(t["add_time"]),
                "update_time": v1_time(t["update_time"])}

    def render_currency(self, c):
        return dict(c)

    def render_file(self, f):
        deal = self.deals.rows.get(f["deal_id"]) if f["deal_id"] else None
        person = self.persons.rows.get(f["person_id"]) \
            if f["person_id"] else None
        org = self.orgs.rows.get(f["org_id"]) if f["org_id"] else None
        return {
            "id": f["id"], "user_id": f["user_id"], "deal_id": f["deal_id"],
            "person_id": f["person_id"], "org_id": f["org_id"],
            "product_id": None, "activity_id": None, "lead_id": None,
            "log_id": None, "add_time": v1_time(f["add_time"]),
            "update_time": v1_time(f["update_time"]),
            "file_name": f["file_name"], "file_type": f["file_type"],
            "file_size": f["file_size"], "active_flag": True,
            "inline_flag": False, "remote_location": "s3",
            "remote_id": f["file_name"], "cid": "", "s3_bucket": "",
            "mail_message_id": "", "mail_template_id": "",
            "deal_name": deal["title"] if deal else "",
            "person_name": person["name"] if person else "",
            "lead_name": "", "org_name": org["name"] if org else "",
            "product_name": "",
            "url": "https://example.pipedrive.com/api/v1/files/%d/download"
            % f["id"],
            "name": f["name"], "description": f["description"],
        }

    def render_filter(self, f, with_conditions=False, field_codes=False):
        out = {
            "id": f["id"], "name": f["name"], "filter_code": None,
            "is_editable": True, "active_flag": True, "type": f["type"],
            "temporary_flag": None, "user_id": f["user_id"],
            "add_time": v1_time(f["add_time"]),
            "update_time": v1_time(f["update_time"]),
            "visible_to": f["visible_to"],
            "last_used_time": v1_time(f["last_used_time"]),
            "custom_view_id": None,
        }
        if with_conditions:
            conds = []
            for obj, code, op, value in f["conditions"]:
                c = {"object": obj, "field_id": str(self.field_id(code)),
                     "operator": op, "value": value, "extra_value": None,
                     "json_value_flag": False}
                if field_codes:
                    c["field_code"] = code
                conds.append(c)
            out["conditions"] = {"glue": "and", "conditions": [
                {"glue": "and", "conditions": conds},
                {"glue": "or", "conditions": []}]}
        return out

    def field_id(self, code):
        for i, f in enumerate(self.deal_fields, 1):
            if f["field_code"] == code:
                return 12000 + i
        return 13000 + sum(map(ord, code))

    # ------------------------------------------------------------------
    # Deal flow
    # ------------------------------------------------------------------

    def change_entry(self, entry_id, deal_id, user_id, t, key, old, new):
        return {"object": "dealChange", "timestamp": v1_time(t), "data": {
            "id": entry_id, "item_id": deal_id, "user_id": user_id,
            "field_key": key, "old_value": old, "new_value": new,
            "is_bulk_update_flag": None, "log_time": v1_time(t),
            "change_source": "app", "change_source_user_agent": None,
            "additional_data": []}, "_t": t}

    def seeded_flow(self, d):
        """The changes a generated deal went through, derived from it."""
        did, who = d["id"], d["creator_user_id"]
        out = [self.change_entry(did * 10 + 1, did, who, d["add_time"],
                                 "add_time", None, v1_time(d["add_time"]))]
        if d["stage_change_time"] is not None:
            first = self.stages_of[d["pipeline_id"]][0]
            out.append(self.change_entry(did * 10 + 2, did, d["owner_id"],
                                         d["stage_change_time"], "stage_id",
                                         first, d["stage_id"]))
        if d["status"] in ("won", "lost"):
            out.append(self.change_entry(did * 10 + 3, did, d["owner_id"],
                                         d["close_time"], "status", "open",
                                         d["status"]))
        return out

    def flow_of(self, d):
        entries = self.flows.get(d["id"])
        if entries is None:
            entries = self.seeded_flow(d)
        items = list(entries)
        for n in self.notes.values():
            if n["deal_id"] == d["id"] and n["active_flag"]:
                items.append({"object": "note",
                              "timestamp": v1_time(n["add_time"]),
                              "data": self.render_note(n),
                              "_t": n["add_time"]})
        items.sort(key=lambda e: (e["_t"], e["object"] == "note",
                                  e["data"]["id"]), reverse=True)
        return [{k: v for k, v in e.items() if k != "_t"} for e in items]

