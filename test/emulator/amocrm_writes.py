"""amoCRM's writes: batch POST and PATCH with validation, and the events
they cause.

This module owns ``AmoWrites``, the mixin behind the writes of the emulated
API v4: adding and editing leads (including ``/leads/complex``), contacts,
companies, tasks and notes.  A batch is validated item by item first; if
any item fails, the whole request is a 400 whose ``validation-errors`` name
each failing item by its ``request_id`` (or position) and nothing of the
batch is written.  Otherwise every item is applied in order, the reverse
indexes are kept, and the events amoCRM records for such changes are
appended (``lead_status_changed``, ``entity_responsible_changed``,
``task_completed``, ``common_note_added``...).

It must never answer a read nor format an error body; it raises
``ApiError``.
"""

from amocrm_data import (ALL_NOTE_TYPES, COMPANY_BASE, CONTACT_BASE,
                         ENTITY_TYPES, EVENT_ENTITY, LEAD_BASE, LOST, ME,
                         NOTE_BASE, NOTE_EVENT, TASK_BASE, TASK_TYPES, WON)
from amocrm_errors import (COUNT, error, invalid_type, not_blank, not_choice,
                           validation_failed)
from provider_kit import ApiError, now, parse_rfc3339

MISSING = object()
MAX_BATCH = 250
MAX_COMPLEX = 50
TEXT_TYPES = ("text", "textarea", "url", "streetaddress")
DATE_TYPES = ("date", "date_time", "birthday")
# note_type -> required params (name, JSON type)
NOTE_PARAMS = {
    "common": (("text", str),),
    "call_in": (("uniq", str), ("duration", int), ("source", str),
                ("phone", str)),
    "call_out": (("uniq", str), ("duration", int), ("source", str),
                 ("phone", str)),
    "service_message": (("service", str), ("text", str)),
    "extended_service_message": (("service", str), ("text", str)),
    "message_cashier": (("status", str), ("text", str)),
    "geolocation": (("text", str), ("address", str), ("longitude", str),
                    ("latitude", str)),
    "sms_in": (("text", str), ("phone", str)),
    "sms_out": (("text", str), ("phone", str)),
    "attachment": (("file_uuid", str),),
}
TYPE_NAMES = {int: "int", str: "string", bool: "bool", dict: "object",
              list: "array"}


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class AmoWrites:
    """Mixin of ``AmoProvider``: validated batch writes."""

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------

    def write_items(self, req, max_items=MAX_BATCH, single_id=None):
        """The body as [(request_id, item)]: an array for batches, one
        object for ``/{id}`` (whose id wins)."""
        if not req.body.strip():
            raise validation_failed([{"errors": [not_blank("")]}])
        if not req.json_ok:
            raise ApiError(400, "Syntax error: the body is not valid JSON")
        body = req.json
        if single_id is not None:
            if not isinstance(body, dict):
                raise validation_failed([{"errors": [
                    invalid_type("", "object")]}])
            items = [dict(body, id=single_id)]
        else:
            if not isinstance(body, list):
                raise validation_failed([{"errors": [
                    invalid_type("", "array")]}])
            if not body:
                raise validation_failed([{"errors": [not_blank("")]}])
            if len(body) > max_items:
                raise validation_failed([{"errors": [error(
                    COUNT, "", "This collection should contain %d elements "
                               "or less." % max_items)]}])
            items = body
        out = []
        for i, item in enumerate(items):
            rid = item.get("request_id") if isinstance(item, dict) else None
            if isinstance(rid, str) or is_int(rid):
                rid = str(rid)
            else:
                rid = str(i)
            out.append((rid, item))
        return out

    def validate_batch(self, pairs, check):
        """Run ``check(item) -> (errors, plan)`` on every item; raise the
        400 naming every failing item, or return the plans."""
        plans, groups = [], []
        for rid, item in pairs:
            if not isinstance(item, dict):
                errs, plan = [invalid_type("", "object")], None
            else:
                errs, plan = check(item)
            if errs:
                groups.append({"request_id": rid, "errors": errs})
            plans.append(plan)
        if groups:
            raise validation_failed(groups)
        return plans

    def answer(self, path, key, items):
        return 200, {"_links": self.links(path), "_embedded": {key: items}}

    def changed(self):
        self.version += 1

    # ------------------------------------------------------------------
    # Field checks: append errors, return the value or MISSING
    # ------------------------------------------------------------------

    def f_typed(self, item, key, kind, errs, nullable=False, path=None):
        if key not in item:
            return MISSING
        value = item[key]
        if value is None and nullable:
            return None
        ok = is_int(value) if kind is int else isinstance(value, kind)
        if not ok:
            errs.append(invalid_type(path or key, TYPE_NAMES[kind]))
            return MISSING
        return value

    def f_user(self, item, key, errs, robot=False):
        """A user id (``0`` = robot/API where ``robot``)."""
        value = self.f_typed(item, key, int, errs)
        if value is MISSING:
            return MISSING
        if (robot and value == 0) or value in self.users.rows:
            return value
        errs.append(not_choice(key))
        return MISSING

    def f_time(self, item, key, errs, nullable=False):
        value = self.f_typed(item, key, int, errs, nullable)
        if value is not MISSING and value is not None and value < 0:
            errs.append(not_choice(key))
            return MISSING
        return value

    def common_fields(self, item, errs, plan, creating):
        """responsible/created_by/updated_by/created_at/updated_at."""
        for key, robot in (("responsible_user_id", False),
                           ("created_by", True), ("updated_by", True)):
            if key == "created_by" and not creating:
                continue
            value = self.f_user(item, key, errs, robot)
            if value is not MISSING:
                plan[key] = value
        for key in ("created_at", "updated_at"):
            if key == "created_at" and not creating:
                continue
            value = self.f_time(item, key, errs)
            if value is not MISSING:
                plan[key] = value

    def target(self, table, item, errs):
        """The existing row a PATCH item names by ``id``."""
        value = self.f_typed(item, "id", int, errs)
        if value is MISSING:
            if "id" not in item:
                errs.append(not_blank("id"))
            return None
        row = table.get(value)
        if row is None or row.get("is_deleted"):
            errs.append(not_choice("id"))
            return None
        return row

    # ------------------------------------------------------------------
    # Custom field values and tags
    # ------------------------------------------------------------------

    def parse_cf(self, entity, node, errs, prefix="custom_fields_values"):
        """custom_fields_values of a write -> {field_id: values or None}."""
        if not isinstance(node, list):
            errs.append(invalid_type(prefix, "array"))
            return {}
        out = {}
        fields = self.custom_fields[entity]
        for i, entry in enumerate(node):
            where = "%s.%d" % (prefix, i)
            if not isinstance(entry, dict):
                errs.append(invalid_type(where, "object"))
                continue
            field = None
            if "field_id" in entry:
                if not is_int(entry["field_id"]):
                    errs.append(invalid_type(where + ".field_id", "int"))
                    continue
                field = fields.get(entry["field_id"])
                if field is None:
                    errs.append(not_choice(where + ".field_id"))
                    continue
            elif "field_code" in entry:
                field = self.field_by_code(entity, entry["field_code"]) \
                    if isinstance(entry["field_code"], str) else None
                if field is None:
                    errs.append(not_choice(where + ".field_code"))
                    continue
            else:
                errs.append(not_blank(where + ".field_id"))
                continue
            values = entry.get("values")
            if values is None or values == []:
                out[field["id"]] = None         # clears the field
                continue
            if not isinstance(values, list):
                errs.append(invalid_type(where + ".values", "array"))
                continue
            parsed = []
            for j, v in enumerate(values):
                value = self.parse_cf_value(field, v, "%s.values.%d"
                                            % (where, j), errs)
                if value is not None:
                    parsed.append(value)
            if field["type"] in ("select", "radiobutton", "checkbox") and \
                    len(parsed) > 1:
                errs.append(not_choice(where + ".values"))
                continue
            out[field["id"]] = parsed
        return out

    def parse_cf_value(self, field, v, where, errs):
        ftype = field["type"]
        if not isinstance(v, dict):
            errs.append(invalid_type(where, "object"))
            return None
        value = v.get("value")
        if ftype in TEXT_TYPES:
            if isinstance(value, bool) or not isinstance(
                    value, (str, int, float)):
                errs.append(invalid_type(where + ".value", "string"))
                return None
            return {"value": str(value)}
        if ftype == "numeric":
            try:
                if isinstance(value, bool):
                    raise ValueError(value)
                number = float(value)
            except (TypeError, ValueError):
                errs.append(invalid_type(where + ".value", "numeric"))
                return None
            text = str(value).strip() if isinstance(value, str) else (
                str(int(number)) if number.is_integer() else repr(number))
            return {"value": text}
        if ftype == "checkbox":
            if not isinstance(value, bool):
                errs.append(invalid_type(where + ".value", "bool"))
                return None
            return {"value": value}
        if ftype in DATE_TYPES:
            if is_int(value):
                return {"value": value}
            if isinstance(value, str):
                try:
                    return {"value": int(parse_rfc3339(value))}
                except ValueError:
                    pass
            errs.append(invalid_type(where + ".value", "int"))
            return None
        if ftype in ("select", "multiselect", "radiobutton", "multitext"):
            enums = field["enums"]
            enum = None
            if "enum_id" in v:
                enum = next((e for e in enums if e["id"] == v["enum_id"]),
                            None) if is_int(v["enum_id"]) else None
                if enum is None:
                    errs.append(not_choice(where + ".enum_id"))
                    return None
            elif "enum_code" in v:
                enum = next((e for e in enums
                             if e["value"] == v["enum_code"]), None)
                if enum is None:
                    errs.append(not_choice(where + ".enum_code"))
                    return None
            if ftype == "multitext":
                if not isinstance(value, str) or not value.strip():
                    errs.append(invalid_type(where + ".value", "string"))
                    return None
                enum = enum or enums[0]             # WORK by default
                return {"value": value, "enum_id": enum["id"]}
            if enum is None:
                enum = next((e for e in enums if e["value"] == value), None)
                if enum is None:
                    errs.append(not_choice(where + ".value"))
                    return None
            return {"value": enum["value"], "enum_id": enum["id"]}
        errs.append(not_choice(where))
        return None

    def parse_tags(self, entity, node, path, errs):
        """[{id} | {name}] -> list of (id or None, name or None)."""
        if node is None:
            return []
        if not isinstance(node, list):
            errs.append(invalid_type(path, "array"))
            return []
        out = []
        for i, tag in enumerate(node):
            where = "%s.%d" % (path, i)
            if not isinstance(tag, dict):
                errs.append(invalid_type(where, "object"))
            elif "id" in tag:
                if not is_int(tag["id"]) or \
                        tag["id"] not in self.tags[entity].rows:
                    errs.append(not_choice(where + ".id"))
                else:
                    out.append((tag["id"], None))
            elif isinstance(tag.get("name"), str) and tag["name"].strip():
                out.append((None, tag["name"]))
            else:
                errs.append(not_blank(where + ".name"))
        return out

    def tag_plan(self, entity, item, errs, plan):
        adds = self.parse_tags(entity, item.get("tags_to_add"),
                               "tags_to_add", errs)
        embedded = item.get("_embedded")
        if isinstance(embedded, dict) and "tags" in embedded:
            plan["tags_set"] = self.parse_tags(
                entity, embedded["tags"], "_embedded.tags", errs)
        if adds:
            plan["tags_add"] = adds
        drops = self.parse_tags(entity, item.get("tags_to_delete"),
                                "tags_to_delete", errs)
        if drops:
            plan["tags_drop"] = drops

    def tag_id(self, entity, ref):
        tid, name = ref
        table = self.tags[entity]
        if tid is not None:
            return tid
        for t in table.values():
            if t["name"] == name:
                return t["id"]
        tid = table.next_id()
        table.add({"id": tid, "name": name, "color": None})
        return tid

    def apply_tags(self, entity, row, plan, event_entity, user, t):
        before = list(row["tags"])
        tags = list(row["tags"])
        if "tags_set" in plan:
            tags = []
            for ref in plan["tags_set"]:
                tid = self.tag_id(entity, ref)
                if tid not in tags:
                    tags.append(tid)
        for ref in plan.get("tags_add", ()):
            tid = self.tag_id(entity, ref)
            if tid not in tags:
                tags.append(tid)
        for ref in plan.get("tags_drop", ()):
            tid, name = ref
            tags = [x for x in tags if x != tid and
                    self.tags[entity].rows[x]["name"] != name]
        row["tags"] = sorted(tags)
        names = self.tags[entity].rows
        added = [x for x in row["tags"] if x not in before]
        dropped = [x for x in before if x not in row["tags"]]
        if added:
            self.add_event("entity_tag_added", event_entity, row["id"], user,
                           t, [], [{"tag": {"name": names[x]["name"]}}
                                   for x in added])
        if dropped:
            self.add_event("entity_tag_deleted", event_entity, row["id"],
                           user, t, [{"tag": {"name": names[x]["name"]}}
                                     for x in dropped], [])

    def apply_cf(self, entity, row, changes, event_entity, user, t):
        for fid, values in changes.items():
            old = row["cf"].get(fid, [])
            new = values or []
            if old == new:
                continue
            if new:
                row["cf"][fid] = [dict(v) for v in new]
            else:
                row["cf"].pop(fid, None)
            if entity == "leads":
                self.add_event(
                    "custom_field_value_changed", event_entity, row["id"],
                    user, t, [self.cf_event(entity, fid, v) for v in old],
                    [self.cf_event(entity, fid, v) for v in new])

    # ------------------------------------------------------------------
    # Leads
    # ------------------------------------------------------------------

    def check_lead(self, item, creating, complex_=False):
        errs, plan = [], {}
        lead = None
        if not creating:
            lead = self.target(self.leads, item, errs)
            if lead is None:
                return errs, None
            plan["id"] = lead["id"]
        name = self.f_typed(item, "name", str, errs)
        if name is not MISSING:
            plan["name"] = name
        price = self.f_typed(item, "price", int, errs)
        if price is not MISSING:
            plan["price"] = price
        self.common_fields(item, errs, plan, creating)
        if not creating:
            value = self.f_user(item, "updated_by", errs, robot=True)
            if value is not MISSING:
                plan["updated_by"] = value
        closed = self.f_time(item, "closed_at", errs, nullable=True)
        if closed is not MISSING:
            plan["closed_at"] = closed
        reason = self.f_typed(item, "loss_reason_id", int, errs,
                              nullable=True)
        if reason is not MISSING:
            if reason is not None and reason not in self.loss_reasons.rows:
                errs.append(not_choice("loss_reason_id"))
            else:
                plan["loss_reason_id"] = reason
        self.status_plan(item, lead, errs, plan)
        if "custom_fields_values" in item:
            plan["cf"] = self.parse_cf("leads", item["custom_fields_values"],
                                       errs)
        self.tag_plan("leads", item, errs, plan)
        embedded = item.get("_embedded")
        if creating and isinstance(embedded, dict) and not complex_:
            self.link_plan(embedded, errs, plan)
        return errs, plan

    def status_plan(self, item, lead, errs, plan):
        """Resolve status_id/pipeline_id: a status must belong to the
        lead's (new) pipeline; 142/143 exist in every pipeline; the
        unsorted status cannot be set."""
        status = self.f_typed(item, "status_id", int, errs)
        pipeline = self.f_typed(item, "pipeline_id", int, errs)
        if pipeline is not MISSING and pipeline not in self.pipelines.rows:
            errs.append(not_choice("pipeline_id"))
            return
        current = lead["pipeline_id"] if lead else None
        pid = pipeline if pipeline is not MISSING else current
        if status is not MISSING:
            if pid is None:             # a new lead without pipeline_id
                if status in (WON, LOST):
                    pid = self.main_pipeline
                else:
                    pid = next((p for p, rows in self.statuses_of.items()
                                if any(s["id"] == status for s in rows)),
                               None)
            row = self.status(pid, status) if pid is not None else None
            if row is None or row["type"] == 1:
                errs.append(not_choice("status_id"))
                return
            plan["status_id"], plan["pipeline_id"] = status, pid
        elif pipeline is not MISSING and pipeline != current:
            plan["status_id"] = self.entry_status(pipeline)
            plan["pipeline_id"] = pipeline

    def link_plan(self, embedded, errs, plan):
        contacts = embedded.get("contacts")
        if contacts is not None:
            if not isinstance(contacts, list):
                errs.append(invalid_type("_embedded.contacts", "array"))
            else:
                links = []
                for i, c in enumerate(contacts):
                    where = "_embedded.contacts.%d" % i
                    cid = c.get("id") if isinstance(c, dict) else None
                    if not is_int(cid) or cid not in self.contacts.rows:
                        errs.append(not_choice(where + ".id"))
                        continue
                    main = c.get("is_main")
                    links.append([cid, bool(main) and main != "false"])
                if links and not any(main for _, main in links):
                    links[0][1] = True
                plan["contacts"] = links
        companies = embedded.get("companies")
        if companies is not None:
            if not isinstance(companies, list) or len(companies) > 1:
                errs.append(invalid_type("_embedded.companies", "array"))
            elif companies:
                c = companies[0]
                cid = c.get("id") if isinstance(c, dict) else None
                if not is_int(cid) or cid not in self.companies.rows:
                    errs.append(not_choice("_embedded.companies.0.id"))
                else:
                    plan["company_id"] = cid

    def apply_lead(self, plan, t):
        creating = "id" not in plan
        user = plan.get("updated_by", ME)
        if creating:
            lead = {
                "id": max(self.leads.next_id(), LEAD_BASE + 1), "name": "",
                "price": 0, "responsible_user_id": ME,
                "status_id": self.entry_status(self.main_pipeline),
                "pipeline_id": self.main_pipeline, "loss_reason_id": None,
                "created_by": plan.get("created_by", ME),
                "updated_by": user, "created_at": plan.get("created_at", t),
                "updated_at": t, "closed_at": None, "is_deleted": False,
                "score": None, "labor_cost": None, "contacts": [],
                "company_id": None, "cf": {}, "tags": []}
            self.leads.add(lead)
            self.add_event("lead_added", "lead", lead["id"],
                           lead["created_by"], t, [],
                           [{"note": {"id": self.next_system_note()}}])
        else:
            lead = self.leads.rows[plan["id"]]
        before = dict(lead)
        for key in ("name", "price", "responsible_user_id"):
            if key in plan:
                lead[key] = plan[key]
        if "status_id" in plan:
            lead["status_id"] = plan["status_id"]
            lead["pipeline_id"] = plan["pipeline_id"]
        closed_now = lead["status_id"] in (WON, LOST)
        if "closed_at" in plan:
            lead["closed_at"] = plan["closed_at"]
        elif closed_now and (before["status_id"] not in (WON, LOST) or
                             creating):
            lead["closed_at"] = t
        elif not closed_now:
            lead["closed_at"] = None
        if "loss_reason_id" in plan:
            lead["loss_reason_id"] = plan["loss_reason_id"]
        elif lead["status_id"] != LOST:
            lead["loss_reason_id"] = None
        if "contacts" in plan or "company_id" in plan:
            self.unlink_lead(lead)
            lead["contacts"] = plan.get("contacts", lead["contacts"])
            lead["company_id"] = plan.get("company_id", lead["company_id"])
            self.link_lead(lead)
        if "cf" in plan:
            self.apply_cf("leads", lead, plan["cf"], "lead", user, t)
        self.apply_tags("leads", lead, plan, "lead", user, t)
        lead["updated_by"] = user
        lead["updated_at"] = plan.get("updated_at", t)
        if not creating:
            self.lead_events(before, lead, user, t)
        self.leads.touch()
        self.changed()
        return lead

    def lead_events(self, before, lead, user, t):
        if (before["status_id"], before["pipeline_id"]) != \
                (lead["status_id"], lead["pipeline_id"]):
            self.add_event(
                "lead_status_changed", "lead", lead["id"], user, t,
                [{"lead_status": {"id": before["status_id"],
                                  "pipeline_id": before["pipeline_id"]}}],
                [{"lead_status": {"id": lead["status_id"],
                                  "pipeline_id": lead["pipeline_id"]}}])
        self.common_events(before, lead, "lead", user, t)
        if before["price"] != lead["price"]:
            self.add_event("sale_field_changed", "lead", lead["id"], user, t,
                           [{"sale_field_value": {"sale": before["price"]}}],
                           [{"sale_field_value": {"sale": lead["price"]}}])

    def common_events(self, before, row, entity, user, t):
        if before["responsible_user_id"] != row["responsible_user_id"]:
            self.add_event(
                "entity_responsible_changed", entity, row["id"], user, t,
                [{"responsible_user": {"id": before["responsible_user_id"]}}],
                [{"responsible_user": {"id": row["responsible_user_id"]}}])
        if before["name"] != row["name"]:
            self.add_event("name_field_changed", entity, row["id"], user, t,
                           [{"name_field_value": {"name": before["name"]}}],
                           [{"name_field_value": {"name": row["name"]}}])

    def create_leads(self, req, m):
        pairs = self.write_items(req)
        plans = self.validate_batch(
            pairs, lambda item: self.check_lead(item, True))
        t = now()
        out = []
        for (rid, _), plan in zip(pairs, plans):
            lead = self.apply_lead(plan, t)
            out.append({"id": lead["id"], "request_id": rid,
                        "_links": self.links("/api/v4/leads/%d"
                                             % lead["id"])})
        return self.answer("/api/v4/leads", "leads", out)

    def update_leads(self, req, m):
        single = m.get("id")
        pairs = self.write_items(
            req, single_id=int(single) if single is not None else None)
        plans = self.validate_batch(
            pairs, lambda item: self.check_lead(item, False))
        t = now()
        out = []
        for plan in plans:
            lead = self.apply_lead(plan, t)
            out.append({"id": lead["id"], "updated_at": lead["updated_at"],
                        "_links": self.links("/api/v4/leads/%d"
                                             % lead["id"])})
        if single is not None:
            return 200, out[0]
        return self.answer("/api/v4/leads", "leads", out)

    def create_complex(self, req, m):
        """POST /leads/complex: each lead with at most one contact and one
        company, given by id or as a full model to create."""
        pairs = self.write_items(req, max_items=MAX_COMPLEX)

        def check(item):
            errs, plan = self.check_lead(item, True, complex_=True)
            if plan is None:
                return errs, plan
            embedded = item.get("_embedded")
            embedded = embedded if isinstance(embedded, dict) else {}
            for key, table, checker in (
                    ("contacts", self.contacts, self.check_contact),
                    ("companies", self.companies, self.check_company)):
                node = embedded.get(key)
                if node is None:
                    continue
                where = "_embedded.%s" % key
                if not isinstance(node, list) or len(node) > 1:
                    errs.append(error(COUNT, where, "This collection should "
                                      "contain 1 element or less."))
                    continue
                if not node:
                    continue
                sub = node[0]
                if not isinstance(sub, dict):
                    errs.append(invalid_type(where + ".0", "object"))
                elif "id" in sub:
                    if not is_int(sub["id"]) or sub["id"] not in table.rows:
                        errs.append(not_choice(where + ".0.id"))
                    else:
                        plan[key] = ("link", sub["id"])
                else:
                    sub_errs, sub_plan = checker(sub, True)
                    errs.extend(dict(e, path="%s.0.%s" % (where, e["path"]))
                                for e in sub_errs)
                    plan[key] = ("new", sub_plan)
            return errs, plan
        plans = self.validate_batch(pairs, check)
        t = now()
        out = []
        for (rid, _), plan in zip(pairs, plans):
            contact_id = company_id = None
            for key, apply in (("companies", self.apply_company),
                               ("contacts", self.apply_contact)):
                how = plan.pop(key, None)
                if how is None:
                    continue
                row_id = how[1] if how[0] == "link" else \
                    apply(how[1], t)["id"]
                if key == "contacts":
                    contact_id = row_id
                else:
                    company_id = row_id
            if contact_id is not None and company_id is not None and \
                    self.contacts.rows[contact_id]["company_id"] is None:
                self.contacts.rows[contact_id]["company_id"] = company_id
                self.contacts_of_company.setdefault(company_id, set()).add(
                    contact_id)
            if contact_id is not None:
                plan["contacts"] = [[contact_id, True]]
            if company_id is not None:
                plan["company_id"] = company_id
            lead = self.apply_lead(plan, t)
            out.append({"id": lead["id"], "contact_id": contact_id,
                        "company_id": company_id, "request_id": [rid],
                        "merged": False})
        return 200, out

    # ------------------------------------------------------------------
    # Contacts and companies
    # ------------------------------------------------------------------

    def check_named(self, entity, table, item, creating, names):
        errs, plan = [], {}
        if not creating:
            row = self.target(table, item, errs)
            if row is None:
                return errs, None
            plan["id"] = row["id"]
        for key in names:
            value = self.f_typed(item, key, str, errs)
            if value is not MISSING:
                plan[key] = value
        self.common_fields(item, errs, plan, creating)
        if not creating:
            value = self.f_user(item, "updated_by", errs, robot=True)
            if value is not MISSING:
                plan["updated_by"] = value
        if "custom_fields_values" in item:
            plan["cf"] = self.parse_cf(entity, item["custom_fields_values"],
                                       errs)
        self.tag_plan(entity, item, errs, plan)
        return errs, plan

    def check_contact(self, item, creating):
        return self.check_named("contacts", self.contacts, item, creating,
                                ("name", "first_name", "last_name"))

    def check_company(self, item, creating):
        return self.check_named("companies", self.companies, item, creating,
                                ("name",))

    def apply_named(self, entity, table, base, plan, t, defaults):
        creating = "id" not in plan
        user = plan.get("updated_by", ME)
        event_entity = EVENT_ENTITY[entity]
        if creating:
            row = dict(defaults, id=max(table.next_id(), base + 1),
                       responsible_user_id=ME,
                       created_by=plan.get("created_by", ME),
                       created_at=plan.get("created_at", t), updated_at=t,
                       updated_by=user, is_deleted=False, cf={}, tags=[])
            table.add(row)
            self.add_event(event_entity + "_added", event_entity, row["id"],
                           row["created_by"], t, [],
                           [{"note": {"id": self.next_system_note()}}])
        else:
            row = table.rows[plan["id"]]
        before = dict(row)
        for key in ("name", "first_name", "last_name",
                    "responsible_user_id"):
            if key in plan:
                row[key] = plan[key]
        if entity == "contacts" and creating and "name" not in plan:
            row["name"] = " ".join(x for x in (row["first_name"],
                                               row["last_name"]) if x)
        if "cf" in plan:
            self.apply_cf(entity, row, plan["cf"], event_entity, user, t)
        self.apply_tags(entity, row, plan, event_entity, user, t)
        row["updated_by"] = user
        row["updated_at"] = plan.get("updated_at", t)
        if not creating:
            self.common_events(before, row, event_entity, user, t)
        table.touch()
        self.changed()
        return row

    def apply_contact(self, plan, t):
        return self.apply_named("contacts", self.contacts, CONTACT_BASE,
                                plan, t, {"name": "", "first_name": "",
                                          "last_name": "",
                                          "company_id": None})

    def apply_company(self, plan, t):
        return self.apply_named("companies", self.companies, COMPANY_BASE,
                                plan, t, {"name": ""})

    def create_named(self, req, entity):
        check = self.check_contact if entity == "contacts" else \
            self.check_company
        apply = self.apply_contact if entity == "contacts" else \
            self.apply_company
        pairs = self.write_items(req)
        plans = self.validate_batch(pairs, lambda item: check(item, True))
        t = now()
        out = []
        for (rid, _), plan in zip(pairs, plans):
            row = apply(plan, t)
            out.append({"id": row["id"], "request_id": rid,
                        "_links": self.links("/api/v4/%s/%d"
                                             % (entity, row["id"]))})
        return self.answer("/api/v4/" + entity, entity, out)

    def update_named(self, req, m, entity):
        check = self.check_contact if entity == "contacts" else \
            self.check_company
        apply = self.apply_contact if entity == "contacts" else \
            self.apply_company
        single = m.get("id")
        pairs = self.write_items(
            req, single_id=int(single) if single is not None else None)
        plans = self.validate_batch(pairs, lambda item: check(item, False))
        t = now()
        out = []
        for plan in plans:
            row = apply(plan, t)
            out.append({"id": row["id"], "name": row["name"],
                        "updated_at": row["updated_at"],
                        "_links": self.links("/api/v4/%s/%d"
                                             % (entity, row["id"]))})
        if single is not None:
            return 200, out[0]
        return self.answer("/api/v4/" + entity, entity, out)

    def create_contacts(self, req, m):
        return self.create_named(req, "contacts")

    def update_contacts(self, req, m):
        return self.update_named(req, m, "contacts")

    def create_companies(self, req, m):
        return self.create_named(req, "companies")

    def update_companies(self, req, m):
        return self.update_named(req, m, "companies")

    # ------------------------------------------------------------------
    # Tasks
    # ------------------------------------------------------------------

    def check_task(self, item, creating):
        errs, plan = [], {}
        task = None
        if not creating:
            task = self.target(self.tasks, item, errs)
            if task is None:
                return errs, None
            plan["id"] = task["id"]
        text = self.f_typed(item, "text", str, errs)
        if text is not MISSING:
            if not text.strip():
                errs.append(not_blank("text"))
            plan["text"] = text
        elif creating and "text" not in item:
            errs.append(not_blank("text"))
        till = self.f_time(item, "complete_till", errs)
        if till is not MISSING:
            plan["complete_till"] = till
        elif creating and "complete_till" not in item:
            errs.append(not_blank("complete_till"))
        for key, kind in (("is_completed", bool), ("duration", int)):
            value = self.f_typed(item, key, kind, errs)
            if value is not MISSING:
                if key == "duration" and value < 0:
                    errs.append(not_choice("duration"))
                plan[key] = value
        ttype = self.f_typed(item, "task_type_id", int, errs)
        if ttype is not MISSING:
            if ttype not in [x[0] for x in TASK_TYPES]:
                errs.append(not_choice("task_type_id"))
            plan["task_type_id"] = ttype
        if "result" in item:
            result = item["result"]
            if result is None or result == []:
                plan["result"] = None
            elif isinstance(result, dict) and \
                    isinstance(result.get("text"), str):
                plan["result"] = result["text"]
            else:
                errs.append(invalid_type("result.text", "string"))
        self.common_fields(item, errs, plan, creating)
        if not creating:
            value = self.f_user(item, "updated_by", errs, robot=True)
            if value is not MISSING:
                plan["updated_by"] = value
        etype = self.f_typed(item, "entity_type", str, errs, nullable=True)
        eid = self.f_typed(item, "entity_id", int, errs, nullable=True)
        if etype is not MISSING or eid is not MISSING:
            etype = None if etype is MISSING else etype
            eid = None if eid is MISSING else eid
            if eid is not None and etype is None:
                errs.append(not_blank("entity_type"))
            elif etype is not None and eid is None:
                errs.append(not_blank("entity_id"))
            elif etype is not None:
                table = {"leads": self.leads, "contacts": self.contacts,
                         "companies": self.companies}.get(etype)
                row = table.get(eid) if table else None
                if etype not in ENTITY_TYPES + ("customers",):
                    errs.append(not_choice("entity_type"))
                elif row is None or row.get("is_deleted"):
                    errs.append(not_choice("entity_id"))
            plan["entity_type"], plan["entity_id"] = etype, eid
        return errs, plan

    def apply_task(self, plan, t):
        creating = "id" not in plan
        user = plan.get("updated_by", ME)
        if creating:
            task = {"id": max(self.tasks.next_id(), TASK_BASE + 1),
                    "created_by": plan.get("created_by", ME),
                    "updated_by": user,
                    "created_at": plan.get("created_at", t), "updated_at": t,
                    "responsible_user_id": ME, "entity_id": None,
                    "entity_type": None, "is_completed": False,
                    "task_type_id": 1, "text": "", "duration": 0,
                    "complete_till": t, "result": None}
            self.tasks.add(task)
            self.add_event("task_added", "task", task["id"],
                           task["created_by"], t, [], [])
        else:
            task = self.tasks.rows[plan["id"]]
        before = dict(task)
        if "entity_type" in plan and (
                (plan["entity_type"], plan["entity_id"]) !=
                (task["entity_type"], task["entity_id"])):
            if task["entity_type"] is not None:
                ids = self.tasks_of.get((task["entity_type"],
                                         task["entity_id"]), [])
                if task["id"] in ids:
                    ids.remove(task["id"])
            task["entity_type"] = plan["entity_type"]
            task["entity_id"] = plan["entity_id"]
            self.index_task(task)
        elif creating:
            self.index_task(task)
        for key in ("text", "complete_till", "is_completed", "duration",
                    "task_type_id", "result", "responsible_user_id"):
            if key in plan:
                task[key] = plan[key]
        task["updated_by"] = user
        task["updated_at"] = plan.get("updated_at", t)
        if task["is_completed"] and not before["is_completed"]:
            self.add_event("task_completed", "task", task["id"], user, t,
                           [], [])
        if not creating:
            for key, kind, wrap in (
                    ("text", "task_text_changed",
                     lambda v: {"task": {"text": v}}),
                    ("complete_till", "task_deadline_changed",
                     lambda v: {"task_deadline": {"timestamp": v}}),
                    ("task_type_id", "task_type_changed",
                     lambda v: {"task_type": {"id": v}})):
                if before[key] != task[key]:
                    self.add_event(kind, "task", task["id"], user, t,
                                   [wrap(before[key])], [wrap(task[key])])
            if before["responsible_user_id"] != task["responsible_user_id"]:
                self.add_event(
                    "entity_responsible_changed", "task", task["id"], user,
                    t, [{"responsible_user": {
                        "id": before["responsible_user_id"]}}],
                    [{"responsible_user": {
                        "id": task["responsible_user_id"]}}])
        if task["result"] is not None and task["result"] != before["result"]:
            self.add_event("task_result_added", "task", task["id"], user, t,
                           [], [{"note": {"id": self.next_system_note()}}])
        self.tasks.touch()
        self.changed()
        return task

    def create_tasks(self, req, m):
        pairs = self.write_items(req)
        plans = self.validate_batch(
            pairs, lambda item: self.check_task(item, True))
        t = now()
        out = []
        for (rid, _), plan in zip(pairs, plans):
            task = self.apply_task(plan, t)
            out.append({"id": task["id"], "request_id": rid,
                        "_links": self.links("/api/v4/tasks/%d"
                                             % task["id"])})
        return self.answer("/api/v4/tasks", "tasks", out)

    def update_tasks(self, req, m):
        single = m.get("id")
        pairs = self.write_items(
            req, single_id=int(single) if single is not None else None)
        plans = self.validate_batch(
            pairs, lambda item: self.check_task(item, False))
        t = now()
        out = []
        for (rid, _), plan in zip(pairs, plans):
            task = self.apply_task(plan, t)
            out.append({"id": task["id"], "updated_at": task["updated_at"],
                        "request_id": rid,
                        "_links": self.links("/api/v4/tasks/%d"
                                             % task["id"])})
        if single is not None:
            return 200, out[0]
        return self.answer("/api/v4/tasks", "tasks", out)

    # ------------------------------------------------------------------
    # Notes
    # ------------------------------------------------------------------

    def check_note(self, item, etype, path_eid, creating):
        errs, plan = [], {"entity_type": etype}
        note = None
        if not creating:
            note = self.target(self.notes, item, errs)
            if note is None:
                return errs, None
            if note["entity_type"] != etype or (
                    path_eid is not None and note["entity_id"] != path_eid):
                return [not_choice("id")], None
            plan["id"] = note["id"]
        table = {"leads": self.leads, "contacts": self.contacts,
                 "companies": self.companies}[etype]
        if path_eid is not None:
            eid = path_eid
        else:
            eid = self.f_typed(item, "entity_id", int, errs)
            if eid is MISSING and creating and "entity_id" not in item:
                errs.append(not_blank("entity_id"))
        if eid is not MISSING:
            row = table.get(eid)
            if row is None or row.get("is_deleted"):
                errs.append(not_choice("entity_id"))
            else:
                plan["entity_id"] = eid
        ntype = self.f_typed(item, "note_type", str, errs)
        if ntype is MISSING:
            if creating and "note_type" not in item:
                errs.append(not_blank("note_type"))
            ntype = note["note_type"] if note else None
        elif ntype not in ALL_NOTE_TYPES:
            errs.append(not_choice("note_type"))
            ntype = None
        else:
            plan["note_type"] = ntype
        params = item.get("params", MISSING)
        if params is MISSING:
            if creating:
                errs.append(not_blank("params"))
        elif not isinstance(params, dict):
            errs.append(invalid_type("params", "object"))
        elif ntype is not None:
            for key, kind in NOTE_PARAMS[ntype]:
                if key not in params:
                    errs.append(not_blank("params." + key))
                elif not (is_int(params[key]) if kind is int
                          else isinstance(params[key], kind)):
                    errs.append(invalid_type("params." + key,
                                             TYPE_NAMES[kind]))
            if ntype == "message_cashier" and params.get("status") not in (
                    "created", "shown", "canceled"):
                errs.append(not_choice("params.status"))
            plan["params"] = dict(params)
        for key in ("created_by", "responsible_user_id"):
            if key == "created_by" and not creating:
                continue
            value = self.f_user(item, key, errs, robot=key == "created_by")
            if value is not MISSING:
                plan[key] = value
        return errs, plan

    def apply_note(self, plan, t):
        creating = "id" not in plan
        if creating:
            user = plan.get("created_by", ME)
            note = {"id": max(self.notes.next_id(), NOTE_BASE + 1),
                    "entity_type": plan["entity_type"],
                    "entity_id": plan["entity_id"], "created_by": user,
                    "updated_by": user, "created_at": t, "updated_at": t,
                    "responsible_user_id": plan.get("responsible_user_id",
                                                    user),
                    "note_type": plan["note_type"],
                    "params": plan["params"]}
            self.notes.add(note)
            self.add_event(NOTE_EVENT[note["note_type"]],
                           EVENT_ENTITY[note["entity_type"]],
                           note["entity_id"], user, t, [],
                           [{"note": {"id": note["id"]}}])
        else:
            note = self.notes.rows[plan["id"]]
            for key in ("entity_id", "note_type", "params",
                        "responsible_user_id"):
                if key in plan:
                    note[key] = plan[key]
            note["updated_by"] = ME
            note["updated_at"] = t
        self.notes.touch()
        self.changed()
        return note

    def note_link(self, note):
        return self.links("/api/v4/%s/%d/notes/%d" % (
            note["entity_type"], note["entity_id"], note["id"]))

    def create_notes(self, req, m):
        etype = m["entity"]
        eid = int(m["eid"]) if m.get("eid") is not None else None
        pairs = self.write_items(req)
        plans = self.validate_batch(
            pairs, lambda item: self.check_note(item, etype, eid, True))
        t = now()
        out = []
        for (rid, _), plan in zip(pairs, plans):
            note = self.apply_note(plan, t)
            out.append({"id": note["id"], "entity_id": note["entity_id"],
                        "request_id": rid, "_links": self.note_link(note)})
        return self.answer(req.path, "notes", out)

    def update_notes(self, req, m):
        etype = m["entity"]
        eid = int(m["eid"]) if m.get("eid") is not None else None
        single = m.get("id")
        pairs = self.write_items(
            req, single_id=int(single) if single is not None else None)
        plans = self.validate_batch(
            pairs, lambda item: self.check_note(item, etype, eid, False))
        t = now()
        out = []
        for plan in plans:
            note = self.apply_note(plan, t)
            out.append({"id": note["id"], "entity_id": note["entity_id"],
                        "updated_at": note["updated_at"],
                        "_links": self.note_link(note)})
        if single is not None:
            return 200, out[0]
        return self.answer(req.path, "notes", out)
