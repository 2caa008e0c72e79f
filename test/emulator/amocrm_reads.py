"""amoCRM's read endpoints: query parameters, filters, order, paging.

This module owns ``AmoReads``, the mixin behind every GET of the emulated
API v4: PHP-style query parameters (``filter[id][]=1``,
``filter[statuses][0][pipeline_id]=...``), the filters each list documents
(and the account switch that turns the lead/contact/company filters off),
``order[field]=asc|desc``, ``with=`` options, ``page``/``limit`` paging with
HAL envelopes (``_page``, ``_links``, ``_embedded``) and HTTP 204 for an
empty result or an unknown id.

It must never change data (``amocrm_writes.py``) nor render a row itself
(``amocrm_render.py``).
"""

import urllib.parse

from amocrm_data import ALL_NOTE_TYPES, ENTITY_TYPES, EVENT_TYPES, ROLES
from amocrm_errors import (in_range, invalid_type, not_blank, not_choice,
                           q_bools, q_ints, q_range, q_strings, query_error)
from provider_kit import bracket_params, to_int

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
EVENTS_MAX_LIMIT = 100
FIELDS_MAX_LIMIT = 50           # "the method returns up to 50 fields"
EVENT_ENTITIES = ("lead", "contact", "company", "customer", "task")
KNOWN_EVENT_TYPES = {key for key, _, _, _ in EVENT_TYPES}
NO_CONTENT = (204, None)

# order fields each list documents (events: what clients use)
ORDER_FIELDS = {
    "leads": ("created_at", "updated_at", "id"),
    "contacts": ("updated_at", "id"),
    "companies": ("updated_at", "id"),
    "tasks": ("created_at", "complete_till", "id"),
    "notes": ("updated_at", "id"),
    "custom_fields": ("sort", "id"),
    "events": ("created_at", "id"),
}
# list filters each entity supports when API filtering is enabled
ENTITY_FILTERS = {
    "leads": ("id", "name", "price", "statuses", "pipeline_id",
              "created_by", "updated_by", "responsible_user_id",
              "created_at", "updated_at", "closed_at", "closest_task_at",
              "custom_fields_values"),
    "contacts": ("id", "name", "created_by", "updated_by",
                 "responsible_user_id", "created_at", "updated_at",
                 "closest_task_at", "custom_fields_values"),
    "companies": ("id", "name", "created_by", "updated_by",
                  "responsible_user_id", "created_at", "updated_at",
                  "closest_task_at", "custom_fields_values"),
}
CACHE_SIZE = 16


class AmoReads:
    """Mixin of ``AmoProvider``: GET endpoints."""

    # ------------------------------------------------------------------
    # Query parsing
    # ------------------------------------------------------------------

    def params(self, req):
        if getattr(req, "amo_params", None) is None:
            req.amo_params = bracket_params(req.raw_query)
        return req.amo_params

    def with_set(self, q):
        value = q.get("with")
        if not isinstance(value, str):
            return set()
        return {w.strip() for w in value.split(",") if w.strip()}

    def page_args(self, q, max_limit):
        page, limit = 1, min(DEFAULT_LIMIT, max_limit)
        for name in ("page", "limit"):
            if name not in q:
                continue
            value = q[name]
            try:
                number = to_int(value) if isinstance(value, str) else None
            except ValueError:
                number = None
            if number is None:
                raise query_error(invalid_type(name, "int"))
            if number < 1:
                raise query_error(not_choice(
                    name, "This value should be greater than or equal "
                          "to 1."))
            if name == "page":
                page = number
            else:
                limit = min(number, max_limit)     # amoCRM caps it
        return page, limit

    def order_rows(self, q, rows, kind, default=("id", "asc")):
        """Apply ``order[field]=asc|desc`` (the first one given)."""
        field, direction = default
        order = q.get("order")
        if order is not None:
            if not isinstance(order, dict) or not order:
                raise query_error(invalid_type("order", "object"))
            field, direction = next(iter(order.items()))
            if field not in ORDER_FIELDS[kind]:
                raise query_error(not_choice("order"))
            if not isinstance(direction, str) or \
                    direction.lower() not in ("asc", "desc"):
                raise query_error(not_choice("order.%s" % field))
            direction = direction.lower()
        key = (lambda r: r[field]) if field != "id" else None
        if key is None:
            rows = sorted(rows, key=lambda r: r["id"])
        else:
            rows = sorted(rows, key=lambda r: (key(r), r["id"]))
        if direction == "desc":
            rows.reverse()
        return rows

    # ------------------------------------------------------------------
    # Paging and envelopes
    # ------------------------------------------------------------------

    def list_href(self, req, page, limit):
        parts = [p for p in req.raw_query.split("&") if p and
                 urllib.parse.unquote_plus(p.partition("=")[0])
                 not in ("page", "limit")]
        parts += ["limit=%d" % limit, "page=%d" % page]
        return self.href(req.path + "?" + "&".join(parts))

    def hal_page(self, req, key, rows, render, max_limit=MAX_LIMIT,
                 totals=False):
        """One page of a list: 204 when it is empty."""
        q = self.params(req)
        page, limit = self.page_args(q, max_limit)
        start = (page - 1) * limit
        chunk = rows[start:start + limit]
        if not chunk:
            return NO_CONTENT
        body = {}
        if totals:
            body["_total_items"] = len(rows)
        body["_page"] = page
        if totals:
            body["_page_count"] = -(-len(rows) // limit)
        links = {"self": {"href": self.list_href(req, page, limit)}}
        if start + limit < len(rows):
            links["next"] = {"href": self.list_href(req, page + 1, limit)}
        if page > 1:
            links["first"] = {"href": self.list_href(req, 1, limit)}
            links["prev"] = {"href": self.list_href(req, page - 1, limit)}
        body["_links"] = links
        body["_embedded"] = {key: [render(r) for r in chunk]}
        return 200, body

    def cached_rows(self, req, compute):
        """Filtered, ordered rows of a list, cached per query (without
        page/limit) and data version so that paging stays linear."""
        q = sorted(p for p in req.raw_query.split("&") if p and
                   urllib.parse.unquote_plus(p.partition("=")[0])
                   not in ("page", "limit"))
        key = (req.path, tuple(q), self.filters_on, self.version)
        rows = self.list_cache.get(key)
        if rows is None:
            rows = compute()
            if len(self.list_cache) >= CACHE_SIZE:
                self.list_cache.pop(next(iter(self.list_cache)))
            self.list_cache[key] = rows
        return rows

    # ------------------------------------------------------------------
    # Filters
    # ------------------------------------------------------------------

    def entity_filter(self, q, entity):
        """The ``filter[...]`` of a lead/contact/company list as a row
        predicate; None when there is none or the account has API
        filtering switched off (then amoCRM ignores it)."""
        f = q.get("filter")
        if not self.filters_on or not isinstance(f, dict):
            return None
        checks = []
        known = ENTITY_FILTERS[entity]
        for name in ("id", "pipeline_id", "created_by", "updated_by",
                     "responsible_user_id"):
            if name in known and name in f:
                values = q_ints(f[name], "filter." + name)
                if values is not None:
                    checks.append(lambda r, n=name, v=set(values):
                                  r[n] in v)
        if "name" in f:
            names = q_strings(f["name"], "filter.name")
            if names is not None:
                checks.append(lambda r, v=set(names): r["name"] in v)
        for name in ("price", "created_at", "updated_at", "closed_at"):
            if name in known and name in f:
                bounds = q_range(f[name], "filter." + name)
                if bounds is not None:
                    checks.append(lambda r, n=name, b=bounds:
                                  in_range(r[n], b))
        if "closest_task_at" in f:
            bounds = q_range(f["closest_task_at"], "filter.closest_task_at")
            if bounds is not None:
                checks.append(lambda r, b=bounds: in_range(
                    self.closest_task_at(entity, r["id"]), b))
        if entity == "leads" and "statuses" in f:
            pairs = self.status_pairs(f["statuses"], "filter.statuses")
            if pairs:
                checks.append(lambda r, v=pairs:
                              (r["status_id"], r["pipeline_id"]) in v)
        if "custom_fields_values" in f:
            checks.extend(self.cf_filters(entity, f["custom_fields_values"]))
        if not checks:
            return None
        return lambda r: all(check(r) for check in checks)

    def status_pairs(self, node, path):
        """``[i][pipeline_id]`` + ``[i][status_id]`` entries -> set of
        (status_id, pipeline_id); each entry needs both."""
        if isinstance(node, dict):
            entries = [(k, node[k]) for k in sorted(
                node, key=lambda k: (not k.isdigit(),
                                     int(k) if k.isdigit() else 0, k))]
        elif isinstance(node, list):
            entries = list(enumerate(node))
        else:
            raise query_error(invalid_type(path, "array"))
        pairs = set()
        for index, entry in entries:
            where = "%s.%s" % (path, index)
            if not isinstance(entry, dict):
                raise query_error(invalid_type(where, "object"))
            ids = []
            for key in ("pipeline_id", "status_id"):
                value = entry.get(key)
                if value is None or (isinstance(value, str) and
                                     not value.strip()):
                    raise query_error(not_blank("%s.%s" % (where, key)))
                values = q_ints(value, "%s.%s" % (where, key))
                ids.append(values[0])
            pairs.add((ids[1], ids[0]))
        return pairs

    def cf_filters(self, entity, node):
        """``filter[custom_fields_values][FIELD_ID][]=value`` (enum ids for
        select fields, 1/0 for checkboxes) or ``[FIELD_ID][from|to]``."""
        if not isinstance(node, dict):
            raise query_error(invalid_type("filter.custom_fields_values",
                                           "object"))
        checks = []
        fields = self.custom_fields[entity]
        for key, spec in node.items():
            path = "filter.custom_fields_values.%s" % key
            try:
                field = fields.get(to_int(key))
            except ValueError:
                field = None
            if field is None:
                raise query_error(not_choice(path))
            fid, ftype = field["id"], field["type"]
            if isinstance(spec, dict) and ("from" in spec or "to" in spec):
                bounds = q_range(spec, path)
                checks.append(lambda r, f=fid, b=bounds: any(
                    in_range(self.as_number(v["value"]), b)
                    for v in r["cf"].get(f, ())))
                continue
            if ftype in ("select", "multiselect", "radiobutton"):
                wanted = set(q_ints(spec, path) or ())
                checks.append(lambda r, f=fid, w=wanted: any(
                    v["enum_id"] in w for v in r["cf"].get(f, ())))
            elif ftype == "checkbox":
                wanted = q_bools(spec, path) or set()
                checks.append(lambda r, f=fid, w=wanted: any(
                    v["value"] in w for v in r["cf"].get(f, ())))
            else:
                wanted = set(q_strings(spec, path) or ())
                checks.append(lambda r, f=fid, w=wanted: any(
                    str(v["value"]) in w for v in r["cf"].get(f, ())))
        return checks

    @staticmethod
    def as_number(value):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    def search(self, q, entity):
        """``query``: a case-insensitive substring of the name (and of
        first/last name and text field values), or the id."""
        text = q.get("query")
        if not isinstance(text, str) or not text.strip():
            return None
        needle = text.strip().lower()

        def match(r):
            if needle.isdigit() and r["id"] == int(needle):
                return True
            hay = [r.get("name") or "", r.get("first_name") or "",
                   r.get("last_name") or ""]
            for values in r["cf"].values():
                hay.extend(str(v["value"]) for v in values)
            return any(needle in h.lower() for h in hay)
        return match

    # ------------------------------------------------------------------
    # Leads, contacts, companies
    # ------------------------------------------------------------------

    def entity_list(self, req, entity):
        q = self.params(req)
        with_ = self.with_set(q)
        table = {"leads": self.leads, "contacts": self.contacts,
                 "companies": self.companies}[entity]
        render = {"leads": self.render_lead, "contacts": self.render_contact,
                  "companies": self.render_company}[entity]
        deleted = entity == "leads" and "only_deleted" in with_

        def compute():
            pred = self.entity_filter(q, entity)
            found = self.search(q, entity)
            rows = [r for r in table.values() if r["is_deleted"] == deleted
                    and (pred is None or pred(r))
                    and (found is None or found(r))]
            return self.order_rows(q, rows, entity)
        rows = self.cached_rows(req, compute)
        return self.hal_page(req, entity, rows,
                             lambda r: render(r, with_))

    def list_leads(self, req, m):
        return self.entity_list(req, "leads")

    def list_contacts(self, req, m):
        return self.entity_list(req, "contacts")

    def list_companies(self, req, m):
        return self.entity_list(req, "companies")

    def get_lead(self, req, m):
        lead = self.leads.get(int(m["id"]))
        if lead is None or lead["is_deleted"]:
            return NO_CONTENT
        return 200, self.render_lead(lead, self.with_set(self.params(req)))

    def get_contact(self, req, m):
        c = self.contacts.get(int(m["id"]))
        if c is None:
            return NO_CONTENT
        return 200, self.render_contact(c, self.with_set(self.params(req)))

    def get_company(self, req, m):
        c = self.companies.get(int(m["id"]))
        if c is None:
            return NO_CONTENT
        return 200, self.render_company(c, self.with_set(self.params(req)))

    # ------------------------------------------------------------------
    # Pipelines, statuses, loss reasons
    # ------------------------------------------------------------------

    def list_pipelines(self, req, m):
        rows = sorted(self.pipelines.values(),
                      key=lambda p: (p["sort"], p["id"]))
        return 200, {"_total_items": len(rows),
                     "_links": self.links("/api/v4/leads/pipelines"),
                     "_embedded": {"pipelines": [
                         self.render_pipeline(p) for p in rows]}}

    def get_pipeline(self, req, m):
        p = self.pipelines.get(int(m["id"]))
        if p is None:
            return NO_CONTENT
        return 200, self.render_pipeline(p)

    def list_statuses(self, req, m):
        pid = int(m["id"])
        if pid not in self.statuses_of:
            return NO_CONTENT
        desc = "descriptions" in self.with_set(self.params(req))
        rows = self.statuses_of[pid]
        return 200, {"_total_items": len(rows), "_embedded": {"statuses": [
            self.render_status(s, desc) for s in rows]}}

    def get_status(self, req, m):
        s = self.status(int(m["id"]), int(m["sid"]))
        if s is None:
            return NO_CONTENT
        desc = "descriptions" in self.with_set(self.params(req))
        return 200, self.render_status(s, desc)

    def list_loss_reasons(self, req, m):
        rows = sorted(self.loss_reasons.values(),
                      key=lambda r: (r["sort"], r["id"]))
        return self.hal_page(req, "loss_reasons", rows,
                             self.render_loss_reason)

    def get_loss_reason(self, req, m):
        r = self.loss_reasons.get(int(m["id"]))
        if r is None:
            return NO_CONTENT
        return 200, self.render_loss_reason(r)

    # ------------------------------------------------------------------
    # Users, roles, account, tags, custom fields
    # ------------------------------------------------------------------

    def list_users(self, req, m):
        with_ = self.with_set(self.params(req))
        return self.hal_page(req, "users", list(self.users.values()),
                             lambda u: self.render_user(u, with_),
                             totals=True)

    def get_user(self, req, m):
        u = self.users.get(int(m["id"]))
        if u is None:
            return NO_CONTENT
        return 200, self.render_user(u, self.with_set(self.params(req)))

    def list_roles(self, req, m):
        with_ = self.with_set(self.params(req))
        return self.hal_page(req, "roles", [{"id": r} for r, _ in ROLES],
                             lambda r: self.render_role(r["id"], with_),
                             totals=True)

    def get_role(self, req, m):
        role_id = int(m["id"])
        if role_id not in dict(ROLES):
            return NO_CONTENT
        return 200, self.render_role(role_id,
                                     self.with_set(self.params(req)))

    def get_account(self, req, m):
        return 200, self.render_account(self.with_set(self.params(req)),
                                        self.filters_on)

    def list_tags(self, req, m):
        q = self.params(req)
        f = q.get("filter") if isinstance(q.get("filter"), dict) else {}
        ids = q_ints(f.get("id"), "filter.id")
        name = f.get("name")
        if name is not None and not isinstance(name, str):
            raise query_error(invalid_type("filter.name", "string"))
        text = q.get("query") if isinstance(q.get("query"), str) else ""
        rows = [t for t in self.tags[m["entity"]].values()
                if (ids is None or t["id"] in ids)
                and (not name or t["name"] == name)
                and text.lower() in t["name"].lower()]
        return self.hal_page(req, "tags", rows, self.render_tag)

    def list_fields(self, req, m):
        q = self.params(req)
        f = q.get("filter") if isinstance(q.get("filter"), dict) else {}
        types = q_strings(f.get("type"), "filter.type")
        rows = [x for x in self.custom_fields[m["entity"]].values()
                if types is None or x["type"] in types]
        rows = self.order_rows(q, rows, "custom_fields")
        return self.hal_page(req, "custom_fields", rows, self.render_field,
                             max_limit=FIELDS_MAX_LIMIT, totals=True)

    def get_field(self, req, m):
        field = self.custom_fields[m["entity"]].get(int(m["id"]))
        if field is None:
            return NO_CONTENT
        return 200, self.render_field(field)

    # ------------------------------------------------------------------
    # Tasks
    # ------------------------------------------------------------------

    def list_tasks(self, req, m):
        q = self.params(req)
        f = q.get("filter") if isinstance(q.get("filter"), dict) else {}
        checks = []
        for name, column in (("id", "id"), ("responsible_user_id",
                                            "responsible_user_id"),
                             ("task_type", "task_type_id")):
            values = q_ints(f.get(name), "filter." + name)
            if values is not None:
                checks.append(lambda t, c=column, v=set(values): t[c] in v)
        done = q_bools(f.get("is_completed"), "filter.is_completed")
        if done is not None:
            checks.append(lambda t, v=done: t["is_completed"] in v)
        etypes = q_strings(f.get("entity_type"), "filter.entity_type")
        if etypes is not None:
            for etype in etypes:
                if etype not in ENTITY_TYPES + ("customers",):
                    raise query_error(not_choice("filter.entity_type"))
            checks.append(lambda t, v=set(etypes): t["entity_type"] in v)
        eids = q_ints(f.get("entity_id"), "filter.entity_id")
        if eids is not None:
            if etypes is None:
                raise query_error(not_blank("filter.entity_type"))
            checks.append(lambda t, v=set(eids): t["entity_id"] in v)
        bounds = q_range(f.get("updated_at"), "filter.updated_at")
        if bounds is not None:
            checks.append(lambda t, b=bounds: in_range(t["updated_at"], b))

        def compute():
            rows = [t for t in self.tasks.values()
                    if all(check(t) for check in checks)]
            return self.order_rows(q, rows, "tasks")
        rows = self.cached_rows(req, compute)
        return self.hal_page(req, "tasks", rows, self.render_task)

    def get_task(self, req, m):
        t = self.tasks.get(int(m["id"]))
        if t is None:
            return NO_CONTENT
        return 200, self.render_task(t)

    # ------------------------------------------------------------------
    # Notes
    # ------------------------------------------------------------------

    def list_notes(self, req, m):
        q = self.params(req)
        etype = m["entity"]
        f = q.get("filter") if isinstance(q.get("filter"), dict) else {}
        checks = [lambda n: n["entity_type"] == etype]
        if m.get("eid") is not None:
            eid = int(m["eid"])
            checks.append(lambda n: n["entity_id"] == eid)
        else:
            eids = q_ints(f.get("entity_id"), "filter.entity_id")
            if eids is not None:
                checks.append(lambda n, v=set(eids): n["entity_id"] in v)
        ids = q_ints(f.get("id"), "filter.id")
        if ids is not None:
            checks.append(lambda n, v=set(ids): n["id"] in v)
        types = q_strings(f.get("note_type"), "filter.note_type",
                          split_commas=True)
        if types is not None:
            for t in types:
                if t not in ALL_NOTE_TYPES:
                    raise query_error(not_choice("filter.note_type"))
            checks.append(lambda n, v=set(types): n["note_type"] in v)
        bounds = q_range(f.get("updated_at"), "filter.updated_at")
        if bounds is not None:
            checks.append(lambda n, b=bounds: in_range(n["updated_at"], b))

        def compute():
            rows = [n for n in self.notes.values()
                    if all(check(n) for check in checks)]
            return self.order_rows(q, rows, "notes")
        rows = self.cached_rows(req, compute)
        return self.hal_page(req, "notes", rows, self.render_note)

    def get_note(self, req, m):
        n = self.notes.get(int(m["id"]))
        if n is None or n["entity_type"] != m["entity"] or (
                m.get("eid") is not None and
                n["entity_id"] != int(m["eid"])):
            return NO_CONTENT
        return 200, self.render_note(n)

    # ------------------------------------------------------------------
    # Events
    # ------------------------------------------------------------------

    def event_filter(self, q):
        f = q.get("filter") if isinstance(q.get("filter"), dict) else {}
        checks = []
        ids = q_strings(f.get("id"), "filter.id", split_commas=True)
        if ids is not None:
            checks.append(lambda e, v=set(ids): e["id"] in v)
        types = q_strings(f.get("type"), "filter.type", split_commas=True)
        field_types = {}
        if types is not None:
            plain = set()
            for t in types:
                if t.startswith("custom_field_") and \
                        t.endswith("_value_changed") and \
                        t[13:-14].isdigit():
                    field_types[int(t[13:-14])] = t
                elif t in KNOWN_EVENT_TYPES:
                    plain.add(t)
                else:
                    raise query_error(not_choice("filter.type"))
            if field_types and (plain or len(field_types) > 1):
                raise query_error(not_choice(
                    "filter.type", "A custom_field_{FIELD_ID}_value_changed "
                                   "type cannot be combined with others."))
            fids = set(field_types)
            checks.append(lambda e, p=plain, f=fids: e["type"] in p or (
                e["type"] == "custom_field_value_changed" and any(
                    v.get("custom_field_value", {}).get("field_id") in f
                    for v in e["value_after"] + e["value_before"])))
        entities = q_strings(f.get("entity"), "filter.entity",
                             split_commas=True)
        if entities is not None:
            for ent in entities:
                if ent not in EVENT_ENTITIES and not (
                        ent.startswith("catalog_") and ent[8:].isdigit()):
                    raise query_error(not_choice("filter.entity"))
            checks.append(lambda e, v=set(entities): e["entity_type"] in v)
        eids = q_ints(f.get("entity_id"), "filter.entity_id")
        if eids is not None:
            if entities is None or len(entities) != 1:
                raise query_error(not_choice(
                    "filter.entity", "filter[entity_id] needs exactly one "
                                     "entity in filter[entity]."))
            if len(eids) > 10:
                raise query_error(not_choice(
                    "filter.entity_id", "At most 10 ids."))
            checks.append(lambda e, v=set(eids): e["entity_id"] in v)
        users = q_ints(f.get("created_by"), "filter.created_by")
        if users is not None:
            if len(users) > 10:
                raise query_error(not_choice("filter.created_by",
                                             "At most 10 users."))
            checks.append(lambda e, v=set(users): e["created_by"] in v)
        bounds = q_range(f.get("created_at"), "filter.created_at")
        if bounds is not None:
            checks.append(lambda e, b=bounds: in_range(e["created_at"], b))
        for side in ("value_before", "value_after"):
            node = f.get(side)
            if node is not None:
                checks.append(self.value_filter(side, node, field_types))
        return lambda e: all(check(e) for check in checks)

    def value_filter(self, side, node, field_types):
        path = "filter." + side
        if not isinstance(node, dict):
            raise query_error(invalid_type(path, "object"))
        checks = []
        if "leads_statuses" in node:
            pairs = self.status_pairs(node["leads_statuses"],
                                      path + ".leads_statuses")
            checks.append(lambda e, v=pairs: e["type"] ==
                          "lead_status_changed" and any(
                              (x["lead_status"]["id"],
                               x["lead_status"]["pipeline_id"]) in v
                              for x in e[side]))
        if "responsible_user_id" in node:
            users = set(q_ints(node["responsible_user_id"],
                               path + ".responsible_user_id",
                               split_commas=True) or ())
            checks.append(lambda e, v=users: e["type"] ==
                          "entity_responsible_changed" and any(
                              x["responsible_user"]["id"] in v
                              for x in e[side]))
        if "custom_field_values" in node:
            if len(field_types) != 1:
                raise query_error(not_blank("filter.type"))
            enums = set(q_ints(node["custom_field_values"],
                               path + ".custom_field_values",
                               split_commas=True) or ())
            checks.append(lambda e, v=enums: any(
                x.get("custom_field_value", {}).get("enum_id") in v
                for x in e[side]))
        if "value" in node:
            wanted = q_strings(node["value"], path + ".value")
            wanted = set(wanted or ())

            def plain_values(e):
                for x in e[side]:
                    for key, inner in (("sale_field_value", "sale"),
                                       ("name_field_value", "name"),
                                       ("custom_field_value", "text")):
                        if key in x:
                            yield str(x[key][inner])
            checks.append(lambda e, v=wanted: any(
                s in v for s in plain_values(e)))
        return lambda e: all(check(e) for check in checks)

    def list_events(self, req, m):
        q = self.params(req)
        with_ = self.with_set(q)
        pred = self.event_filter(q)

        def compute():
            rows = [e for e in self.events if pred(e)]
            return self.order_rows(q, rows, "events",
                                   default=("created_at", "desc"))
        rows = self.cached_rows(req, compute)
        return self.hal_page(req, "events", rows,
                             lambda e: self.render_event(e, with_),
                             max_limit=EVENTS_MAX_LIMIT)

    def get_event(self, req, m):
        e = self.event_by_id.get(m["eid"])
        if e is None:
            return NO_CONTENT
        return 200, self.render_event(e, self.with_set(self.params(req)))

    def list_event_types(self, req, m):
        q = self.params(req)
        lang = q.get("language_code")
        if lang is not None and lang not in ("ru", "en", "es", "pt"):
            raise query_error(not_choice("language_code"))
        rows = self.event_types(lang or "ru")
        return 200, {"_total_items": len(rows),
                     "_links": self.links("/api/v4/events/types"),
                     "_embedded": {"events_types": rows}}
