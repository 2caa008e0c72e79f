"""How amoCRM shows its rows: internal row -> API object.

This module owns ``AmoRender``, the mixin that turns the rows of
``amocrm_data.py`` into the objects API v4 answers with: leads, contacts,
companies, tasks, notes, events, users, roles, pipelines and statuses, loss
reasons, tags, custom field definitions and values, and the account; with
their ``_links`` (absolute, built from the request's Host header) and the
``_embedded`` parts each ``with=`` option adds.  Reads, writes and dumps
all render through it, so a row always looks the same.

It must never change a row, parse a request or decide which rows a request
sees (that is ``amocrm_reads.py``).
"""

from amocrm_data import (ACCOUNT_ID, ACCOUNT_NAME, ENUM_TYPES, EVENT_TYPES,
                         GROUPS, ME, ROLES, SUBDOMAIN, TASK_TYPES)

ENTITY_PATH = {"lead": "leads", "contact": "contacts",
               "company": "companies", "task": "tasks",
               "customer": "customers"}
NAME_OPTION = {"lead": "lead_name", "contact": "contact_name",
               "company": "company_name"}


def rights(user):
    """A user's rights object in the shape the users API shows."""
    full = {"view": "A", "edit": "A", "add": "A", "delete": "A",
            "export": "A"}
    own = {"view": "A", "edit": "M", "add": "A", "delete": "M",
           "export": "D"}
    entity = full if user["is_admin"] or user["role_id"] == 1 else own
    return {
        "leads": dict(entity), "contacts": dict(entity),
        "companies": dict(entity),
        "tasks": {"edit": "A", "delete": "A" if user["is_admin"] else "M"},
        "mail_access": user["is_admin"], "catalog_access": True,
        "status_rights": [] if user["is_admin"] or user["role_id"] == 1
        else [{"entity_type": "leads", "pipeline_id": 7001,
               "status_id": 142, "rights": {"view": "A", "edit": "D",
                                            "delete": "D"}}],
        "is_admin": user["is_admin"], "is_free": user["is_free"],
        "is_active": user["is_active"], "group_id": user["group_id"],
        "role_id": user["role_id"],
    }


class AmoRender:
    """Mixin of ``AmoProvider``: renderers."""

    base = "http://localhost"       # scheme and host of absolute links

    def href(self, path):
        return self.base + path

    def links(self, path):
        return {"self": {"href": self.href(path)}}

    def group_of(self, user_id):
        user = self.users.rows.get(user_id)
        return user["group_id"] if user else 0

    # -- custom field values --

    def render_cf(self, entity, cf):
        """An entity's custom_fields_values: null when empty, else the
        fields in their sort order."""
        if not cf:
            return None
        fields = self.custom_fields[entity]
        out = []
        for fid in sorted(cf, key=lambda f: (fields[f]["sort"], f)):
            field = fields[fid]
            values = []
            codes = {e["id"]: e["value"] for e in field["enums"] or ()}
            for v in cf[fid]:
                if field["type"] in ENUM_TYPES:
                    # multitext enums are codes (WORK, MOB...); select
                    # enums have none
                    item = {"value": v["value"], "enum_id": v["enum_id"],
                            "enum_code": codes.get(v["enum_id"])
                            if field["type"] == "multitext" else None}
                else:
                    item = {"value": v["value"]}
                values.append(item)
            out.append({"field_id": fid, "field_name": field["name"],
                        "field_code": field["code"],
                        "field_type": field["type"], "values": values})
        return out

    def render_tags(self, entity, tag_ids):
        table = self.tags[entity]
        return [self.render_tag(table.rows[t]) for t in tag_ids
                if t in table.rows]

    def render_tag(self, t):
        return {"id": t["id"], "name": t["name"], "color": t["color"]}

    # -- leads, contacts, companies --

    def render_lead(self, lead, with_=()):
        if lead["is_deleted"] and "only_deleted" in with_:
            return {"id": lead["id"], "updated_by": lead["updated_by"],
                    "updated_at": lead["updated_at"], "is_deleted": True,
                    "_links": self.links("/api/v4/leads/%d" % lead["id"])}
        out = {
            "id": lead["id"], "name": lead["name"], "price": lead["price"],
            "responsible_user_id": lead["responsible_user_id"],
            "group_id": self.group_of(lead["responsible_user_id"]),
            "status_id": lead["status_id"],
            "pipeline_id": lead["pipeline_id"],
            "loss_reason_id": lead["loss_reason_id"], "source_id": None,
            "created_by": lead["created_by"],
            "updated_by": lead["updated_by"],
            "created_at": lead["created_at"],
            "updated_at": lead["updated_at"],
            "closed_at": lead["closed_at"],
            "closest_task_at": self.closest_task_at("leads", lead["id"]),
            "is_deleted": lead["is_deleted"],
            "custom_fields_values": self.render_cf("leads", lead["cf"]),
            "score": lead["score"], "account_id": ACCOUNT_ID,
            "labor_cost": lead["labor_cost"],
        }
        if "is_price_modified_by_robot" in with_:
            out["is_price_modified_by_robot"] = False
        out["_links"] = self.links("/api/v4/leads/%d" % lead["id"])
        emb = {"tags": self.render_tags("leads", lead["tags"])}
        if "catalog_elements" in with_:
            emb["catalog_elements"] = []
        if "loss_reason" in with_ and lead["loss_reason_id"] is not None:
            reason = self.loss_reasons.rows.get(lead["loss_reason_id"])
            if reason:
                emb["loss_reason"] = [self.render_loss_reason(reason)]
        emb["companies"] = [] if lead["company_id"] is None else [
            {"id": lead["company_id"], "_links": self.links(
                "/api/v4/companies/%d" % lead["company_id"])}]
        if "contacts" in with_:
            emb["contacts"] = [
                {"id": cid, "is_main": main, "_links": self.links(
                    "/api/v4/contacts/%d" % cid)}
                for cid, main in lead["contacts"]]
        out["_embedded"] = emb
        return out

    def render_contact(self, c, with_=()):
        out = {
            "id": c["id"], "name": c["name"], "first_name": c["first_name"],
            "last_name": c["last_name"],
            "responsible_user_id": c["responsible_user_id"],
            "group_id": self.group_of(c["responsible_user_id"]),
            "created_by": c["created_by"], "updated_by": c["updated_by"],
            "created_at": c["created_at"], "updated_at": c["updated_at"],
            "closest_task_at": self.closest_task_at("contacts", c["id"]),
            "is_deleted": c["is_deleted"],
            "custom_fields_values": self.render_cf("contacts", c["cf"]),
            "account_id": ACCOUNT_ID,
            "_links": self.links("/api/v4/contacts/%d" % c["id"]),
        }
        emb = {"tags": self.render_tags("contacts", c["tags"])}
        if "leads" in with_:
            emb["leads"] = [{"id": i, "_links": self.links(
                "/api/v4/leads/%d" % i)} for i in sorted(
                    self.leads_of_contact.get(c["id"], ()))
                if not self.leads.rows[i]["is_deleted"]]
        if "customers" in with_:
            emb["customers"] = []
        if "catalog_elements" in with_:
            emb["catalog_elements"] = []
        emb["companies"] = [] if c["company_id"] is None else [
            {"id": c["company_id"], "_links": self.links(
                "/api/v4/companies/%d" % c["company_id"])}]
        out["_embedded"] = emb
        return out

    def render_company(self, c, with_=()):
        out = {
            "id": c["id"], "name": c["name"],
            "responsible_user_id": c["responsible_user_id"],
            "group_id": self.group_of(c["responsible_user_id"]),
            "created_by": c["created_by"], "updated_by": c["updated_by"],
            "created_at": c["created_at"], "updated_at": c["updated_at"],
            "closest_task_at": self.closest_task_at("companies", c["id"]),
            "custom_fields_values": self.render_cf("companies", c["cf"]),
            "is_deleted": c["is_deleted"], "account_id": ACCOUNT_ID,
            "_links": self.links("/api/v4/companies/%d" % c["id"]),
        }
        emb = {"tags": self.render_tags("companies", c["tags"])}
        if "contacts" in with_:
            emb["contacts"] = [{"id": i, "_links": self.links(
                "/api/v4/contacts/%d" % i)} for i in sorted(
                    self.contacts_of_company.get(c["id"], ()))]
        if "leads" in with_:
            emb["leads"] = [{"id": i, "_links": self.links(
                "/api/v4/leads/%d" % i)} for i in sorted(
                    self.leads_of_company.get(c["id"], ()))
                if not self.leads.rows[i]["is_deleted"]]
        if "customers" in with_:
            emb["customers"] = []
        if "catalog_elements" in with_:
            emb["catalog_elements"] = []
        out["_embedded"] = emb
        return out

    # -- tasks, notes, events --

    def render_task(self, t):
        return {
            "id": t["id"], "created_by": t["created_by"],
            "updated_by": t["updated_by"], "created_at": t["created_at"],
            "updated_at": t["updated_at"],
            "responsible_user_id": t["responsible_user_id"],
            "group_id": self.group_of(t["responsible_user_id"]),
            "entity_id": t["entity_id"], "entity_type": t["entity_type"],
            "duration": t["duration"], "is_completed": t["is_completed"],
            "task_type_id": t["task_type_id"], "text": t["text"],
            # an empty result is [] (as amoCRM's PHP serializes it)
            "result": {"text": t["result"]} if t["result"] is not None
            else [],
            "complete_till": t["complete_till"], "account_id": ACCOUNT_ID,
            "_links": self.links("/api/v4/tasks/%d" % t["id"]),
        }

    def render_note(self, n):
        return {
            "id": n["id"], "entity_id": n["entity_id"],
            "created_by": n["created_by"], "updated_by": n["updated_by"],
            "created_at": n["created_at"], "updated_at": n["updated_at"],
            "responsible_user_id": n["responsible_user_id"],
            "group_id": self.group_of(n["responsible_user_id"]),
            "note_type": n["note_type"], "params": dict(n["params"]),
            "account_id": ACCOUNT_ID,
            "_links": self.links("/api/v4/%s/%d/notes/%d" % (
                n["entity_type"], n["entity_id"], n["id"])),
        }

    def entity_name(self, entity_type, entity_id):
        table = {"lead": self.leads, "contact": self.contacts,
                 "company": self.companies}.get(entity_type)
        row = table.rows.get(entity_id) if table else None
        return row["name"] if row else None

    def render_event(self, e, with_=()):
        entity = {"id": e["entity_id"], "_links": self.links(
            "/api/v4/%s/%d" % (ENTITY_PATH[e["entity_type"]],
                               e["entity_id"]))}
        if NAME_OPTION.get(e["entity_type"]) in with_:
            entity["name"] = self.entity_name(e["entity_type"],
                                              e["entity_id"])
        return {
            "id": e["id"], "type": e["type"], "entity_id": e["entity_id"],
            "entity_type": e["entity_type"], "created_by": e["created_by"],
            "created_at": e["created_at"],
            "value_after": e["value_after"],
            "value_before": e["value_before"], "account_id": ACCOUNT_ID,
            "_links": self.links("/api/v4/events/%s" % e["id"]),
            "_embedded": {"entity": entity},
        }

    def render_event_type(self, key, code, ru, en, lang):
        return {"key": key, "type": code, "lang": ru if lang == "ru" else en}

    # -- users, roles, groups --

    def render_user(self, u, with_=()):
        out = {"id": u["id"], "name": u["name"], "email": u["email"],
               "lang": u["lang"], "rights": rights(u)}
        if "uuid" in with_:
            out["uuid"] = u["uuid"]
        if "amojo_id" in with_:
            out["amojo_id"] = u["uuid"]
        if "user_rank" in with_:
            out["user_rank"] = u["rank"]
        if "phone_number" in with_:
            out["phone_number"] = u["phone"]
        out["_links"] = self.links("/api/v4/users/%d" % u["id"])
        emb = {}
        if "role" in with_:
            emb["roles"] = [] if u["role_id"] is None else [
                {"id": u["role_id"], "name": dict(ROLES)[u["role_id"]],
                 "_links": self.links("/api/v4/roles/%d" % u["role_id"])}]
        if "group" in with_:
            emb["groups"] = [{"id": u["group_id"],
                              "name": dict(GROUPS)[u["group_id"]]}]
        if emb:
            out["_embedded"] = emb
        return out

    def render_role(self, role_id, with_=()):
        sample = {"is_admin": False, "is_free": False, "is_active": True,
                  "group_id": None, "role_id": role_id}
        r = rights(sample)
        for key in ("is_admin", "is_free", "is_active", "group_id",
                    "role_id"):
            del r[key]
        out = {"id": role_id, "name": dict(ROLES)[role_id], "rights": r,
               "_links": self.links("/api/v4/roles/%d" % role_id)}
        if "users" in with_:
            out["_embedded"] = {"users": [
                u["id"] for u in self.users.values()
                if u["role_id"] == role_id]}
        return out

    # -- pipelines, statuses, loss reasons, custom fields --

    def render_status(self, s, descriptions=False):
        out = {"id": s["id"], "name": s["name"], "sort": s["sort"],
               "is_editable": s["is_editable"],
               "pipeline_id": s["pipeline_id"], "color": s["color"],
               "type": s["type"], "account_id": ACCOUNT_ID,
               "_links": self.links("/api/v4/leads/pipelines/%d/statuses/%d"
                                    % (s["pipeline_id"], s["id"]))}
        if descriptions:
            out["descriptions"] = []
        return out

    def render_pipeline(self, p):
        return {"id": p["id"], "name": p["name"], "sort": p["sort"],
                "is_main": p["is_main"],
                "is_unsorted_on": p["is_unsorted_on"],
                "is_archive": p["is_archive"], "account_id": ACCOUNT_ID,
                "_links": self.links("/api/v4/leads/pipelines/%d" % p["id"]),
                "_embedded": {"statuses": [
                    self.render_status(s)
                    for s in self.statuses_of[p["id"]]]}}

    def render_loss_reason(self, r):
        return {"id": r["id"], "name": r["name"], "sort": r["sort"],
                "created_at": r["created_at"], "updated_at": r["updated_at"],
                "_links": self.links("/api/v4/leads/loss_reasons/%d"
                                     % r["id"])}

    def render_field(self, f):
        out = {"id": f["id"], "name": f["name"], "type": f["type"],
               "account_id": ACCOUNT_ID, "code": f["code"],
               "sort": f["sort"], "is_api_only": f["is_api_only"],
               "enums": None if f["enums"] is None else [
                   {"id": e["id"], "value": e["value"], "sort": e["sort"]}
                   for e in f["enums"]],
               "group_id": f["group_id"],
               "required_statuses": list(f["required_statuses"]),
               "is_deletable": f["is_deletable"],
               "is_predefined": f["is_predefined"],
               "entity_type": f["entity_type"], "remind": None,
               "currency": None}
        if f["entity_type"] == "leads":
            out.update({"is_computed": False, "hidden_statuses": [],
                        "chained_lists": None})
        out["_links"] = self.links("/api/v4/%s/custom_fields/%d"
                                   % (f["entity_type"], f["id"]))
        return out

    # -- the account --

    def render_task_type(self, t):
        tid, name, code, color, icon = t
        return {"id": tid, "name": name, "color": color, "icon_id": icon,
                "code": code}

    def render_account(self, with_=(), filters_enabled=True):
        out = {"id": ACCOUNT_ID, "name": ACCOUNT_NAME,
               "subdomain": SUBDOMAIN, "current_user_id": ME,
               "country": "RU", "customers_mode": "disabled",
               "is_unsorted_on": any(p["is_unsorted_on"]
                                     for p in self.pipelines.values()),
               "is_loss_reason_enabled": True,
               "is_helpbot_enabled": False, "is_technical_account": False,
               "contact_name_display_order": 1}
        if "amojo_id" in with_:
            out["amojo_id"] = "f3c6340d-410e-4ad1-9f7e-c5e663599909"
        if "version" in with_:
            out["version"] = 16
        if "drive_url" in with_:
            out["drive_url"] = "https://drive-b.amocrm.ru"
        if "is_api_filter_enabled" in with_:
            out["is_api_filter_enabled"] = filters_enabled
        if "entity_names" in with_:
            out["entity_names"] = {"leads": {
                "ru": {"gender": "f", "plural_form": {"default": "сделки"},
                       "singular_form": {"default": "сделка"}},
                "en": {"gender": "f", "plural_form": {"default": "leads"},
                       "singular_form": {"default": "lead"}}}}
        if "invoices_settings" in with_:
            out["invoices_settings"] = {"lang": "ru",
                                        "invoices_catalog_id": None}
        out["_links"] = self.links("/api/v4/account")
        emb = {}
        if "amojo_rights" in with_:
            emb["amojo_rights"] = {"can_direct": True,
                                   "can_create_groups": True}
        if "users_groups" in with_:
            emb["users_groups"] = [{"id": gid, "name": name, "uuid": None}
                                   for gid, name in GROUPS]
        if "task_types" in with_:
            emb["task_types"] = [self.render_task_type(t)
                                 for t in TASK_TYPES]
        if "datetime_settings" in with_:
            emb["datetime_settings"] = {
                "date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y",
                "short_time_pattern": "H:i", "date_formant": "d.m.Y",
                "time_format": "H:i:s", "timezone": "Europe/Moscow",
                "timezone_offset": "+03:00"}
        if emb:
            out["_embedded"] = emb
        return out

    def event_types(self, lang):
        return [self.render_event_type(key, code, ru, en, lang)
                for key, code, ru, en in EVENT_TYPES]
